/**
 * Admission control over a real socket (issue 16, defect 1): the in-flight counter rose before
 * authentication and fell only when an answer was fully written, so clients that dropped the
 * connection left the hub answering 503 `overloaded` for good while `/readyz` said ready.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signedHeaders } from '../src/gateway/signature.js';
import type { Store } from '../src/store/db.js';
import type { InboundRequest, PlatformConnector } from '../src/connectors/types.js';
import type { CreatedKey } from '../src/store/api-keys.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { freshStore, type TestStore } from './helpers/stores.js';
import { orderFixture } from './helpers/fixtures.js';
import { connectionCounter, sendRaw, until, type Ending, type RawRequest } from './helpers/raw-http.js';

/** A store whose next write waits until the test lets it go: an order caught mid-request. */
function gatedStore(store: TestStore) {
  let gate: { reached: () => void; open: Promise<void> } | undefined;
  const gated: Store = {
    ...store,
    write: async (fn) => {
      const g = gate;
      if (g) {
        gate = undefined;
        g.reached();
        await g.open;
      }
      return store.write(fn);
    },
  };
  return {
    store: gated,
    /** Holds the next write; resolves `reached` when a request gets there. */
    holdNextWrite() {
      let release!: () => void;
      let reached!: () => void;
      const reachedP = new Promise<void>((r) => (reached = r));
      gate = { reached, open: new Promise<void>((r) => (release = r)) };
      return { reached: reachedP, release };
    },
  };
}

const PUSH_SECRET = 'test-push-secret';
const pushSignature = (body: string) => createHmac('sha256', PUSH_SECRET).update(body).digest('hex');

/** A platform whose pushes carry an HMAC of the body: enough to tell forged pushes from real ones. */
const testShop = {
  manifest: { id: 'test-shop' },
  verifyWebhook: (r: InboundRequest) => r.headers['x-test-signature'] === pushSignature(r.rawBody),
  parseOrderWebhook: () => {
    throw new Error('not parsed in these tests');
  },
} as unknown as PlatformConnector;

