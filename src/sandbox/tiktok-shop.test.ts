/**
 * The TikTok Shop sandbox as a partner developer meets it, on 127.0.0.1: its sign reproduces
 * TikTok's published vector; a wrong sign, secret, body byte or token is refused with TikTok's
 * codes; orders are searched page by page, read back and shipped once; webhooks are signed as
 * TikTok signs pushes. Requests are signed here by hand from TikTok's documentation, not by the
 * connector.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import Fastify from 'fastify';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandboxCredentials, type SandboxCredentials } from './credentials.js';
import {
  createTiktokShop,
  tiktokPushSignature,
  tiktokRequestSign,
  type TiktokPartner,
} from './tiktok-shop.js';

/** "Sign your API request", TikTok Shop Partner Center: its worked example and digest. */
const VECTOR = {
  secret: 'e59af819cc',
  path: '/authorization/202309/shops',
  query: { app_key: '29a39d', timestamp: '1623812664' },
  sign: 'b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8',
};

let tts: TiktokPartner;
let url = '';
let creds: SandboxCredentials['tiktok-shop'];
const app = Fastify({ logger: false });

beforeAll(async () => {
  const credentials = makeSandboxCredentials();
  creds = credentials['tiktok-shop'];
  tts = createTiktokShop({ credentials, stepMs: 20, baseUrl: () => url });
  tts.register(app);
  url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('[::1]', '127.0.0.1');
});
afterAll(async () => {
  await app.close();
});

interface Call {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: string;
  secret?: string;
  token?: string;
  tamper?: (q: Record<string, string>) => void;
  sentBody?: string;
}

