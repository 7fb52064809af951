// A store of many orders for the responsiveness benchmark (bench/console.mjs), loaded fast:
// multi-row INSERTs through the store's own bulk helper (src/store/bulk.ts), in one transaction
// per batch. The orders look like a real hub's: five sales channels, ten destinations, four
// carriers, statuses in realistic shares (3 % failed with a dead shipment job, 1 % still
// retrying, 1 % cancelled, the rest shipped: mostly delivered or in transit, some held in
// customs or in exception), recipients sealed like the hub seals them (a pool of 1,000 sealed
// recipients, reused: sealing is not what is measured), two history lines per order, a waybill
// wait of seconds to hours, and three tracking events for every 20th shipment. A seeded random
// generator makes every run load the same store.
import { insertBulk } from '../../dist/store/bulk.js';
import { newId } from '../../dist/store/ids.js';
import { sealRecipient } from '../../dist/store/orders.js';

const DAY = 86_400_000;
export const SOURCES = ['shop-a', 'shop-b', 'shop-c', 'shop-d', 'shop-e'];
export const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'CA', 'AU', 'JP', 'NL', 'ES', 'IT'];
export const CARRIERS = ['carrier-alpha', 'carrier-beta', 'carrier-gamma', 'carrier-delta'];
const ERRORS = [
  { code: 'partner_rejected', status: 422, retryable: false, message: 'the partner refused the request' },
  { code: 'partner_server_error', status: 503, retryable: true, message: 'the partner answered 503' },
  { code: 'partner_timeout', retryable: true, message: 'the partner did not answer in time' },
  {
    code: 'partner_auth_failed',
    status: 401,
    retryable: false,
    message: 'the partner refused our credentials',
  },
  {
    code: 'partner_rate_limited',
    status: 429,
    retryable: true,
    message: 'the partner asked us to slow down',
  },
];
const SHIPPED = [
  // [shipment status, order status, cumulative share]
  ['delivered', 'delivered', 0.6],
  ['in_transit', 'in_transit', 0.8],
  ['out_for_delivery', 'out_for_delivery', 0.85],
  ['customs_processing', 'customs_processing', 0.88],
  ['customs_held', 'customs_held', 0.9],
  ['exception', 'exception', 0.93],
  ['info_received', 'waybill_issued', 1],
];

/** mulberry32: small, fast, seeded. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function recipientPool(cipher, rnd) {
  return Array.from({ length: 1000 }, (_, i) => {
    const country = COUNTRIES[i % COUNTRIES.length];
    return {
      country,
      sealed: sealRecipient(cipher, {
        name: `Customer ${i}`,
        phone: `+1415555${String(1000 + i).padStart(4, '0')}`,
        email: `customer${i}@example.com`,
        line1: `${1 + Math.floor(rnd() * 900)} Market St`,
        city: 'Springfield',
        postalCode: String(10000 + i),
        country,
      }),
    };
  });
}

const items = (i) =>
  JSON.stringify([
    {
      sku: `SKU-${i % 500}`,
      description: 'Ceramic mug',
      quantity: 1 + (i % 3),
      unitPrice: '12.50',
      hsCode: '691200',
      originCountry: 'CN',
      weightGrams: 350,
    },
  ]);

/**
 * Loads `count` orders created over the `days` before `now` into `store`, `batch` orders per
 * transaction; calls `progress(done)` after each batch. Returns the rows it wrote per table.
 */
