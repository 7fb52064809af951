/**
 * The connector against the carrier-alpha sandbox over real HTTP on 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrackingEvent } from '../../../domain/index.js';
import { createCarrierAlpha, type CarrierAlphaOptions } from '../../../sandbox/carrier-alpha.js';
import { makeSandboxCredentials } from '../../../sandbox/credentials.js';
import type { SandboxContext, SandboxPartner } from '../../../sandbox/types.js';
import { PartnerCallError } from '../../errors.js';
import { ConnectorSettingsError } from '../../settings.js';
import { createHttpClient, type HttpClient } from '../../http.js';
import { LOOPBACK_ALLOWED } from '../../../domain/network-policy.js';
import type { CarrierConnector, ShipmentRequest } from '../../types.js';
import { createConnector } from './index.js';

const request = JSON.parse(
  readFileSync(new URL('./fixtures/shipment-request.canonical.json', import.meta.url), 'utf8'),
) as ShipmentRequest;

interface Rig {
  url: string;
  ctx: SandboxContext;
  alpha: SandboxPartner;
  http: HttpClient;
  connector: CarrierConnector;
  connectorWith(credentials: Record<string, string>): CarrierConnector;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startRig(stepMs = 20, opts: CarrierAlphaOptions = {}): Promise<Rig> {
  const app: FastifyInstance = Fastify({ logger: false });
  let baseUrl = '';
  const ctx: SandboxContext = { credentials: makeSandboxCredentials(), stepMs, baseUrl: () => baseUrl };
  const alpha = createCarrierAlpha(ctx, opts);
  alpha.register(app);
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const http = createHttpClient({ network: LOOPBACK_ALLOWED });
  cleanups.push(async () => {
    await alpha.close();
    await app.close();
    await http.close();
  });
  const connectorWith = (credentials: Record<string, string>) =>
    createConnector({ partnerId: 'carrier-alpha', baseUrl, credentials }, http);
  return {
    url: baseUrl,
    ctx,
    alpha,
    http,
    connector: connectorWith(ctx.credentials['carrier-alpha']),
    connectorWith,
  };
}

interface Hook {
  url: string;
  events: Map<string, TrackingEvent>;
  deliveries: string[];
  rejected: number;
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
}

/** A tiny webhook receiver that verifies and parses with the connector, like the hub would. */
async function startHook(
  connector: CarrierConnector,
  respond: (n: number) => number = () => 200,
): Promise<Hook> {
  const hook: Hook = {
    url: '',
    events: new Map(),
    deliveries: [],
    rejected: 0,
    async waitFor(pred, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > until) throw new Error('timed out waiting for pushes');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = respond(n++);
      if (status >= 300) {
        res.writeHead(status).end();
        return;
      }
      const inbound = {
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        nowMs: Date.now(),
      };
      if (!connector.verifyCallback?.(inbound)) {
        hook.rejected++;
        res.writeHead(401).end();
        return;
      }
      const push = connector.parseCallback?.(inbound);
      if (push) {
        hook.deliveries.push(push.deliveryId);
        for (const e of push.events) hook.events.set(e.eventId, e);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/alpha`;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.unref();
  return hook;
}

async function trackingEvents(rig: Rig, trackingNumber: string): Promise<{ id: string; code: string }[]> {
  const res = await rig.http.send({
    partnerId: 'carrier-alpha',
    method: 'GET',
    url: `${rig.url}/alpha/v1/tracking/${trackingNumber}`,
    headers: { authorization: `Bearer ${rig.ctx.credentials['carrier-alpha'].apiToken}` },
  });
  return (JSON.parse(res.body) as { events: { id: string; code: string }[] }).events;
}

describe('carrier-alpha connector against the sandbox', () => {
  it('creates a shipment and gets an alpha tracking number and PDF label', async () => {
    const rig = await startRig();
    const created = await rig.connector.createShipment(request);
    expect(created.waybillNo).toMatch(/^AL\d{10}$/);
    expect(created.labelFormat).toBe('PDF');
    expect(created.labelUrl).toMatch(new RegExp(`^${rig.url}/alpha/v1/labels/shp_`));
    expect(rig.alpha.stats()).toMatchObject({
      shipmentsCreated: 1,
      duplicateCreates: 0,
      idempotentReplays: 0,
    });
  });

  it('replaying the same idempotency key returns the same tracking number and creates nothing', async () => {
    const rig = await startRig();
    const first = await rig.connector.createShipment(request);
    const second = await rig.connector.createShipment(request);
    expect(second).toEqual(first);
    expect(rig.alpha.stats()).toMatchObject({
      shipmentsCreated: 1,
      idempotentReplays: 1,
      duplicateCreates: 0,
    });
  });

  it('the same order reference under a new key creates a second shipment, counted as a duplicate', async () => {
    const rig = await startRig();
    const first = await rig.connector.createShipment(request);
    const second = await rig.connector.createShipment({ ...request, idempotencyKey: 'another-key' });
    expect(second.waybillNo).not.toBe(first.waybillNo);
    expect(rig.alpha.stats()).toMatchObject({
      shipmentsCreated: 2,
      duplicateCreates: 1,
      idempotentReplays: 0,
    });
  });

  it('a 422 on a bad US postal code is a non-retryable PartnerCallError carrying alpha’s message', async () => {
    const rig = await startRig();
    const bad = { ...request, recipient: { ...request.recipient, postalCode: 'SW1A 1AA' } };
    const err = await rig.connector.createShipment(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerCallError);
    const e = err as PartnerCallError;
    expect(e).toMatchObject({
      code: 'partner_rejected',
      retryable: false,
      status: 422,
      partnerCode: 'invalid_postal_code',
    });
    expect(e.partnerMessage).toContain('ship_to.postal_code: postal_code must be a US ZIP code');
    expect(rig.alpha.stats()).toMatchObject({ validationErrors: 1, shipmentsCreated: 0 });
  });

  it('a wrong bearer token is a non-retryable auth failure that does not leak the token', async () => {
    const rig = await startRig();
    const wrong = rig.connectorWith({ apiToken: 'alpha_test_wrong', webhookSecret: 'x' });
    const err = await wrong.createShipment(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerCallError);
    expect(err).toMatchObject({ code: 'partner_auth_failed', retryable: false, status: 401 });
    expect(JSON.stringify(err)).not.toContain('alpha_test_wrong');
    expect(rig.alpha.stats()).toMatchObject({ authFailures: 1, shipmentsCreated: 0 });
  });

  it('an unreachable alpha is a retryable PartnerCallError', async () => {
    const http = createHttpClient({ network: LOOPBACK_ALLOWED });
    cleanups.push(() => http.close());
    const credentials = { apiToken: 'alpha_test_x', webhookSecret: 'whsec_x' };
    const c = createConnector(
      { partnerId: 'carrier-alpha', baseUrl: 'http://127.0.0.1:9', credentials },
      http,
    );
    await expect(c.createShipment(request)).rejects.toMatchObject({
      code: 'partner_unreachable',
      retryable: true,
    });
  });

  it('refuses to be built without its credentials, naming each missing or empty one (never a silent empty token)', () => {
    const http = createHttpClient();
    cleanups.push(() => http.close());
    const build = (credentials: Record<string, string>) => () =>
      createConnector({ partnerId: 'carrier-alpha', baseUrl: 'http://127.0.0.1:9', credentials }, http);
    expect(build({})).toThrow(ConnectorSettingsError);
    expect(build({})).toThrow(/credentials\.apiToken is required; credentials\.webhookSecret is required/);
    expect(build({ apiToken: '', webhookSecret: 'whsec_x' })).toThrow(
      /credentials\.apiToken must not be empty/,
    );
    expect(build({ apiToken: 'alpha_test_secret', webhookSecret: 'w', extra: 'alpha_test_secret' })).toThrow(
      /credentials\.extra is not a setting of this connector/,
    );
    // The message names fields, never values.
    expect(build({ apiToken: 'alpha_test_secret', webhookSecret: 'w', extra: 'x' })).not.toThrow(
      /alpha_test_secret/,
    );
  });

  it('a registered webhook receives signed pushes through to the delivered event', async () => {
    const rig = await startRig(20);
    const hook = await startHook(rig.connector);
    await rig.connector.registerTrackingWebhook?.(hook.url);
    await rig.connector.registerTrackingWebhook?.(hook.url); // re-registering is a no-op
    const { waybillNo } = await rig.connector.createShipment(request);
    await hook.waitFor(() => [...hook.events.values()].some((e) => e.code === 'DELIVERED'));
    await hook.waitFor(() => rig.alpha.stats().pendingPushes === 0);
    const journey = await trackingEvents(rig, waybillNo);
    expect(hook.rejected).toBe(0);
    expect([...hook.events.keys()].sort()).toEqual(journey.map((e) => e.id).sort());
    const events = [...hook.events.values()];
    expect(events.every((e) => e.waybillNo === waybillNo && e.code !== 'UNKNOWN')).toBe(true);
    const handover = events.find((e) => e.code === 'HANDOVER_TO_LAST_MILE');
    expect(handover).toMatchObject({ nextCarrier: 'USPS', stage: 'last_mile' });
    expect(handover?.nextTrackingNo).toMatch(/^9400\d{18}$/);
  });

  it('a webhook that fails at first still receives every event once it recovers', async () => {
    const rig = await startRig(20);
    let down = true;
    const hook = await startHook(rig.connector, () => (down ? 503 : 200));
    await rig.connector.registerTrackingWebhook?.(hook.url);
    const { waybillNo } = await rig.connector.createShipment(request);
    const journeyLength = 20 * 17;
    await new Promise((r) => setTimeout(r, journeyLength + 200));
    expect(hook.events.size).toBe(0);
    expect(rig.alpha.stats().pushFailures).toBeGreaterThan(0);
    down = false;
    await hook.waitFor(() => [...hook.events.values()].some((e) => e.code === 'DELIVERED'));
    await hook.waitFor(() => rig.alpha.stats().pendingPushes === 0);
    const journey = await trackingEvents(rig, waybillNo);
    expect(journey.at(-1)?.code).toBe('DL');
    expect([...hook.events.keys()].sort()).toEqual(journey.map((e) => e.id).sort());
  });
});
