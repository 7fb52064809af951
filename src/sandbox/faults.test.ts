/**
 * Fault knobs and standby channels of the sandbox carriers, over real HTTP on 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnector as createBetaConnector } from '../connectors/carriers/carrier-beta/index.js';
import { createConnector as createAlphaConnector } from '../connectors/carriers/carrier-alpha/index.js';
import { PartnerCallError } from '../connectors/errors.js';
import { createHttpClient } from '../connectors/http.js';
import { LOOPBACK_ALLOWED } from '../domain/network-policy.js';
import type { ShipmentRequest } from '../connectors/types.js';
import { parseFaultSpec, FaultSpecError, rewriteAnswer } from './faults.js';
import { startSandbox, type SandboxHandle } from './server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const betaRequest = JSON.parse(
  readFileSync(
    new URL('../connectors/carriers/carrier-beta/fixtures/shipment-request.json', import.meta.url),
    'utf8',
  ),
) as ShipmentRequest;
const alphaRequest = JSON.parse(
  readFileSync(
    new URL('../connectors/carriers/carrier-alpha/fixtures/shipment-request.canonical.json', import.meta.url),
    'utf8',
  ),
) as ShipmentRequest;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

interface Rig {
  sandbox: SandboxHandle;
  /** A call to the sandbox's control endpoints. */
  control(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Reply>;
  /** POST /alpha/v1/shipments on a channel ('' = primary, '/standby'). */
  alphaCreate(prefix: string, key: string, reference?: string, timeoutMs?: number): Promise<Reply>;
  alphaStats(): Record<string, unknown> & { channels: Record<string, Record<string, number>> };
  betaStats(): Record<string, unknown> & { channels: Record<string, Record<string, number>> };
}

async function parse(res: Awaited<ReturnType<typeof request>>): Promise<Reply> {
  const text = await res.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { text };
  }
  return { status: res.statusCode, headers: res.headers, json };
}