export async function seedOrders(store, { count, days = 60, now = Date.now(), batch = 20_000, progress }) {
  const rnd = random(20261203);
  const recipients = recipientPool(store.keys.cipher, rnd);
  const start = now - days * DAY;
  const step = (days * DAY) / count;
  const written = { orders: 0, order_history: 0, shipments: 0, tracking_events: 0, jobs: 0 };
  for (let from = 0; from < count; from += batch) {
    const rows = { orders: [], order_history: [], shipments: [], tracking_events: [], jobs: [] };
    for (let i = from; i < Math.min(count, from + batch); i++) {
      const at = Math.floor(start + i * step);
      const id = newId('ord', at);
      const source = SOURCES[Math.floor(rnd() * SOURCES.length)];
      const r = recipients[Math.floor(rnd() * recipients.length)];
      const carrier =
        CARRIERS[(COUNTRIES.indexOf(r.country) + (source === 'shop-e' ? 1 : 0)) % CARRIERS.length];
      const roll = rnd();
      // Seconds to hours for the waybill; about 85 % within the hour.
      const wait = Math.floor(20_000 * Math.exp(rnd() * 6.5));
      let status;
      if (roll < 0.03) status = 'failed';
      else if (roll < 0.04) status = 'accepted';
      else if (roll < 0.05) status = 'cancelled';
      const shipped = status === undefined;
      let shipmentStatus;
      if (shipped) {
        const s = rnd();
        const row = SHIPPED.find(([, , share]) => s < share) ?? SHIPPED[0];
        shipmentStatus = row[0];
        status = row[1];
      }
      rows.orders.push({
        id,
        source,
        external_id: `SO-${i + 1}`,
        status,
        currency: 'USD',
        total_value: (12.5 * (1 + (i % 3))).toFixed(2),
        destination_country: r.country,
        ...r.sealed,
        items: items(i),
        customs_sealed: null,
        charges: null,
        placed_at: at - 60_000,
        created_at: at,
        updated_at: at + wait,
      });
      rows.order_history.push(
        { order_id: id, at, status: 'accepted', note: 'order accepted' },
        { order_id: id, at: at + wait, status, note: shipped ? 'waybill issued' : `order ${status}` },
      );
      if (shipped) {
        const waybill = `WB${String(i + 1).padStart(10, '0')}`;
        rows.shipments.push({
          id: newId('shp', at + wait),
          order_id: id,
          carrier,
          waybill_no: waybill,
          status: shipmentStatus,
          label_url: null,
          estimated_delivery: new Date(at + 7 * DAY).toISOString().slice(0, 10),
          last_event_at: at + wait,
          next_poll_at: null,
          created_at: at + wait,
          updated_at: at + wait,
        });
        if (i % 20 === 0) {
          const events = [
            ['LABEL_CREATED', 'pre_transit', 'Shipment information received'],
            ['PICKED_UP', 'first_mile', 'Picked up'],
            ['LINE_HAUL_DEPARTED', 'line_haul', 'Departed on line haul'],
          ];
          events.forEach(([code, stage, description], k) =>
            rows.tracking_events.push({
              id: newId('evt', at + wait + k * 3_600_000),
              carrier,
              waybill_no: waybill,
              event_id: `${waybill}-${k}`,
              code,
              stage,
              partner_code: code,
              description,
              occurred_at: at + wait + k * 3_600_000,
              detail: JSON.stringify({ location: { city: 'Shenzhen', country: 'CN' } }),
              received_at: at + wait + k * 3_600_000 + 5_000,
            }),
          );
        }
      } else if (status !== 'cancelled') {
        const error = ERRORS[Math.floor(rnd() * ERRORS.length)];
        const dead = status === 'failed';
        rows.jobs.push({
          id: newId('job', at),
          kind: 'shipment.create',
          partner_id: carrier,
          payload: JSON.stringify({ orderId: id, carrier }),
          dedupe_key: `shipment.create:${id}`,
          status: dead ? 'dead' : 'ready',
          attempts: dead ? 6 : 3,
          max_attempts: 6,
          // A retrying job waits for its next attempt a day ahead: the benchmark's hub runs no partners.
          run_at: dead ? at + wait : now + DAY,
          lease_owner: null,
          lease_until: null,
          last_error: JSON.stringify({ ...error, partnerId: carrier }),
          error_sealed: null,
          history: JSON.stringify([
            { at: at + wait, attempt: 1, outcome: dead ? 'dead' : 'retry', error: error.code },
          ]),
          created_at: at,
          updated_at: at + wait,
        });
      }
    }
    await store.db.transaction().execute(async (trx) => {
      for (const [table, list] of Object.entries(rows)) {
        await insertBulk(trx, store.dialect, table, list);
        written[table] += list.length;
      }
    });
    progress?.(Math.min(count, from + batch));
  }
  return written;
}
