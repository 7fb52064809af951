/**
 * Issue 16, fuzz suite (callback half): signed pushes from a careless or hostile partner — a
 * carrier's tracking callbacks and a shop's order webhooks — with hostile lengths, dates,
 * characters, encodings and sizes, all signed correctly over the exact bytes sent (the partner
 * holds its key; only the content is hostile). Asserted: never a 5xx; what is stored is inside
 * the canonical schema (every tracking event, every order); memory stays bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  OrderInput,
  TrackingEvent,
  orderTotal,
  type OrderInput as OrderInputT,
} from '../../src/domain/index.js';
import { trackingEventIssues } from '../../src/domain/partner-values.js';
import { createAjv } from '../../src/domain/validation.js';
import { readOrder } from '../../src/store/orders.js';
import type { GatewayFixture } from '../helpers/gateway.js';
import { freshStore, type TestStore } from '../helpers/stores.js';
import { drainInbound, pushGateway, sendAlpha, sendShop, shopWebhookBody } from '../helpers/pushes.js';

const ajv = createAjv();
const validEvent = ajv.compile(TrackingEvent);
const validOrder = ajv.compile(OrderInput);

/** Any UTF-16 unit (lone surrogates too), controls, markup, astral characters. */
const unit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u0000', '\u0007', '\n', '\r', '\u0085', '\ud800', '\udc00', '\ufffe', '\uffff'),
  fc.constantFrom('<', '&', '"', '\\', '%', '😀', 'é', ' '),
);
const hostileString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit, maxLength: 40 }),
  fc.integer({ min: 60, max: 20_000 }).map((n) => 'W'.repeat(n)),
  fc.constantFrom('', ' ', 'javascript:alert(1)', 'data:text/html,x', '../../etc/passwd', '\u0000', 'null'),
);
const hostileDate = fc.oneof(
  fc
    .date({ min: new Date('2000-01-02T00:00:00Z'), max: new Date(), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '+275760-09-13T00:00:00.000Z',
    '-000001-01-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '2999-12-31T23:59:59Z',
    '2025-02-30T10:00:00Z',
    '2025-03-12T07:55:10',
    '2025-03-12',
    'yesterday',
    '',
  ),
  hostileString,
  fc.integer().map(String),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const anyJson = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

const alphaEvent = fc.record(
  {
    id: maybe(fc.oneof(hostileString, fc.uuid())),
    code: fc.oneof(fc.constantFrom('DL', 'CH', 'CR', 'HL', 'DF', 'ZQ', 'PU', 'IT'), hostileString),
    description: maybe(fc.oneof(hostileString, anyJson)),
    occurred_at: fc.oneof(hostileDate, anyJson),
    location: maybe(
      fc.record({
        city: maybe(anyJson),
        country_code: maybe(fc.oneof(fc.constantFrom('US', 'UK', 'EU', 'DE'), hostileString)),
      }),
    ),
    exception: maybe(fc.record({ code: maybe(hostileString), description: maybe(hostileString) })),
    handover: maybe(fc.record({ carrier: maybe(hostileString), tracking_number: maybe(hostileString) })),
    estimated_delivery: maybe(hostileDate),
  },
  { requiredKeys: ['code', 'occurred_at'] },
);
const alphaPush = fc.record({
  id: fc.oneof(
    fc.uuid().map((u) => `evt_${u}`),
    hostileString,
  ),
  type: fc.oneof(fc.constant('tracking.updated'), hostileString),
  created: fc.oneof(fc.integer(), hostileString),
  data: fc.record({
    tracking_number: fc.oneof(fc.stringMatching(/^AL\d{10}$/), hostileString),
    events: fc.array(alphaEvent, { maxLength: 30 }),
  }),
});

/** The same JSON, as different byte strings a partner might send (each signed as sent). */
const encoding = fc.constantFrom('plain', 'bom', 'escaped', 'pretty');
function encode(value: unknown, how: string): Buffer {
  const json = JSON.stringify(value);
  if (how === 'bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json, 'utf8')]);
  if (how === 'pretty') return Buffer.from(JSON.stringify(value, null, 2), 'utf8');
  if (how === 'escaped') {
    // Every non-ASCII unit as a \u escape: lone surrogates become sendable this way.
    return Buffer.from(
      json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    );
  }
  return Buffer.from(json, 'utf8');
}

const OK_STATUSES = [202, 400, 413];

function heapMb(): number {
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

describe('fuzzed signed callbacks and webhooks', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  beforeAll(async () => {
    store = await freshStore('sqlite');
    gw = await pushGateway(store);
  });
  afterAll(async () => {
    await gw.app.close();
    await store.destroy();
  });

  it(
    'tracking callbacks: no 5xx, and every stored event is inside the canonical schema',
    { timeout: 60_000 },
    async () => {
      const statuses = new Map<number, number>();
      const before = heapMb();
      await fc.assert(
        fc.asyncProperty(alphaPush, encoding, async (push, how) => {
          const res = await sendAlpha(gw, { body: encode(push, how) });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          expect(OK_STATUSES, res.body).toContain(res.statusCode);
        }),
        { numRuns: 120 },
      );
      await drainInbound(store);
      expect(statuses.get(202) ?? 0).toBeGreaterThan(0);

      const rows = await store.db.selectFrom('tracking_events').selectAll().execute();
      const now = Date.now();
      for (const r of rows) {
        const event = {
          carrier: r.carrier,
          waybillNo: r.waybill_no,
          eventId: r.event_id,
          code: r.code,
          stage: r.stage,
          partnerCode: r.partner_code,
          description: r.description,
          occurredAt: new Date(r.occurred_at).toISOString(),
          ...(JSON.parse(r.detail) as object),
        };
        expect(
          validEvent(event),
          `${JSON.stringify(event).slice(0, 300)} ${ajv.errorsText(validEvent.errors)}`,
        ).toBe(true);
        expect(trackingEventIssues(event, now)).toEqual([]);
      }
      // Nothing of a refused push became a job that can never finish other than dead.
      const open = await store.db.selectFrom('jobs').select('status').where('status', '!=', 'dead').execute();
      expect(open).toEqual([]);
      expect(heapMb() - before).toBeLessThan(256);
    },
  );

  it(
    'order webhooks: no 5xx, and every stored order is a canonical order with an exact total',
    { timeout: 60_000 },
    async () => {
      const base = JSON.parse(shopWebhookBody) as Record<string, unknown>;
      const paths: (string | number)[][] = [
        ['email'],
        ['phone'],
        ['currency'],
        ['created_at'],
        ['note'],
        ['name'],
        ['shipping_address', 'name'],
        ['shipping_address', 'address1'],
        ['shipping_address', 'city'],
        ['shipping_address', 'zip'],
        ['shipping_address', 'country_code'],
        ['shipping_address', 'phone'],
        ['line_items', 0, 'sku'],
        ['line_items', 0, 'title'],
        ['line_items', 0, 'price'],
        ['line_items', 0, 'quantity'],
        ['line_items', 0, 'grams'],
        ['line_items', 0, 'harmonized_system_code'],
        ['line_items', 0, 'country_code_of_origin'],
      ];
      const value = fc.oneof(
        anyJson,
        hostileDate,
        fc.constantFrom('999999999999999.9999', '1e308', '-1', '0.00001', 'NaN', 'UK', 'EU', 'HRK', 'XK'),
        fc.integer({ min: -1, max: 2 ** 53 }),
      );
      const mutation = fc.array(fc.tuple(fc.constantFrom(...paths), value), { minLength: 1, maxLength: 4 });
      let n = 0;
      const before = heapMb();
      await fc.assert(
        fc.asyncProperty(mutation, encoding, async (changes, how) => {
          const order = structuredClone(base) as Record<string, unknown>;
          order.id = 9_000_000_000 + ++n;
          order.name = `#FZ-${n}`;
          for (const [path, v] of changes) {
            let at = order as Record<string | number, unknown>;
            for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
            at[path[path.length - 1] as string | number] = v;
          }
          const res = await sendShop(gw, { body: encode(order, how), webhookId: `fz-${n}` });
          expect(OK_STATUSES, res.body).toContain(res.statusCode);
        }),
        { numRuns: 120 },
      );
      await drainInbound(store);

      const rows = await store.db.selectFrom('orders').selectAll().execute();
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        const o = await readOrder(store.keys, row);
        const input: OrderInputT = {
          source: o.source,
          externalId: o.externalId,
          currency: o.currency,
          recipient: o.recipient,
          items: o.items,
          ...(o.placedAt ? { placedAt: o.placedAt } : {}),
        };
        expect(validOrder(input), `${o.externalId}: ${ajv.errorsText(validOrder.errors)}`).toBe(true);
        expect(o.totalValue).toBe(orderTotal(o.items));
      }
      expect(heapMb() - before).toBeLessThan(256);
    },
  );

  it('a body over the size limit is refused without being stored', async () => {
    const huge = {
      id: 'evt_big',
      type: 'tracking.updated',
      data: { tracking_number: 'AL0000000001', events: [], pad: 'x'.repeat(2 * 1024 * 1024) },
    };
    const before = (await store.db.selectFrom('inbound_messages').select('id').execute()).length;
    const res = await sendAlpha(gw, { body: JSON.stringify(huge) });
    expect(res.statusCode).toBe(413);
    expect((await store.db.selectFrom('inbound_messages').select('id').execute()).length).toBe(before);
  });
});