async function start(): Promise<Rig> {
  const sandbox = await startSandbox({ port: 0, stepMs: 50 });
  cleanups.push(() => sandbox.close());
  const token = sandbox.credentials['carrier-alpha'].apiToken;
  type Stats = Record<string, unknown> & { channels: Record<string, Record<string, number>> };
  return {
    sandbox,
    async control(method, path, body) {
      return parse(
        await request(`${sandbox.url}${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        }),
      );
    },
    async alphaCreate(prefix, key, reference = 'SHOP-1', timeoutMs = 5_000) {
      const body = {
        reference,
        ship_to: {
          contact_name: 'Dana Whitfield',
          address_lines: ['1450 Mission Street'],
          city: 'San Francisco',
          postal_code: '94103',
          country_code: 'US',
        },
        parcels: [{ weight: { value: 0.5, unit: 'kg' } }],
        customs: {
          contents_type: 'merchandise',
          currency: 'USD',
          items: [
            {
              description: 'Tea',
              quantity: 1,
              unit_value: '12.50',
              hs_tariff_number: '090230',
              origin_country: 'CN',
              weight_kg: 0.5,
            },
          ],
        },
      };
      return parse(
        await request(`${sandbox.url}${prefix}/alpha/v1/shipments`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          body: JSON.stringify(body),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        }),
      );
    },
    alphaStats: () => sandbox.stats().carriers['carrier-alpha'] as Stats,
    betaStats: () => sandbox.stats().carriers['carrier-beta'] as Stats,
  };
}

describe('standby channel', () => {
  it('shares one shipment store: a create on standby replayed on primary gives the same waybill', async () => {
    const rig = await start();
    const first = await rig.alphaCreate('/standby', 'key-1');
    expect(first.status).toBe(201);
    expect(String((first.json.label as { url: string }).url)).toContain('/standby/alpha/v1/labels/');
    const again = await rig.alphaCreate('', 'key-1');
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json.tracking_number).toBe(first.json.tracking_number);

    const stats = rig.alphaStats();
    expect(stats).toMatchObject({ calls: 2, shipmentsCreated: 1, duplicateCreates: 0, idempotentReplays: 1 });
    expect(stats.channels.standby).toMatchObject({ calls: 1, shipmentsCreated: 1, duplicateCreates: 0 });
    expect(stats.channels.primary).toMatchObject({
      calls: 1,
      shipmentsCreated: 0,
      duplicateCreates: 0,
      idempotentReplays: 1,
      callsBeforeReset: 0,
      faultsInjected: 0,
    });

    // The label and shipment read work on both channels.
    const token = rig.sandbox.credentials['carrier-alpha'].apiToken;
    const label = await request(String((first.json.label as { url: string }).url));
    expect(label.statusCode).toBe(200);
    await label.body.dump();
    const read = await request(`${rig.sandbox.url}/alpha/v1/shipments/${String(first.json.shipment_id)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(read.statusCode).toBe(200);
    await read.body.dump();
  });

  it('counts a second order created on the other channel under a new key as a duplicate there', async () => {
    const rig = await start();
    await rig.alphaCreate('', 'key-a', 'SHOP-9');
    await rig.alphaCreate('/standby', 'key-b', 'SHOP-9');
    const stats = rig.alphaStats();
    expect(stats).toMatchObject({ shipmentsCreated: 2, duplicateCreates: 1 });
    expect(stats.channels.primary).toMatchObject({ shipmentsCreated: 1, duplicateCreates: 0 });
    expect(stats.channels.standby).toMatchObject({ shipmentsCreated: 1, duplicateCreates: 1 });
  });

  it('serves the alpha connector unchanged at base URL ${sandbox}/standby', async () => {
    const rig = await start();
    const http = createHttpClient({ network: LOOPBACK_ALLOWED });
    cleanups.push(() => http.close());
    const connector = createAlphaConnector(
      {
        partnerId: 'carrier-alpha',
        baseUrl: `${rig.sandbox.url}/standby`,
        credentials: rig.sandbox.credentials['carrier-alpha'],
      },
      http,
    );
    const created = await connector.createShipment(alphaRequest);
    expect(created.waybillNo).toMatch(/^AL\d{10}$/);
    expect(rig.alphaStats().channels.standby).toMatchObject({ calls: 1, shipmentsCreated: 1 });
  });

  it('serves carrier-beta at /standby/beta/router/rest, sharing request_id records with primary', async () => {
    const rig = await start();
    const http = createHttpClient({ network: LOOPBACK_ALLOWED });
    cleanups.push(() => http.close());
    const connector = (baseUrl: string) =>
      createBetaConnector(
        {
          partnerId: 'carrier-beta',
          baseUrl,
          credentials: rig.sandbox.credentials['carrier-beta'],
          timeoutMs: 5000,
        },
        http,
      );
    const standby = connector(`${rig.sandbox.url}/standby`);
    const primary = connector(rig.sandbox.url);
    const first = await standby.createShipment(betaRequest);
    expect(first.labelUrl).toContain(`/standby/beta/label/${first.waybillNo}.pdf`);
    const again = await primary.createShipment(betaRequest);
    expect(again.waybillNo).toBe(first.waybillNo);
    const stats = rig.betaStats();
    expect(stats).toMatchObject({ shipmentsCreated: 1, duplicateCreates: 0, idempotentReplays: 1 });
    expect(stats.channels.standby).toMatchObject({ calls: 1, shipmentsCreated: 1 });
    expect(stats.channels.primary).toMatchObject({ calls: 1, shipmentsCreated: 0, idempotentReplays: 1 });

    // A fault on beta's primary leaves standby untouched: that is what failover is for.
    await rig.control('POST', '/__faults', { partner: 'carrier-beta', errorRate: 1 });
    const down = await primary
      .createShipment({ ...betaRequest, idempotencyKey: 'beta-2' })
      .catch((e: unknown) => e);
    expect(down).toBeInstanceOf(PartnerCallError);
    expect(down).toMatchObject({ status: 503, retryable: true });
    const viaStandby = await standby.createShipment({ ...betaRequest, idempotencyKey: 'beta-2' });
    expect(viaStandby.waybillNo).not.toBe(first.waybillNo);
    expect(rig.betaStats().channels.primary).toMatchObject({ faultsInjected: 1, shipmentsCreated: 0 });
  });
});

describe('POST/GET/DELETE /__faults', () => {
  it('sets, lists, combines, replaces and clears knobs', async () => {
    const rig = await start();
    const set = await rig.control('POST', '/__faults', {
      partner: 'carrier-alpha',
      errorRate: 0.3,
      latencyMs: 5,
      timeoutRate: 0.05,
      rateLimit: { limit: 5, windowSec: 10 },
      outage: false,
    });
    expect(set.status).toBe(200);
    expect(set.json.fault).toEqual({
      partner: 'carrier-alpha',
      channel: 'primary',
      errorRate: 0.3,
      latencyMs: 5,
      timeoutRate: 0.05,
      rateLimit: { limit: 5, windowSec: 10 },
      outage: false,
    });
    await rig.control('POST', '/__faults', { partner: 'carrier-alpha', channel: 'standby', outage: true });
    await rig.control('POST', '/__faults', { partner: 'carrier-beta', errorRate: 1 });
    // Same partner + channel: replaced, not added.
    await rig.control('POST', '/__faults', { partner: 'carrier-alpha', errorRate: 1 });
    const listed = await rig.control('GET', '/__faults');
    expect(listed.json.faults).toEqual([
      { partner: 'carrier-alpha', channel: 'primary', errorRate: 1 },
      { partner: 'carrier-alpha', channel: 'standby', outage: true },
      { partner: 'carrier-beta', channel: 'primary', errorRate: 1 },
    ]);

    const one = await rig.control('DELETE', '/__faults?partner=carrier-alpha&channel=standby');
    expect(one.json).toMatchObject({ cleared: 1 });
    expect((one.json.faults as unknown[]).length).toBe(2);
    const all = await rig.control('DELETE', '/__faults');
    expect(all.json).toEqual({ cleared: 2, faults: [] });
    expect((await rig.alphaCreate('', 'k-after-clear')).status).toBe(201);
  });

  it('answers 400 with a clear message on bad input', async () => {
    const rig = await start();
    const cases: [unknown, RegExp][] = [
      [{ errorRate: 1 }, /partner must be one of carrier-alpha, carrier-beta/],
      [{ partner: 'carrier-gamma' }, /partner must be one of/],
      [{ partner: 'carrier-alpha', channel: 'backup' }, /channel must be one of primary, standby/],
      [{ partner: 'carrier-alpha', errorRate: 1.5 }, /errorRate must be a number from 0 to 1/],
      [{ partner: 'carrier-alpha', timeoutRate: '0.1' }, /timeoutRate must be a number from 0 to 1/],
      [{ partner: 'carrier-alpha', latencyMs: -1 }, /latencyMs must be an integer/],
      [{ partner: 'carrier-alpha', outage: 'yes' }, /outage must be true or false/],
      [{ partner: 'carrier-alpha', rateLimit: { limit: 2 } }, /rateLimit.windowSec must be an integer/],
      [{ partner: 'carrier-alpha', rateLimit: 5 }, /rateLimit must be an object/],
      [{ partner: 'carrier-alpha', errorrate: 1 }, /unknown field errorrate/],
      [[1, 2], /body must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const res = await rig.control('POST', '/__faults', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(String(res.json.error)).toMatch(message);
    }
    const badDelete = await rig.control('DELETE', '/__faults?channel=nope');
    expect(badDelete.status).toBe(400);
    expect((await rig.control('GET', '/__faults')).json.faults).toEqual([]);
  });

  it('parseFaultSpec defaults the channel to primary', () => {
    expect(parseFaultSpec({ partner: 'p' }, ['p'])).toEqual({ partner: 'p', channel: 'primary' });
    expect(() => parseFaultSpec(null, ['p'])).toThrow(FaultSpecError);
  });
});

describe('fault knobs', () => {
  it('errorRate 1: every call answers 503 in alpha error shape and nothing is created', async () => {
    const rig = await start();
    await rig.control('POST', '/__faults', { partner: 'carrier-alpha', errorRate: 1 });
    const res = await rig.alphaCreate('', 'k1');
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ errors: [{ code: 'service_unavailable' }] });
    const stats = rig.alphaStats();
    expect(stats).toMatchObject({ calls: 1, shipmentsCreated: 0 });
    expect(stats.channels.primary).toMatchObject({ calls: 1, shipmentsCreated: 0, faultsInjected: 1 });
    // The standby channel is not affected, and the same key creates it there once.
    expect((await rig.alphaCreate('/standby', 'k1')).status).toBe(201);
    expect(rig.alphaStats()).toMatchObject({ shipmentsCreated: 1 });
  });

  it('rateLimit: 429 with X-RateLimit-* and Retry-After, counts callsBeforeReset, succeeds after reset', async () => {
    const rig = await start();
    await rig.control('POST', '/__faults', {
      partner: 'carrier-alpha',
      rateLimit: { limit: 2, windowSec: 2 },
    });
    const first = await rig.alphaCreate('', 'r1', 'SHOP-1');
    expect(first.status).toBe(201);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    // Two calls in one window are allowed; make sure the third lands in the same window.
    let second = await rig.alphaCreate('', 'r2', 'SHOP-2');
    let sentAt = Date.now();
    let third = await rig.alphaCreate('', 'r3', 'SHOP-3');
    for (let i = 0; third.status !== 429 && i < 5; i++) {
      second = await rig.alphaCreate('', `r2-${i}`, `SHOP-2-${i}`);
      sentAt = Date.now();
      third = await rig.alphaCreate('', `r3-${i}`, `SHOP-3-${i}`);
    }
    expect(second.status).toBe(201);
    expect(third.status).toBe(429);
    expect(third.json).toMatchObject({ errors: [{ code: 'rate_limited' }] });
    expect(third.headers['x-ratelimit-limit']).toBe('2');
    expect(third.headers['x-ratelimit-remaining']).toBe('0');
    const reset = Number(third.headers['x-ratelimit-reset']);
    expect(Number.isInteger(reset)).toBe(true);
    expect(reset * 1000).toBeGreaterThan(sentAt);
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(rig.alphaStats().channels.primary?.callsBeforeReset).toBe(0);

    const fourth = await rig.alphaCreate('', 'r4', 'SHOP-4');
    expect(fourth.status).toBe(429);
    expect(rig.alphaStats().channels.primary).toMatchObject({ callsBeforeReset: 1 });

    await new Promise((r) => setTimeout(r, Math.max(0, reset * 1000 - Date.now()) + 20));
    const after = await rig.alphaCreate('', 'r5', 'SHOP-5');
    expect(after.status).toBe(201);
    const primary = rig.alphaStats().channels.primary;
    expect(primary).toMatchObject({ callsBeforeReset: 1 });
    expect(primary?.faultsInjected).toBeGreaterThanOrEqual(2);
    expect(rig.alphaStats().channels.standby).toMatchObject({ callsBeforeReset: 0, faultsInjected: 0 });
  });

  it('outage: the connection is dropped without an answer', async () => {
    const rig = await start();
    await rig.control('POST', '/__faults', { partner: 'carrier-alpha', outage: true });
    await expect(rig.alphaCreate('', 'o1')).rejects.toThrow();
    expect(rig.alphaStats()).toMatchObject({ shipmentsCreated: 0 });
    expect(rig.alphaStats().channels.primary).toMatchObject({ calls: 1, faultsInjected: 1 });
    // Beta through its standby is still up.
    await rig.control('POST', '/__faults', { partner: 'carrier-beta', outage: true });
    const beta = await request(`${rig.sandbox.url}/beta/router/rest`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'method=beta.trace.query',
    }).catch((e: unknown) => e);
    expect(beta).toBeInstanceOf(Error);
    await rig.control('DELETE', '/__faults');
    expect((await rig.alphaCreate('', 'o1')).status).toBe(201);
  });

  it('timeoutRate 1: no answer in useful time; the first such call is processed, the second is not', async () => {
    const rig = await start();
    await rig.control('POST', '/__faults', { partner: 'carrier-alpha', timeoutRate: 1 });
    await expect(rig.alphaCreate('', 't1', 'SHOP-T1', 300)).rejects.toThrow();
    expect(rig.alphaStats()).toMatchObject({ shipmentsCreated: 1 });
    await expect(rig.alphaCreate('', 't2', 'SHOP-T2', 300)).rejects.toThrow();
    expect(rig.alphaStats()).toMatchObject({ shipmentsCreated: 1 });
    expect(rig.alphaStats().channels.primary).toMatchObject({ calls: 2, faultsInjected: 2 });
    // The lost reply is found again by replaying the key on the standby channel.
    const replay = await rig.alphaCreate('/standby', 't1', 'SHOP-T1');
    expect(replay.status).toBe(200);
    expect(rig.alphaStats()).toMatchObject({
      shipmentsCreated: 1,
      duplicateCreates: 0,
      idempotentReplays: 1,
    });
  });

  it('latencyMs delays the answer', async () => {
    const rig = await start();
    await rig.control('POST', '/__faults', { partner: 'carrier-alpha', channel: 'standby', latencyMs: 150 });
    const t0 = Date.now();
    expect((await rig.alphaCreate('/standby', 'l1')).status).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe('hostile mode', () => {
  it('validates the hostile spec', () => {
    const ok = parseFaultSpec(
      {
        partner: 'p',
        hostile: { set: { tracking_number: 'X' }, charset: 'utf16le', padBytes: 10, retryAfter: '1e12' },
      },
      ['p'],
    );
    expect(ok.hostile).toEqual({
      set: { tracking_number: 'X' },
      charset: 'utf16le',
      padBytes: 10,
      retryAfter: '1e12',
    });
    for (const hostile of [
      'x',
      { nope: 1 },
      { set: { 'a b': 'x' } },
      { set: { a: 1 } },
      { charset: 'ebcdic' },
      { padBytes: -1 },
      { retryAfter: 'a\nb' },
    ]) {
      expect(() => parseFaultSpec({ partner: 'p', hostile }, ['p'])).toThrow(FaultSpecError);
    }
  });

  it('rewrites fields of the carrier dialect, JSON at any depth and XML element text (escaped)', () => {
    expect(
      JSON.parse(
        rewriteAnswer('{"tracking_number":"A","label":{"url":"u"},"n":[{"url":"v"}]}', 'application/json', {
          tracking_number: 'Z',
          url: 'javascript:x',
        }),
      ),
    ).toEqual({ tracking_number: 'Z', label: { url: 'javascript:x' }, n: [{ url: 'javascript:x' }] });
    expect(
      rewriteAnswer('<r><waybill_no>A</waybill_no><time/></r>', 'application/xml', {
        waybill_no: '<b>&',
        time: '9999-12-31 23:59:59',
      }),
    ).toBe('<r><waybill_no>&lt;b&gt;&amp;</waybill_no><time>9999-12-31 23:59:59</time></r>');
  });

  it('answers with attacker-chosen values, 429 waits and padded bodies, counting the bytes taken', async () => {
    const rig = await start();
    await rig.control('POST', '/__faults', {
      partner: 'carrier-alpha',
      hostile: { set: { tracking_number: 'EVIL\u0000' }, padBytes: 200_000 },
    });
    const created = await rig.alphaCreate('', 'h1');
    expect(created.json.tracking_number).toBe('EVIL\u0000');
    expect(rig.alphaStats().channels.primary).toMatchObject({ hostileAnswers: 1 });
    expect(rig.alphaStats().channels.primary!.hostileBytesSent).toBeGreaterThanOrEqual(200_000);
    await rig.control('POST', '/__faults', {
      partner: 'carrier-alpha',
      hostile: { retryAfter: '99999999999', rateLimitReset: '99999999999' },
    });
    const limited = await rig.alphaCreate('', 'h2');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('99999999999');
  });
});
