/**
 * The carrier-alpha sandbox as a partner developer meets it: raw HTTP on 127.0.0.1.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ALPHA_EVENT_CODES, ALPHA_EXCEPTION_CODES } from '../connectors/carriers/carrier-alpha/codes.js';
import { createCarrierAlpha, type CarrierAlphaOptions } from './carrier-alpha.js';
import { makeSandboxCredentials } from './credentials.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Started {
  url: string;
  ctx: SandboxContext;
  alpha: SandboxPartner;
  call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply>;
}
interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

async function start(stepMs = 20, opts: CarrierAlphaOptions = {}): Promise<Started> {
  const app = Fastify({ logger: false });
  let url = '';
  const ctx: SandboxContext = { credentials: makeSandboxCredentials(), stepMs, baseUrl: () => url };
  const alpha = createCarrierAlpha(ctx, opts);
  alpha.register(app);
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(async () => {
    await alpha.close();
    await app.close();
  });
  const token = ctx.credentials['carrier-alpha'].apiToken;
  return {
    url,
    ctx,
    alpha,
    async call(method, path, body, headers = {}) {
      const res = await request(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.body.text();
      return {
        status: res.statusCode,
        headers: res.headers,
        json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      };
    },
  };
}

const shipment = (reference: string, country = 'US', postal: string | null = '94103') => ({
  reference,
  ship_to: {
    contact_name: 'Dana Whitfield',
    address_lines: ['1450 Mission Street'],
    city: 'San Francisco',
    ...(postal !== null ? { postal_code: postal } : {}),
    country_code: country,
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
});

interface Received {
  url: string;
  bodies: { raw: string; signature: string }[];
}

async function receiver(): Promise<Received> {
  const got: Received = { url: '', bodies: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.bodies.push({
        raw: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers['alpha-signature']),
      });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  got.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`;
  server.unref();
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return got;
}

async function until(pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface PushBody {
  id: string;
  type: string;
  created: number;
  data: {
    tracking_number: string;
    reference: string;
    events: { id: string; code: string; occurred_at: string }[];
  };
}

describe('carrier-alpha sandbox', () => {
  it('refuses a create without an Idempotency-Key with 400 in alpha’s error format', async () => {
    const s = await start();
    const r = await s.call('POST', '/alpha/v1/shipments', shipment('R-1'));
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      errors: [
        {
          code: 'idempotency_key_required',
          message: 'Idempotency-Key header is required (1-255 characters)',
        },
      ],
    });
  });

  it('creates with 201 and replays the same key with 200 and Idempotent-Replayed: true', async () => {
    const s = await start();
    const a = await s.call('POST', '/alpha/v1/shipments', shipment('R-1'), { 'idempotency-key': 'k1' });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ status: 'label_created', label: { format: 'PDF' } });
    expect(a.json.tracking_number).toMatch(/^AL\d{10}$/);
    const b = await s.call('POST', '/alpha/v1/shipments', shipment('R-1'), { 'idempotency-key': 'k1' });
    expect(b.status).toBe(200);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.json).toEqual(a.json);
    expect(s.alpha.stats()).toMatchObject({ calls: 2, shipmentsCreated: 1, idempotentReplays: 1 });
  });

  it('serves the label PDF at the label URL', async () => {
    const s = await start();
    const a = await s.call('POST', '/alpha/v1/shipments', shipment('R-1'), { 'idempotency-key': 'k1' });
    const res = await request((a.json.label as { url: string }).url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect((await res.body.text()).startsWith('%PDF-')).toBe(true);
  });

  it('answers 422 with every field error, including missing postal codes for GB and bad US ZIPs', async () => {
    const s = await start();
    const gb = await s.call('POST', '/alpha/v1/shipments', shipment('R-2', 'GB', null), {
      'idempotency-key': 'k2',
    });
    expect(gb.status).toBe(422);
    expect(gb.json.errors).toEqual([
      {
        code: 'postal_code_required',
        message: 'postal_code is required for GB',
        field: 'ship_to.postal_code',
      },
    ]);
    const body = shipment('', 'US', '9410');
    body.customs.items[0] = { ...body.customs.items[0]!, unit_value: '12.5.0', hs_tariff_number: '09' };
    const us = await s.call('POST', '/alpha/v1/shipments', body, { 'idempotency-key': 'k3' });
    expect(us.status).toBe(422);
    expect((us.json.errors as { field: string }[]).map((e) => e.field)).toEqual([
      'reference',
      'ship_to.postal_code',
      'customs.items[0].unit_value',
      'customs.items[0].hs_tariff_number',
    ]);
    expect(s.alpha.stats()).toMatchObject({ validationErrors: 2, shipmentsCreated: 0 });
  });

  it('answers 401 to a wrong token and 400 in alpha’s format to a body that is not JSON', async () => {
    const s = await start();
    const r = await s.call('POST', '/alpha/v1/shipments', shipment('R-1'), {
      authorization: 'Bearer nope',
      'idempotency-key': 'k',
    });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="alpha"');
    const j = await s.call('POST', '/alpha/v1/shipments', '{"reference":', { 'idempotency-key': 'k' });
    expect(j.status).toBe(400);
    expect(j.json).toEqual({ errors: [{ code: 'invalid_json', message: 'Request body is not valid JSON' }] });
    expect(s.alpha.stats()).toMatchObject({ authFailures: 1 });
  });

  it('hands out unique tracking numbers and counts a repeated reference under a new key as a duplicate', async () => {
    const s = await start();
    const numbers = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const r = await s.call('POST', '/alpha/v1/shipments', shipment(`R-${i % 100}`), {
        'idempotency-key': `k${i}`,
      });
      numbers.add(String(r.json.tracking_number));
    }
    expect(numbers.size).toBe(200);
    expect(s.alpha.stats()).toMatchObject({
      shipmentsCreated: 200,
      duplicateCreates: 100,
      idempotentReplays: 0,
    });
  });

  it('re-registering a webhook URL is a no-op returning the same id', async () => {
    const s = await start();
    const a = await s.call('POST', '/alpha/v1/webhooks', {
      url: 'http://127.0.0.1:1/x',
      events: ['tracking.updated'],
    });
    const b = await s.call('POST', '/alpha/v1/webhooks', {
      url: 'http://127.0.0.1:1/x',
      events: ['tracking.updated'],
    });
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.json.id).toBe(a.json.id);
    const bad = await s.call('POST', '/alpha/v1/webhooks', { url: 'ftp://x', events: ['order.created'] });
    expect(bad.status).toBe(422);
  });

  it('tracking follows the journey in alpha codes the connector’s tables all know', async () => {
    const s = await start(1);
    const countries: [string, string | null][] = [
      ['US', '94103'],
      ['GB', 'SW1A 1AA'],
      ['DE', '10115'],
      ['FR', '75001'],
      ['JP', null],
    ];
    const numbers: string[] = [];
    for (let i = 0; i < 60; i++) {
      const [country, postal] = countries[i % countries.length]!;
      const r = await s.call('POST', '/alpha/v1/shipments', shipment(`R-${i}`, country, postal), {
        'idempotency-key': `k${i}`,
      });
      numbers.push(String(r.json.tracking_number));
    }
    await new Promise((r) => setTimeout(r, 40));
    const codes = new Set<string>();
    const reasons = new Set<string>();
    for (const n of numbers) {
      const t = await s.call('GET', `/alpha/v1/tracking/${n}`);
      const events = t.json.events as { code: string; occurred_at: string; exception?: { code: string } }[];
      expect(events[0]?.code).toBe('LC');
      expect(events.at(-1)?.code).toBe('DL');
      expect(t.json.status).toBe('delivered');
      for (const e of events) {
        codes.add(e.code);
        if (e.exception) reasons.add(e.exception.code);
        expect(e.occurred_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
    }
    for (const c of codes) expect(Object.keys(ALPHA_EVENT_CODES)).toContain(c);
    for (const r of reasons) expect(Object.keys(ALPHA_EXCEPTION_CODES)).toContain(r);
    expect(codes.has('CH') && codes.has('DF')).toBe(true);
    expect((await s.call('GET', '/alpha/v1/tracking/AL0000000000')).status).toBe(404);
  });

  it('sends every push twice with the same event id when the duplicate rate is 1, each validly signed', async () => {
    const s = await start(20, { duplicateRate: 1, swapRate: 0 });
    const got = await receiver();
    await s.call('POST', '/alpha/v1/webhooks', { url: got.url, events: ['tracking.updated'] });
    await s.call('POST', '/alpha/v1/shipments', shipment('R-1'), { 'idempotency-key': 'k1' });
    await until(() => got.bodies.some((b) => b.raw.includes('"DL"')) && s.alpha.stats().pendingPushes === 0);
    const ids = got.bodies.map((b) => (JSON.parse(b.raw) as PushBody).id);
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts.values()].every((c) => c === 2)).toBe(true);
    const secret = s.ctx.credentials['carrier-alpha'].webhookSecret;
    for (const b of got.bodies) {
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(b.signature) ?? [];
      expect(createHmac('sha256', secret).update(`${t}.${b.raw}`).digest('hex')).toBe(v1);
    }
    expect(s.alpha.stats()).toMatchObject({ pushesDelivered: got.bodies.length, pushFailures: 0 });
  });

  it('with the swap rate at 1 delivers batches out of order but still every event', async () => {
    const s = await start(20, { duplicateRate: 0, swapRate: 1 });
    const got = await receiver();
    await s.call('POST', '/alpha/v1/webhooks', { url: got.url, events: ['tracking.updated'] });
    const created = await s.call('POST', '/alpha/v1/shipments', shipment('R-1'), { 'idempotency-key': 'k1' });
    await new Promise((r) => setTimeout(r, 20 * 17));
    await until(() => s.alpha.stats().pendingPushes === 0 && got.bodies.some((b) => b.raw.includes('"DL"')));
    const events = got.bodies.flatMap((b) => (JSON.parse(b.raw) as PushBody).data.events);
    const times = events.map((e) => Date.parse(e.occurred_at));
    expect(times.some((t, i) => i > 0 && t < (times[i - 1] ?? 0))).toBe(true);
    const t = await s.call('GET', `/alpha/v1/tracking/${String(created.json.tracking_number)}`);
    const all = (t.json.events as { id: string }[]).map((e) => e.id).sort();
    expect([...new Set(events.map((e) => e.id))].sort()).toEqual(all);
  });

  it('close() abandons pending pushes and stops retrying', async () => {
    const s = await start(20);
    await s.call('POST', '/alpha/v1/webhooks', {
      url: 'http://127.0.0.1:9/down',
      events: ['tracking.updated'],
    });
    await s.call('POST', '/alpha/v1/shipments', shipment('R-1'), { 'idempotency-key': 'k1' });
    await until(() => (s.alpha.stats().pushFailures as number) > 0);
    await s.alpha.close();
    const failures = s.alpha.stats().pushFailures;
    await new Promise((r) => setTimeout(r, 300));
    expect(s.alpha.stats()).toMatchObject({ pendingPushes: 0, pushFailures: failures });
  });
});