describe('admission over a real socket', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  let port: number;
  let conns: ReturnType<typeof connectionCounter>;
  let hold: ReturnType<typeof gatedStore>['holdNextWrite'];
  let backlog = 0;

  const orderRequest = (key: CreatedKey, ending: Ending = 'complete', body?: string): RawRequest => {
    const payload = body ?? JSON.stringify(orderFixture({ externalId: `ADM-${randomUUID()}` }));
    return {
      method: 'POST',
      path: '/v1/orders',
      headers: { 'content-type': 'application/json', ...signedHeaders(key, 'POST', '/v1/orders', payload) },
      body: payload,
      ending,
    };
  };
  const send = (r: RawRequest) => sendRaw(port, r);
  /** Every connection opened so far has ended on the server's side. */
  const settled = () =>
    until(() => conns.closed() === conns.opened(), 'the server to see every connection end');

  beforeEach(async () => {
    store = await freshStore('sqlite');
    const gate = gatedStore(store);
    hold = gate.holdNextWrite;
    backlog = 0;
    gw = await gatewayFor(
      store,
      { platforms: new Map([['test-shop', testShop]]) },
      {
        store: gate.store,
        admission: () => ({ maxInFlight: 2, maxBacklog: 50 }),
        backlog: async () => backlog,
        // The property below sends hundreds of unauthenticated requests from one address.
        authFailures: () => ({ maxPerAddress: 1_000_000 }),
      },
    );
    conns = connectionCounter(gw.app);
    await gw.app.listen({ host: '127.0.0.1', port: 0 });
    port = (gw.app.server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await gw.app.close();
    await store.destroy();
  });

  it('admission counter leak: clients that send part of a body and drop the connection hold no capacity', async () => {
    const anonymous = { keyId: 'wk_nobody000000', secret: 'not-a-secret' };
    for (const ending of ['after-headers', 'mid-body'] as const) {
      for (let i = 0; i < 3; i++) {
        await send(orderRequest(anonymous, ending));
        await send(orderRequest(gw.key, ending));
      }
    }
    await settled();
    expect(conns.opened()).toBe(12);
    expect(gw.app.admission.inFlight()).toBe(0);
    const next = await send(orderRequest(gw.key));
    expect(next.status).toBe(202);
    expect(gw.app.admission.inFlight()).toBe(0);
  });

  it('admission counter leak: an authenticated caller that aborts mid-request gives its slot back when its work ends', async () => {
    const held = hold();
    const first = orderRequest(gw.key, 'after-body');
    await send(first);
    await held.reached;
    expect(gw.app.admission.inFlight()).toBe(1);
    await settled();
    // The client is gone; the order it sent is still being stored, and that still counts.
    expect(gw.app.admission.inFlight()).toBe(1);
    held.release();
    await until(() => gw.app.admission.inFlight() === 0, 'the slot to be given back');
    for (let i = 0; i < 3; i++) expect((await send(orderRequest(gw.key))).status).toBe(202);
    expect(gw.app.admission.inFlight()).toBe(0);
  });

  it('admission counter leak: invalid JSON, a schema-invalid order, a bad signature and a refused grant hold no capacity', async () => {
    const reader = await gw.keyWith({ scopes: ['orders:read'] });
    const answers = [
      await send(orderRequest(gw.key, 'complete', '{"source": ')),
      await send(orderRequest(gw.key, 'complete', JSON.stringify({ source: 'x' }))),
      await send({
        ...orderRequest(gw.key),
        headers: { ...orderRequest(gw.key).headers, 'x-waygate-signature': '0'.repeat(64) },
      }),
      await send(orderRequest(reader)),
    ];
    expect(answers.map((a) => a.status)).toEqual([400, 400, 401, 403]);
    expect(gw.app.admission.inFlight()).toBe(0);
    expect((await send(orderRequest(gw.key))).status).toBe(202);
  });

  it('answers 503 overloaded above the limit and /readyz says not ready, with the reason, until a slot frees', async () => {
    const held = [hold()];
    const a = send(orderRequest(gw.key));
    await held[0]!.reached;
    held.push(hold());
    const b = send(orderRequest(gw.key));
    await held[1]!.reached;
    expect(gw.app.admission.inFlight()).toBe(2);

    const refused = await send(orderRequest(gw.key));
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body!).error.code).toBe('overloaded');
    const ready = await gw.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      status: 'not_ready',
      reasons: [{ code: 'overloaded' }],
      admission: { inFlight: 2, maxInFlight: 2 },
    });

    for (const h of held) h.release();
    expect([(await a).status, (await b).status]).toEqual([202, 202]);
    await until(() => gw.app.admission.inFlight() === 0, 'both slots to be given back');
    const again = await gw.app.inject({ url: '/readyz' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'ready', admission: { inFlight: 0 } });
  });

  it('admits an order webhook only once the partner signature verifies: at capacity a forged push is 401, a real one 503', async () => {
    const push = (signature: string) => {
      const body = JSON.stringify({ id: randomUUID() });
      return send({
        method: 'POST',
        path: '/v1/webhooks/test-shop/orders',
        headers: { 'content-type': 'application/json', 'x-test-signature': signature || pushSignature(body) },
        body,
      });
    };
    expect((await push('')).status).toBe(202);
    const held = [hold()];
    const a = send(orderRequest(gw.key));
    await held[0]!.reached;
    held.push(hold());
    const b = send(orderRequest(gw.key));
    await held[1]!.reached;
    expect((await push('f'.repeat(64))).status).toBe(401);
    const refused = await push('');
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body!).error.code).toBe('overloaded');
    for (const h of held) h.release();
    expect([(await a).status, (await b).status]).toEqual([202, 202]);
    await until(() => gw.app.admission.inFlight() === 0, 'both slots to be given back');
  });

  it('/readyz says not ready when the backlog bound is hit, and new orders get 503 backlog_full', async () => {
    backlog = 50;
    const ready = await gw.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not_ready', reasons: [{ code: 'backlog_full' }] });
    const refused = await send(orderRequest(gw.key));
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body!).error.code).toBe('backlog_full');
  });

  it('admission counter leak (property): after any mix of complete, aborted, invalid and unauthenticated requests, in-flight returns to 0 and new orders are accepted', async () => {
    const kinds = [
      'complete',
      'after-headers',
      'mid-body',
      'after-body',
      'invalid-json',
      'unauthenticated',
    ] as const;
    const stranger = { keyId: 'wk_stranger0000', secret: 'not-a-secret' };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...kinds), { minLength: 1, maxLength: 8 }), async (plan) => {
        await Promise.all(
          plan.map((kind) => {
            switch (kind) {
              case 'invalid-json':
                return send(orderRequest(gw.key, 'complete', '{"externalId": "unterminated'));
              case 'unauthenticated':
                return send(orderRequest(stranger, 'complete'));
              default:
                return send(orderRequest(gw.key, kind));
            }
          }),
        );
        await settled();
        await until(() => gw.app.admission.inFlight() === 0, 'in-flight to return to 0');
        const next = await send(orderRequest(gw.key));
        expect(next.status).toBe(202);
        expect(gw.app.admission.inFlight()).toBe(0);
      }),
      { numRuns: 25 },
    );
  });
});
