/**
 * Request logs and request ids: one structured line per request (method, route, status,
 * duration, caller, request id) with no personal data, and the request id in the X-Request-Id
 * header and in every error body, so a user can quote it.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/hub/logger.js';
import { freshStore, type TestStore } from './helpers/stores.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { orderFixture } from './helpers/fixtures.js';

describe('request log and request ids', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  let lines: string[];
  beforeEach(async () => {
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    store = await freshStore('sqlite');
    // The default level: the request lines must show without turning on debug.
    gw = await gatewayFor(store, {}, { logger: createLogger('info', sink) });
  });
  afterEach(async () => {
    await gw.app.close();
    await store.destroy();
  });

  const requestLines = () =>
    lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');

  it('logs one line per request with method, route, status, duration, caller and request id', async () => {
    const posted = await gw.call('POST', '/v1/orders', orderFixture());
    const id = posted.json().id as string;
    await gw.call('GET', `/v1/orders/${id}`);
    await gw.app.inject({ method: 'GET', url: '/v1/orders' }); // unsigned: 401
    await gw.app.inject({ method: 'GET', url: '/healthz' });
    const logged = requestLines();
    expect(logged).toHaveLength(4);
    expect(logged[0]).toMatchObject({
      level: 30,
      component: 'gateway',
      method: 'POST',
      route: '/v1/orders',
      status: 202,
      caller: `api_key:${gw.key.keyId}`,
      reqId: posted.headers['x-request-id'],
    });
    expect(logged[0]!.ms).toEqual(expect.any(Number));
    expect(logged[1]).toMatchObject({ method: 'GET', route: '/v1/orders/:id', status: 200 });
    expect(logged[2]).toMatchObject({ status: 401, caller: 'anonymous', error: expect.any(String) });
    expect(logged[3]).toMatchObject({ route: '/healthz', status: 200 });
  });

  it('keeps personal data out of the line: the route pattern is logged, not the URL', async () => {
    const { recipient } = orderFixture();
    await gw.call('POST', '/v1/orders', orderFixture());
    await gw.call('GET', `/v1/orders?q=${encodeURIComponent(recipient.email!)}`);
    await gw.call('GET', `/v1/orders?q=${encodeURIComponent(recipient.phone!)}`);
    await gw.call('POST', '/v1/privacy/export', { email: recipient.email });
    const text = lines.join('\n');
    expect(requestLines()).toHaveLength(4);
    for (const value of [recipient.email!, recipient.phone!, recipient.name, recipient.line1, 'jane'])
      expect(text.toLowerCase()).not.toContain(value.toLowerCase());
  });

  it('answers every request with X-Request-Id and puts it in every error body', async () => {
    const cases = [
      await gw.app.inject({ method: 'GET', url: '/v1/orders' }), // 401
      await gw.app.inject({ method: 'GET', url: '/no/such/route' }), // 404
      await gw.call('POST', '/v1/orders', '{"source":'), // 400 invalid_json
      await gw.call('POST', '/v1/orders', { ...orderFixture(), currency: 'XYZ' }), // 400 validation
      await gw.call('GET', '/v1/orders/ord_missing'), // 404 order_not_found
    ];
    for (const res of cases) {
      const id = res.headers['x-request-id'];
      expect(id).toMatch(/^req_[0-9a-f]{16}$/);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      const error = res.json().error;
      expect(Object.keys(error).sort()).toEqual(['code', 'details', 'message', 'requestId']);
      expect(error.requestId).toBe(id);
    }
    expect(new Set(cases.map((r) => r.headers['x-request-id'])).size).toBe(cases.length);
    const ok = await gw.app.inject({ method: 'GET', url: '/healthz' });
    expect(ok.headers['x-request-id']).toMatch(/^req_/);
  });

  it('echoes a sane caller-supplied X-Request-Id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/), async (given) => {
        const res = await gw.app.inject({
          method: 'GET',
          url: '/v1/orders',
          headers: { 'x-request-id': given },
        });
        expect(res.headers['x-request-id']).toBe(given);
        expect(res.json().error.requestId).toBe(given);
      }),
      { numRuns: 40 },
    );
  });

  it('replaces an X-Request-Id that is too long or carries anything but a plain token', async () => {
    const insane = fc.oneof(
      fc.string({ minLength: 65, maxLength: 300, unit: fc.constantFrom('a', 'B', '7', '-') }),
      fc
        .tuple(
          fc.string({ maxLength: 20 }),
          fc.constantFrom(' ', '\t', '"', '<', '{', '%', '/', 'é', '\u202e', ';'),
        )
        .map(([s, bad]) => `${s}${bad}x`),
      fc.constantFrom('', '-leading-dash', '.dot'),
    );
    await fc.assert(
      fc.asyncProperty(insane, async (given) => {
        const res = await gw.app.inject({
          method: 'GET',
          url: '/v1/orders',
          headers: { 'x-request-id': given },
        });
        expect(res.headers['x-request-id']).toMatch(/^req_[0-9a-f]{16}$/);
        expect(res.json().error.requestId).toBe(res.headers['x-request-id']);
      }),
      { numRuns: 60 },
    );
    const logged = requestLines().map((l) => l.reqId);
    expect(logged.every((id) => typeof id === 'string' && /^req_[0-9a-f]{16}$/.test(id))).toBe(true);
  });
});
