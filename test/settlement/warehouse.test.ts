/**
 * Warehouse bills reconciled against the warehouse's rate card (handling, pick per unit,
 * outbound, storage per unit-day), keyed by the hub's order id: the sandbox warehouse's statement
 * with planted over-charges has exactly those lines flagged, each by its fee; a correct statement
 * has none. On SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRateCards } from '../../src/pipeline/settlement/cards.js';
import { receiveBill } from '../../src/pipeline/settlement/bills.js';
import { reconcileBill } from '../../src/pipeline/settlement/reconcile.js';
import { insertOrder } from '../../src/store/orders.js';
import { linesOf } from '../../src/store/settlement.js';
import {
  issueWarehouseBill,
  renderWarehouseBill,
  type WarehouseShipped,
} from '../../src/sandbox/warehouse-bills.js';
import { orderFixture } from '../helpers/fixtures.js';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import type { Store } from '../../src/store/db.js';

const book = loadRateCards(new URL('../../config/rate-cards', import.meta.url).pathname);
const card = book.warehouseCard('warehouse-sandbox', '2026-11-30')!;

function seeded(seed: number) {
  let s = seed;
  return () => ((s = (s * 48271) % 2147483647), s / 2147483647);
}

/** `n` orders the warehouse shipped in November 2026, 1 to 4 units each, stored 0 to 40 days. */
async function shippedOrders(store: Store, n: number, prefix: string): Promise<WarehouseShipped[]> {
  const out: WarehouseShipped[] = [];
  await store.write(async (trx) => {
    for (let i = 0; i < n; i++) {
      const quantity = 1 + (i % 4);
      const input = orderFixture({
        externalId: `${prefix}-${i}`,
        items: [{ ...orderFixture().items[0]!, quantity }],
      });
      const id = `ord_${prefix}${String(i).padStart(6, '0')}`;
      await insertOrder(trx, store.keys.cipher, {
        id,
        input,
        totalValue: '12.50',
        status: 'delivered',
        nowMs: Date.UTC(2026, 10, 1 + (i % 28)),
      });
      out.push({ orderRef: id, units: quantity, storageDays: (i * 7) % 41 });
    }
  });
  return out;
}

const COMPONENT = { storage_rate: 'storage', pick_units: 'pick', fee_not_due: 'surcharge' } as const;

for (const dialect of DIALECTS) {
  describe(`warehouse bills on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
    });
    afterEach(async () => {
      await store.destroy();
    });

    it('flags exactly the planted over-charges of a warehouse statement, each by its fee', async () => {
      const shipped = await shippedOrders(store, 120, 'wh');
      const bill = issueWarehouseBill(
        card,
        shipped,
        { statementNo: 'SZ-2026-11', month: '2026-11', statementDate: '2026-12-01' },
        { overchargeShare: 0.25, random: seeded(11) },
      );
      expect(new Set(bill.planted.map((p) => p.kind)).size).toBe(4);
      const received = await receiveBill(store, book, {
        partnerId: 'warehouse-sandbox',
        format: 'json',
        body: renderWarehouseBill(bill),
      });
      const summary = await reconcileBill(store, book, received.billId, { actor: 'test' });
      expect(summary).toMatchObject({ lines: bill.rows.length, currency: 'CNY', reportingCurrency: 'CNY' });
      const lines = await linesOf(store.db, received.billId);
      const flagged = lines.filter((l) => l.status !== 'ok');
      expect(flagged.map((l) => l.line_no)).toEqual(bill.planted.map((p) => p.no));
      for (const p of bill.planted) {
        const line = lines.find((l) => l.line_no === p.no)!;
        if (p.kind === 'duplicate') {
          expect([p.no, line.status]).toEqual([p.no, 'duplicate']);
          continue;
        }
        const [d, ...more] = JSON.parse(line.discrepancies) as {
          component: string;
          code: string;
          difference: string;
        }[];
        expect([p.no, d?.component, more]).toEqual([p.no, COMPONENT[p.kind], []]);
        expect(Number(d!.difference)).toBeGreaterThan(0);
      }
      // A pick over-charge is one unit's price; the packaging fee is all over-charge.
      const pick = bill.planted.find((p) => p.kind === 'pick_units')!;
      expect(JSON.parse(lines.find((l) => l.line_no === pick.no)!.discrepancies)[0]).toMatchObject({
        code: 'pick',
        difference: '0.80',
        differenceReporting: '0.80',
      });
    });

    it('finds nothing wrong on a correct statement, and an order the hub does not know is unknown', async () => {
      const shipped = await shippedOrders(store, 200, 'wc');
      const bill = issueWarehouseBill(
        card,
        [...shipped, { orderRef: 'ord_notours000001', units: 1, storageDays: 2 }],
        { statementNo: 'SZ-OK-2026-11', month: '2026-11', statementDate: '2026-12-01' },
        { overchargeShare: 0 },
      );
      const received = await receiveBill(store, book, {
        partnerId: 'warehouse-sandbox',
        format: 'json',
        body: renderWarehouseBill(bill),
      });
      const summary = await reconcileBill(store, book, received.billId, { actor: 'test' });
      expect(summary).toMatchObject({ lines: 201, ok: 200, flagged: 1, byStatus: { unknown_waybill: 1 } });
    });
  });
}
