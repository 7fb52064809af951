/**
 * Issue 16: partner answers fuzzed end to end. The sandbox carriers turn hostile (faults.ts
 * `hostile`): attacker-chosen waybill numbers, label URLs, dates, texts and encodings in their
 * answers, huge streamed bodies, absurd 429 waits. Through the real hub, over loopback, each
 * property asserts what the hub stores after such an answer: nothing outside the canonical
 * bounds, no 500 from the API afterwards, and memory bounded (the client stopped reading at the
 * size limit rather than take the whole answer).
 */
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderInput } from '../../src/domain/index.js';
import { signedHeaders } from '../../src/gateway/signature.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { listAudit } from '../../src/store/audit.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { orderFixture } from '../helpers/fixtures.js';

const DAY = 86_400_000;
const WAYBILL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

let h: Harness;
let seq = 0;

beforeAll(async () => {
  h = await startHarness({
    edit: (d) => {
      for (const id of ['carrier-alpha', 'carrier-beta']) {
        const p = d.partners[id]!;
        p.timeoutMs = 5000;
        p.retry = { backoff: ['50ms'], maxAttempts: 2, jitter: 0 };
        p.circuitBreaker = { failureThreshold: 100_000, failoverAfter: '1h', openFor: '1s' };
        p.probe = { interval: '1h' };
      }
      (d as Record<string, unknown>).tracking = { pollIntervalMs: 200 };
    },
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await request(`${h.hub.url}${path}`, {
    method: 'GET',
    headers: signedHeaders(h.key, 'GET', path, ''),
  });
  return { status: res.statusCode, body: await res.body.text() };
}

function order(country: 'US' | 'DE'): OrderInput {
  const base = orderFixture({ externalId: `FUZZ-${Date.now()}-${++seq}` });
  return country === 'US'
    ? base
    : {
        ...base,
        currency: 'EUR',
        recipient: {
          ...base.recipient,
          country: 'DE',
          state: undefined,
          city: 'Berlin',
          postalCode: '10115',
        },
      };
}

async function hostile(partner: string, spec: Record<string, unknown>): Promise<void> {
  for (const channel of ['primary', 'standby']) await h.faults({ partner, channel, hostile: spec });
}

/** Posts an order and waits until its shipment is stored or the order has failed. */
async function settle(country: 'US' | 'DE'): Promise<{ id: string; status: string }> {
  const posted = await h.postOrder(order(country));
  expect(posted.status).toBe(202);
  const id = String(posted.body.id);
  let status = '';
  await waitFor(
    async () => {
      const row = await h.hub.store.db
        .selectFrom('orders')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirst();
      const ship = await h.hub.store.db
        .selectFrom('shipments')
        .select('id')
        .where('order_id', '=', id)
        .executeTakeFirst();
      status = row?.status ?? '';
      return status === 'failed' || ship !== undefined;
    },
    20_000,
    `order ${id} shipped or failed`,
  );
  return { id, status };
}

/** Nothing stored from a partner lies outside the canonical bounds. */
async function assertStoredWithinBounds(): Promise<void> {
  const now = Date.now();
  const shipments = await h.hub.store.db.selectFrom('shipments').selectAll().execute();
  for (const s of shipments) {
    expect(s.waybill_no).toMatch(WAYBILL);
    if (s.label_url !== null) {
      expect(s.label_url.length).toBeLessThanOrEqual(2000);
      expect(s.label_url).toMatch(/^(https:\/\/|http:\/\/127\.0\.0\.1[:/])/);
      expect(s.label_url).not.toMatch(FORBIDDEN);
    }
    if (s.estimated_delivery !== null) {
      const eta = Date.parse(s.estimated_delivery);
      expect(eta).toBeGreaterThanOrEqual(Date.UTC(2000, 0, 1));
      expect(eta).toBeLessThanOrEqual(now + 401 * DAY);
    }
  }
  const events = await h.hub.store.db.selectFrom('tracking_events').selectAll().execute();
  for (const e of events) {
    expect(e.waybill_no).toMatch(WAYBILL);
    expect(e.occurred_at).toBeGreaterThanOrEqual(Date.UTC(2000, 0, 1));
    expect(e.occurred_at).toBeLessThanOrEqual(now + 3 * DAY);
    for (const text of [e.description, e.partner_code, e.event_id, e.detail])
      expect(text).not.toMatch(FORBIDDEN);
    expect(e.description.length).toBeLessThanOrEqual(500);
    expect(e.detail.length).toBeLessThanOrEqual(4000);
  }
}

/** The order's page, its shipments' tracking, the search and the partner view answer without 500. */
async function assertApiAnswers(orderId: string): Promise<void> {
  const page = await get(`/v1/orders/${orderId}`);
  expect(page.status, page.body).toBe(200);
  const shipments = (JSON.parse(page.body) as { shipments?: Array<{ waybillNo: string }> }).shipments ?? [];
  for (const s of shipments) {
    const t = await get(`/v1/shipments/${encodeURIComponent(s.waybillNo)}/tracking`);
    expect(t.status, t.body).toBe(200);
  }
  for (const path of ['/v1/orders?limit=50', '/v1/partners']) {
    const r = await get(path);
    expect(r.status, `${path} ${r.body}`).toBe(200);
  }
}

// ---------------------------------------------------------------------------------------------
// Attacker-chosen values
// ---------------------------------------------------------------------------------------------

const controlText = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f),
  )
  .map(([s, c]) => `AB${s}${String.fromCharCode(c)}9`);
const waybillValue = fc.oneof(
  fc.constantFrom(
    'RR123456785CN',
    // 900 KB: the largest a /__faults body (1 MiB limit) can carry; still 14,000 × the bound.
    'A'.repeat(900 * 1024),
    '',
    '../../admin',
    '<img src=x onerror=alert(1)>',
    'AB 12',
    'ÄÖÜ123',
    'X'.repeat(65),
  ),
  controlText,
  fc.stringMatching(/^[A-Z0-9]{8,20}$/),
);
const labelValue = fc.constantFrom(
  'javascript:alert(document.cookie)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'file:///etc/passwd',
  'http://evil.example/label.pdf',
  'https://user:pass@labels.example/l.pdf',
  'https://labels.example/l.pdf',
  `https://labels.example/${'a'.repeat(3000)}`,
  'https://labels.example/\u0000.pdf',
);
const isoDate = fc.constantFrom(
  '+275760-09-13T00:00:00.000Z',
  '9999-12-31T23:59:59Z',
  '1970-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  'not a date',
  new Date(Date.now() + 5 * DAY).toISOString(),
);
const gmt8Time = fc.constantFrom(
  '9999-12-31 23:59:59',
  '1900-01-01 00:00:00',
  '2099-01-01 00:00:00',
  '2026-02-30 00:00:00',
  '1999-12-31 23:59:59',
);
const charset = fc.constantFrom(undefined, 'utf8-bom', 'utf16le', 'latin1', 'invalid-utf8');

describe('partner responses fuzzed through the sandbox hostile mode', () => {
  it(
    'shipment answers: attacker-chosen waybill, label URL, ETA and encoding are never stored out of bounds; no 500',
    { timeout: 120_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('carrier-alpha' as const, 'carrier-beta' as const),
          waybillValue,
          labelValue,
          isoDate,
          charset,
          async (carrier, waybill, label, eta, cs) => {
            const set =
              carrier === 'carrier-alpha'
                ? { tracking_number: waybill, url: label, estimated_delivery: eta }
                : { waybill_no: waybill, label_url: label };
            await hostile(carrier, { set, ...(cs ? { charset: cs } : {}) });
            try {
              const { id, status } = await settle(carrier === 'carrier-alpha' ? 'US' : 'DE');
              await assertStoredWithinBounds();
              await assertApiAnswers(id);
              // A value out of bounds never becomes a shipment: the order failed, with the reason on its job.
              const stored = await h.hub.store.db
                .selectFrom('shipments')
                .select('waybill_no')
                .where('order_id', '=', id)
                .executeTakeFirst();
              if (stored) expect(stored.waybill_no).toBe(waybill);
              else expect(status).toBe('failed');
            } finally {
              await h.faults(null);
            }
          },
        ),
        { numRuns: 12 },
      );
    },
  );

  it(
    'tracking answers: attacker-chosen times, texts and waybills are left out, the rest kept; no 500',
    { timeout: 120_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(
          gmt8Time,
          fc.oneof(controlText, fc.constant('x'.repeat(600)), fc.constant('Arrived')),
          fc.constantFrom(undefined, 'RR000000000CN', 'A'.repeat(200)),
          charset,
          async (time, desc, otherWaybill, cs) => {
            const { id } = await settle('DE');
            const before = (await h.stats()).carriers['carrier-beta']!;
            const queries = Number(before.traceQueries ?? 0);
            await hostile('carrier-beta', {
              set: { time, desc, city: desc, ...(otherWaybill ? { waybill_no: otherWaybill } : {}) },
              ...(cs ? { charset: cs } : {}),
            });
            try {
              await waitFor(
                async () =>
                  Number((await h.stats()).carriers['carrier-beta']!.traceQueries ?? 0) >= queries + 2,
                15_000,
                'two tracking polls',
              );
              await assertStoredWithinBounds();
              await assertApiAnswers(id);
            } finally {
              await h.faults(null);
            }
          },
        ),
        { numRuns: 6 },
      );
    },
  );

  it(
    'huge answers: the client stops at the size limit (bounded memory) and the order fails cleanly',
    { timeout: 60_000 },
    async () => {
      for (const [carrier, declareLength] of [
        ['carrier-alpha', false],
        ['carrier-beta', true],
      ] as const) {
        const pad = 512 * 1024 * 1024;
        await hostile(carrier, { padBytes: pad, declareLength });
        try {
          const before = (await h.stats()).carriers[carrier]!.channels;
          const sentBefore =
            Number(before.primary!.hostileBytesSent) + Number(before.standby!.hostileBytesSent);
          const { id, status } = await settle(carrier === 'carrier-alpha' ? 'US' : 'DE');
          expect(status).toBe('failed');
          const job = await h.hub.store.db
            .selectFrom('jobs')
            .select(['status', 'last_error'])
            .where('kind', '=', 'shipment.create')
            .where('payload', 'like', `%${id}%`)
            .executeTakeFirstOrThrow();
          expect(job.status).toBe('dead');
          const after = (await h.stats()).carriers[carrier]!.channels;
          const sent =
            Number(after.primary!.hostileBytesSent) + Number(after.standby!.hostileBytesSent) - sentBefore;
          // One refused answer per attempt: a few MB each at most, never the 512 MB offered.
          expect(sent).toBeLessThan(64 * 1024 * 1024);
          await assertApiAnswers(id);
        } finally {
          await h.faults(null);
        }
      }
    },
  );

  it(
    'absurd 429 waits: capped, alerted and audited; an operator release makes the order go through',
    { timeout: 60_000 },
    async () => {
      await hostile('carrier-alpha', { retryAfter: String(10 ** 12), rateLimitReset: '99999999999' });
      const posted = await h.postOrder(order('US'));
      const id = String(posted.body.id);
      // Wait for this order's own job to be parked (not merely for an audit row, which an earlier
      // hostile answer may already have written while this order was still being accepted).
      const parkedJob = async () =>
        h.hub.store.db
          .selectFrom('jobs')
          .select(['run_at'])
          .where('kind', '=', 'shipment.create')
          .where('payload', 'like', `%${id}%`)
          .where('run_at', '>', Date.now() + 60_000)
          .executeTakeFirst();
      await waitFor(
        async () =>
          (await parkedJob()) !== undefined &&
          (await listAudit(h.hub.store.db, { limit: 50 })).some((a) => a.action === 'partner.wait_capped'),
        30_000,
        "the order's job to be parked and the capped wait audited",
      );
      const job = (await parkedJob())!;
      expect(job.run_at).toBeLessThanOrEqual(Date.now() + 2 * 3_600_000 + 5_000);
      const partners = await get('/v1/partners');
      expect(partners.status).toBe(200);
      await h.faults(null);
      // Releasing needs partners:manage: a read-only key is refused, the harness key may.
      const path = '/v1/partners/carrier-alpha/release';
      const body = JSON.stringify({ reason: 'fuzz suite: partner confirmed its quota reset' });
      const reader = await createApiKey(h.hub.store.db, h.hub.box, {
        name: 'reader',
        scopes: ['partners:read'],
      });
      const post = async (key: typeof h.key) => {
        const res = await request(`${h.hub.url}${path}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', ...signedHeaders(key, 'POST', path, body) },
        });
        return { status: res.statusCode, body: await res.body.text() };
      };
      expect((await post(reader)).status).toBe(403);
      const released = await post(h.key);
      expect(released.status, released.body).toBe(200);
      expect((JSON.parse(released.body) as { jobsReleased: number }).jobsReleased).toBeGreaterThanOrEqual(1);
      const audit = (await listAudit(h.hub.store.db, { limit: 50 })).find(
        (a) => a.action === 'partner.released',
      );
      expect(audit).toMatchObject({ target: 'partner:carrier-alpha', outcome: 'ok' });
      await waitFor(
        async () =>
          (await h.hub.store.db
            .selectFrom('shipments')
            .select('id')
            .where('order_id', '=', id)
            .executeTakeFirst()) !== undefined,
        15_000,
        'the released order to ship',
      );
      await assertApiAnswers(id);
    },
  );
});
