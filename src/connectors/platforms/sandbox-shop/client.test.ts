/**
 * The connector against the sandbox shop over real HTTP on 127.0.0.1: subscription through the
 * admin API, signed deliveries to a small receiver that verifies each with the connector, and
 * at-least-once delivery through a receiver that fails and goes away for a while.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createShop, type ShopPartner } from '../../../sandbox/shop.js';
import { makeSandboxCredentials, type SandboxCredentials } from '../../../sandbox/credentials.js';
import { startSandbox } from '../../../sandbox/server.js';
import { PartnerCallError } from '../../errors.js';
import { createHttpClient, type HttpClient } from '../../http.js';
import { LOOPBACK_ALLOWED } from '../../../domain/network-policy.js';
import type { OrderWebhook } from '../../types.js';
import { createShopAdminClient } from './client.js';
import { createConnector, type SandboxShopConnector } from './index.js';

interface ShopUnderTest {
  app: FastifyInstance;
  shop: ShopPartner;
  url: string;
  credentials: SandboxCredentials;
  connector: SandboxShopConnector;
}

let http: HttpClient;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  http = createHttpClient({ defaultTimeoutMs: 5_000, network: LOOPBACK_ALLOWED });
});
afterAll(async () => {
  await http.close();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function startShop(): Promise<ShopUnderTest> {
  const app = Fastify({ logger: false });
  let url = '';
  const credentials = makeSandboxCredentials();
  const shop = createShop({ credentials, stepMs: 50, baseUrl: () => url });
  shop.register(app);
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(async () => {
    await shop.close();
    await app.close();
  });
  const connector = createConnector(
    { partnerId: 'sandbox-shop', baseUrl: url, credentials: credentials['sandbox-shop'] },
    http,
  );
  return { app, shop, url, credentials, connector };
}

interface Received {
  webhookId: string;
  body: string;
  hook: OrderWebhook;
}

/** A tiny hub stand-in: verifies and parses every delivery with the connector, answers per `mode`. */
class Receiver {
  readonly received: Received[] = [];
  readonly rejected: string[] = [];
  mode: 'ok' | 'unavailable' = 'ok';
  requests = 0;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly connector: SandboxShopConnector) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/webhooks/sandbox-shop/orders`;
  }

  externalIds(): Set<string> {
    return new Set(this.received.map((r) => r.hook.order.externalId));
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    if (this.mode === 'unavailable') {
      res.writeHead(503).end();
      return;
    }
    const inbound = { headers: req.headers, rawBody, nowMs: Date.now() };
    if (!this.connector.verifyWebhook(inbound)) {
      this.rejected.push(rawBody);
      res.writeHead(401).end();
      return;
    }
    const hook = this.connector.parseOrderWebhook(inbound);
    this.received.push({ webhookId: hook.deliveryId, body: rawBody, hook });
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function withReceiver(connector: SandboxShopConnector): Promise<Receiver> {
  const receiver = new Receiver(connector);
  await receiver.start();
  cleanups.push(() => receiver.stop());
  return receiver;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('sandbox-shop connector against the sandbox shop over HTTP', () => {
  it('subscribes through the admin API and receives all 20 pushed orders, each signature verified', async () => {
    const t = await startShop();
    const receiver = await withReceiver(t.connector);
    await t.connector.subscribeOrderWebhook(receiver.url);

    const { runId, externalIds } = t.shop.push(20);
    expect(externalIds).toHaveLength(20);
    expect(new Set(externalIds).size).toBe(20);
    await until(
      '20 orders delivered',
      () => t.shop.delivered(runId) === 20 && receiver.externalIds().size === 20,
    );

    expect(receiver.rejected).toEqual([]);
    expect([...receiver.externalIds()].sort()).toEqual([...externalIds].sort());
    for (const r of receiver.received) {
      expect(r.webhookId).toMatch(UUID);
      expect(r.hook.topic).toBe('order.created');
      expect(r.hook.order.source).toBe('sandbox-shop');
      expect(r.hook.order.items.length).toBeGreaterThan(0);
    }
    const stats = t.shop.stats();
    expect(stats).toMatchObject({
      ordersGenerated: 20,
      webhooksDelivered: 20,
      webhookFailures: 0,
      pending: 0,
    });
  });

  it('treats a second subscription of the same topic and address as the same webhook', async () => {
    const t = await startShop();
    const admin = createShopAdminClient(
      { partnerId: 'sandbox-shop', baseUrl: t.url, credentials: t.credentials['sandbox-shop'] },
      http,
    );
    const first = await admin.subscribeWebhook('orders/create', 'http://127.0.0.1:9/hook');
    const again = await admin.subscribeWebhook('orders/create', 'http://127.0.0.1:9/hook');
    expect(first.created).toBe(true);
    expect(again).toEqual({ ...first, created: false });
    expect(await admin.listWebhooks()).toEqual([
      { id: first.id, topic: 'orders/create', address: 'http://127.0.0.1:9/hook' },
    ]);
  });

  it('keeps orders pushed before any subscription and delivers them once one exists', async () => {
    const t = await startShop();
    const { runId } = t.shop.push(5, 'early-run');
    await new Promise((r) => setTimeout(r, 100));
    expect(t.shop.stats()).toMatchObject({ pending: 5, webhookAttempts: 0 });
    const receiver = await withReceiver(t.connector);
    await t.connector.subscribeOrderWebhook(receiver.url);
    await until('the backlog delivered', () => t.shop.delivered(runId) === 5);
    expect(receiver.externalIds().size).toBe(5);
  });

  it('still delivers every order to a receiver that answers 503 and then vanishes before coming back', async () => {
    const t = await startShop();
    const receiver = await withReceiver(t.connector);
    receiver.mode = 'unavailable';
    await t.connector.subscribeOrderWebhook(receiver.url);
    const { runId, externalIds } = t.shop.push(20);

    await until('a few 503 answers', () => receiver.requests >= 6);
    const port = receiver.port;
    await receiver.stop(); // the hub is down: connection refused
    const failuresBefore = t.shop.stats().webhookFailures as number;
    await until(
      'attempts against the closed port',
      () => (t.shop.stats().webhookFailures as number) > failuresBefore + 2,
    );
    expect(t.shop.delivered(runId)).toBe(0);

    receiver.mode = 'ok';
    await receiver.start(port); // the hub restarts on the same address
    await until('every order delivered after the restart', () => t.shop.delivered(runId) === 20, 30_000);

    expect([...receiver.externalIds()].sort()).toEqual([...externalIds].sort());
    const stats = t.shop.stats();
    expect(stats.webhookFailures).toBeGreaterThanOrEqual(6);
    expect(stats.pending).toBe(0);
  });

  it('re-delivers about 2 % of acknowledged webhooks with the same webhook id and body', async () => {
    const t = await startShop();
    const receiver = await withReceiver(t.connector);
    await t.connector.subscribeOrderWebhook(receiver.url);
    const { runId } = t.shop.push(400);
    await until('400 orders delivered', () => t.shop.delivered(runId) === 400);
    await until(
      're-deliveries sent',
      () => receiver.received.length === 400 + (t.shop.stats().redeliveries as number),
    );
    await new Promise((r) => setTimeout(r, 1_200)); // re-deliveries go out within a second

    const redeliveries = t.shop.stats().redeliveries as number;
    expect(redeliveries).toBeGreaterThan(0);
    expect(redeliveries).toBeLessThan(30);
    expect(receiver.received.length).toBe(400 + redeliveries);
    const byId = new Map<string, string[]>();
    for (const r of receiver.received) byId.set(r.webhookId, [...(byId.get(r.webhookId) ?? []), r.body]);
    const repeated = [...byId.values()].filter((bodies) => bodies.length > 1);
    expect(repeated).toHaveLength(redeliveries);
    for (const bodies of repeated) expect(new Set(bodies).size).toBe(1);
    expect(receiver.externalIds().size).toBe(400);
  });

  it('reads an order back through the admin API as the same canonical order the webhook carried', async () => {
    const t = await startShop();
    const receiver = await withReceiver(t.connector);
    await t.connector.subscribeOrderWebhook(receiver.url);
    const { runId, externalIds } = t.shop.push(3);
    await until('3 orders delivered', () => t.shop.delivered(runId) === 3);
    const id = externalIds[1] as string;
    const pushed = receiver.received.find((r) => r.hook.order.externalId === id);
    expect(await t.connector.fetchOrder(id)).toEqual(pushed?.hook.order);

    const missing = await t.connector.fetchOrder('1').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PartnerCallError);
    expect(missing).toMatchObject({ code: 'partner_rejected', status: 404, retryable: false });
  });

  it('answers 401 with the shop error body to a bad admin token, which the connector reports as auth failure', async () => {
    const t = await startShop();
    for (const token of ['shpat_wrong', undefined]) {
      const res = await request(`${t.url}/shop/admin/api/2025-01/webhooks.json`, {
        method: 'GET',
        headers: token ? { 'x-shop-access-token': token } : {},
      });
      expect(res.statusCode).toBe(401);
      expect(await res.body.json()).toEqual({ errors: '[API] Invalid API key or access token' });
    }
    const wrong = createConnector(
      {
        partnerId: 'sandbox-shop',
        baseUrl: t.url,
        credentials: { ...t.credentials['sandbox-shop'], adminToken: 'shpat_wrong' },
      },
      http,
    );
    const err = await wrong.subscribeOrderWebhook('http://127.0.0.1:9/hook').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerCallError);
    expect(err).toMatchObject({ code: 'partner_auth_failed', status: 401, retryable: false });
    expect(String((err as Error).message)).not.toContain('shpat_wrong');
  });

  it('rejects a subscription to an unknown topic or a non-HTTP address with 422 and field errors', async () => {
    const t = await startShop();
    const admin = createShopAdminClient(
      { partnerId: 'sandbox-shop', baseUrl: t.url, credentials: t.credentials['sandbox-shop'] },
      http,
    );
    const err = await admin.subscribeWebhook('products/update', 'ftp://example.com').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'partner_rejected', status: 422, retryable: false });
    expect((err as PartnerCallError).partnerMessage).toMatch(
      /^topic: Invalid topic specified: products\/update.*; address: /,
    );
  });
});

describe('sandbox-shop in the full sandbox', () => {
  it('is mounted by startSandbox, pushed through /__shop/push and counted in /__stats', async () => {
    const sandbox = await startSandbox({ port: 0 });
    cleanups.push(() => sandbox.close());
    const connector = createConnector(
      { partnerId: 'sandbox-shop', baseUrl: sandbox.url, credentials: sandbox.credentials['sandbox-shop'] },
      http,
    );
    const receiver = await withReceiver(connector);
    await connector.subscribeOrderWebhook(receiver.url);
    const res = await request(`${sandbox.url}/__shop/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 7 }),
    });
    expect(res.statusCode).toBe(202);
    const { runId } = (await res.body.json()) as { runId: string };
    await until('7 orders delivered', () => sandbox.shop.delivered(runId) === 7);
    const stats = (await (await request(`${sandbox.url}/__stats`)).body.json()) as {
      shop: Record<string, unknown>;
    };
    expect(stats.shop).toMatchObject({ ordersGenerated: 7, webhooksDelivered: 7, pending: 0 });
  });
});
