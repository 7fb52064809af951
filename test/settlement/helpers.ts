/** Shared fixtures of the settlement suites: shipped orders and the sandbox bill of them. */
import { orderFixture } from '../helpers/fixtures.js';
import { insertOrder } from '../../src/store/orders.js';
import { insertShipment } from '../../src/store/shipments.js';
import type { Store } from '../../src/store/db.js';
import type { LedgerEntry } from '../../src/sandbox/billing.js';
import type { FxSource } from '../../src/pipeline/settlement/fx.js';

const PLACES = [
  { country: 'US', postalCode: '78701', city: 'Austin', state: 'TX' },
  { country: 'US', postalCode: '94105', city: 'San Francisco', state: 'CA' },
  { country: 'DE', postalCode: '10115', city: 'Berlin' },
  { country: 'JP', postalCode: '100-0001', city: 'Tokyo' },
  { country: 'GB', postalCode: 'EH1 1AA', city: 'Edinburgh' },
];

/** `n` orders shipped by `carrier` in November 2026, and the carrier's ledger of them. */
export async function shipOrders(
  store: Store,
  carrier: string,
  n: number,
  prefix: string,
): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  await store.write(async (trx) => {
    for (let i = 0; i < n; i++) {
      const place = PLACES[i % PLACES.length]!;
      const weight = 150 + ((i * 397) % 2900);
      const input = orderFixture({
        externalId: `${prefix}-${i}`,
        items: [
          {
            sku: 'MUG-01',
            description: 'Ceramic mug',
            quantity: 1 + (i % 3),
            unitPrice: '12.50',
            hsCode: '691200',
            originCountry: 'CN',
            weightGrams: weight,
          },
        ],
      });
      input.recipient = { ...input.recipient, ...place };
      const atMs = Date.UTC(2026, 10, 2 + (i % 27), 10);
      const orderId = `ord_${prefix}_${i}`;
      await insertOrder(trx, store.keys.cipher, {
        id: orderId,
        input,
        totalValue: '12.50',
        status: 'in_transit',
        nowMs: atMs,
      });
      const waybillNo = `${prefix.toUpperCase()}${String(i).padStart(8, '0')}`;
      await insertShipment(trx, {
        id: `shp_${prefix}_${i}`,
        order_id: orderId,
        carrier,
        waybill_no: waybillNo,
        status: 'in_transit',
        label_url: null,
        estimated_delivery: null,
        last_event_at: null,
        next_poll_at: null,
        created_at: atMs,
        updated_at: atMs,
      });
      entries.push({
        carrier,
        waybillNo,
        country: place.country,
        postalCode: place.postalCode,
        weightGrams: weight * (1 + (i % 3)),
        atMs,
      });
    }
  });
  return entries;
}

/** A rate source that knows a few fixed rates and counts its calls. */
export function fixedRates(rates: Record<string, string>): FxSource & { calls: number } {
  return {
    name: 'test-bank',
    calls: 0,
    async rate(base: string, quote: string) {
      this.calls++;
      return rates[`${base}/${quote}`];
    },
  };
}