async function call(c: Call): Promise<{ status: number; body: Record<string, unknown> }> {
  const q: Record<string, string> = {
    ...c.query,
    app_key: creds.appKey,
    timestamp: String(Math.floor(Date.now() / 1000)),
    shop_cipher: creds.shopCipher,
  };
  q.sign = tiktokRequestSign(c.path, q, c.body ?? '', c.secret ?? creds.appSecret);
  c.tamper?.(q);
  const res = await request(`${url}/tiktok${c.path}?${new URLSearchParams(q).toString()}`, {
    method: c.method,
    headers: {
      'x-tts-access-token': c.token ?? creds.accessToken,
      ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(c.body !== undefined ? { body: c.sentBody ?? c.body } : {}),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

const search = (body: object, query: Record<string, string> = {}) =>
  call({
    method: 'POST',
    path: '/order/202309/orders/search',
    query: { page_size: '4', ...query },
    body: JSON.stringify(body),
  });

describe('TikTok Shop sandbox', () => {
  it("reproduces TikTok's published sign vector", () => {
    expect(tiktokRequestSign(VECTOR.path, VECTOR.query, '', VECTOR.secret)).toBe(VECTOR.sign);
    // `sign` and `access_token` in the query are never signed.
    expect(
      tiktokRequestSign(VECTOR.path, { ...VECTOR.query, sign: 'x', access_token: 'y' }, '', VECTOR.secret),
    ).toBe(VECTOR.sign);
  });

  it('searches orders awaiting shipment page by page, reads them back and ships each once', async () => {
    const { externalIds } = tts.sell(6);
    for (const id of externalIds) expect(BigInt(id)).toBeGreaterThan(2n ** 53n);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await search({ order_status: 'AWAITING_SHIPMENT' }, token ? { page_token: token } : {});
      expect(r).toMatchObject({ status: 200, body: { code: 0, message: 'Success' } });
      const data = r.body.data as { orders: Array<{ id: string }>; next_page_token: string };
      seen.push(...data.orders.map((o) => o.id));
      token = data.next_page_token || undefined;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual([...externalIds].sort());

    const id = externalIds[0]!;
    const detail = await call({ method: 'GET', path: '/order/202309/orders', query: { ids: id } });
    const order = (detail.body.data as { orders: Array<{ id: string; line_items: Array<{ id: string }> }> })
      .orders[0]!;
    expect(order.id).toBe(id);
    const ship = (lines: string[]) =>
      call({
        method: 'POST',
        path: `/fulfillment/202309/orders/${id}/packages`,
        body: JSON.stringify({
          order_line_item_ids: lines,
          tracking_number: '4PX3000123456789CN',
          shipping_provider_id: '7117858858072016686',
        }),
      });
    expect((await ship(['1'])).body).toMatchObject({ code: 36009004 });
    const shipped = await ship(order.line_items.map((l) => l.id));
    expect(shipped.body).toMatchObject({ code: 0, data: { package_id: expect.stringMatching(/^\d+$/) } });
    expect(tts.packageOf(id)).toMatchObject({ trackingNumber: '4PX3000123456789CN' });
    expect((await ship(order.line_items.map((l) => l.id))).body).toMatchObject({ code: 21011001 });
    const after = await search({ order_status: 'AWAITING_SHIPMENT' }, { page_size: '50' });
    expect((after.body.data as { orders: Array<{ id: string }> }).orders.map((o) => o.id)).not.toContain(id);
    expect(
      (await call({ method: 'GET', path: '/order/202309/orders', query: { ids: '1' } })).body,
    ).toMatchObject({ code: 21001001 });
  });

  it('refuses a wrong secret, a changed query, a changed body byte and a wrong token, and changes nothing', async () => {
    tts.sell(1);
    const before = tts.stats();
    expect((await search({})).status).toBe(200);
    const bad = await call({
      method: 'POST',
      path: '/order/202309/orders/search',
      query: { page_size: '4' },
      body: '{}',
      secret: 'not-the-secret',
    });
    expect(bad).toMatchObject({ status: 401, body: { code: 106001 } });
    const changedQuery = await call({
      method: 'POST',
      path: '/order/202309/orders/search',
      query: { page_size: '4' },
      body: '{}',
      tamper: (q) => (q.page_size = '5'),
    });
    expect(changedQuery).toMatchObject({ status: 401, body: { code: 106001 } });
    const token = await call({
      method: 'POST',
      path: '/order/202309/orders/search',
      query: { page_size: '4' },
      body: '{}',
      token: 'ROW_stolen',
    });
    expect(token).toMatchObject({ status: 401, body: { code: 105001 } });
    // Any one byte of the signed body changed in transit: refused.
    const body = JSON.stringify({ order_status: 'AWAITING_SHIPMENT', update_time_ge: 1 });
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: body.length - 1 }),
        fc.integer({ min: 1, max: 94 }),
        async (at, shift) => {
          const c = String.fromCharCode(((body.charCodeAt(at) - 32 + shift) % 95) + 32);
          const sent = body.slice(0, at) + c + body.slice(at + 1);
          fc.pre(sent !== body);
          const r = await call({
            method: 'POST',
            path: '/order/202309/orders/search',
            query: { page_size: '4' },
            body,
            sentBody: sent,
          });
          expect(r).toMatchObject({ status: 401, body: { code: 106001 } });
        },
      ),
      { numRuns: 40 },
    );
    expect(tts.stats().shipped).toBe(before.shipped);
    expect(Number(tts.stats().signatureFailures)).toBeGreaterThanOrEqual(
      Number(before.signatureFailures) + 42,
    );
  });

  it('signs its order webhooks as TikTok signs pushes: HMAC-SHA256(secret, app_key + body)', async () => {
    const got: Array<{ auth: string; body: string }> = [];
    const receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        got.push({ auth: String(req.headers.authorization ?? ''), body });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const { externalIds } = tts.sell(2);
      const port = (receiver.address() as AddressInfo).port;
      expect(await tts.pushStatusChanges(`http://127.0.0.1:${port}/hook`, externalIds)).toEqual([200, 200]);
      expect(got).toHaveLength(2);
      for (const [i, g] of got.entries()) {
        const expected = createHmac('sha256', creds.appSecret)
          .update(creds.appKey + g.body)
          .digest('hex');
        expect(g.auth).toBe(expected);
        expect(tiktokPushSignature(creds.appKey, g.body, creds.appSecret)).toBe(expected);
        expect(JSON.parse(g.body)).toMatchObject({
          type: 1,
          data: { order_id: externalIds[i], order_status: 'AWAITING_SHIPMENT' },
        });
        // The order id is text in the push: above 2^53, a number would not survive JSON.parse.
        expect(g.body).toContain(`"order_id":"${externalIds[i]}"`);
      }
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });
});
