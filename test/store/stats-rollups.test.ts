/**
 * The hourly statistics rollups (migration 028, SQLite) give the console the same answers as
 * the raw aggregates over the rows, whatever was written: random streams of orders and
 * shipments inserted, moved between statuses, carriers changed and rows deleted, then random
 * windows (partial hours at either end included) and buckets compared query by query. A rebuild
 * from the rows leaves the rollups unchanged. On PostgreSQL (no rollups: the raw aggregates are
 * answered directly) the same suite runs through the same entry points.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import * as raw from '../../src/store/console-stats.js';
import * as rolled from '../../src/store/stats-rollups.js';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 3, 0, 0, 0);
const SOURCES = ['shop-a', 'shop-b', 'shop-c'];
const ORDER_STATUSES = ['accepted', 'waybill_issued', 'in_transit', 'delivered', 'failed', 'cancelled'];
const CARRIERS = ['carrier-alpha', 'carrier-beta'];
const SHIPMENT_STATUSES = ['created', 'in_transit', 'exception', 'delivered'];

type Cmd =
  | { op: 'order'; at: number; source: string; status: string }
  | { op: 'orderStatus'; i: number; status: string }
  | { op: 'ship'; i: number; carrier: string; status: string; waitMs: number }
  | { op: 'shipStatus'; i: number; status: string }
  | { op: 'shipCarrier'; i: number; carrier: string }
  | { op: 'deleteShipment'; i: number };

const at = fc.integer({ min: 0, max: 30 * HOUR - 1 }).map((x) => T0 + x);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('order' as const),
      at,
      source: fc.constantFrom(...SOURCES),
      status: fc.constantFrom(...ORDER_STATUSES),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('orderStatus' as const),
      i: fc.nat(),
      status: fc.constantFrom(...ORDER_STATUSES),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('ship' as const),
      i: fc.nat(),
      carrier: fc.constantFrom(...CARRIERS),
      status: fc.constantFrom(...SHIPMENT_STATUSES),
      // Either side of the one-hour on-time mark, and across hour boundaries.
      waitMs: fc.oneof(fc.integer({ min: 0, max: 2 * HOUR }), fc.constant(HOUR), fc.constant(HOUR + 1)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('shipStatus' as const),
      i: fc.nat(),
      status: fc.constantFrom(...SHIPMENT_STATUSES),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('shipCarrier' as const),
      i: fc.nat(),
      carrier: fc.constantFrom(...CARRIERS),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteShipment' as const), i: fc.nat() }) },
);
const windowArb = fc
  .tuple(fc.integer({ min: -2 * HOUR, max: 34 * HOUR }), fc.integer({ min: 0, max: 36 * HOUR }))
  .map(([a, len]) => ({ from: T0 + a, to: T0 + a + len }));
const bucketArb = fc.constantFrom(300_000, HOUR, 86_400_000);
const withinArb = fc.constantFrom(HOUR, 30 * 60_000);

const sorted = <T>(rows: readonly T[]) => rows.map((r) => JSON.stringify(r)).sort();

for (const dialect of DIALECTS) {
  describe(`statistics rollups answer as the rows do (${dialect})`, () => {
    let store: TestStore;
    let seq = 0;
    beforeAll(async () => {
      store = await freshStore(dialect);
    });
    afterAll(async () => {
      await store.destroy();
    });

    async function apply(cmds: readonly Cmd[]): Promise<void> {
      const orders: Array<{ id: string; at: number }> = [];
      const shipments: string[] = [];
      for (const c of cmds) {
        await store.write(async (trx) => {
          if (c.op === 'order') {
            const id = `ord_t${++seq}`;
            await trx
              .insertInto('orders')
              .values({
                id,
                source: c.source,
                external_id: `SO-${seq}`,
                status: c.status,
                currency: 'USD',
                total_value: '10.00',
                destination_country: 'US',
                recipient: 'sealed',
                recipient_email_bidx: null,
                recipient_phone_bidx: null,
                items: '[]',
                customs_sealed: null,
                charges: null,
                notes_sealed: null,
                placed_at: c.at,
                created_at: c.at,
                updated_at: c.at,
              })
              .execute();
            orders.push({ id, at: c.at });
          } else if (c.op === 'orderStatus' && orders.length > 0) {
            const o = orders[c.i % orders.length]!;
            await trx.updateTable('orders').set({ status: c.status }).where('id', '=', o.id).execute();
          } else if (c.op === 'ship' && orders.length > 0) {
            const o = orders[c.i % orders.length]!;
            const id = `shp_t${++seq}`;
            const res = await trx
              .insertInto('shipments')
              .values({
                id,
                order_id: o.id,
                carrier: c.carrier,
                waybill_no: `WB${seq}`,
                status: c.status,
                label_url: null,
                estimated_delivery: null,
                last_event_at: null,
                next_poll_at: null,
                created_at: o.at + c.waitMs,
                updated_at: o.at + c.waitMs,
              })
              .onConflict((oc) => oc.column('order_id').doNothing())
              .executeTakeFirst();
            if (Number(res.numInsertedOrUpdatedRows ?? 0) > 0) shipments.push(id);
          } else if (c.op === 'shipStatus' && shipments.length > 0) {
            const id = shipments[c.i % shipments.length]!;
            await trx.updateTable('shipments').set({ status: c.status }).where('id', '=', id).execute();
          } else if (c.op === 'shipCarrier' && shipments.length > 0) {
            const id = shipments[c.i % shipments.length]!;
            await trx.updateTable('shipments').set({ carrier: c.carrier }).where('id', '=', id).execute();
          } else if (c.op === 'deleteShipment' && shipments.length > 0) {
            const id = shipments.splice(c.i % shipments.length, 1)[0]!;
            await trx.deleteFrom('shipments').where('id', '=', id).execute();
          }
        });
      }
    }

    async function compare(w: { from: number; to: number }, bucketMs: number, withinMs: number) {
      const db = store.db;
      const d = store.dialect;
      expect(sorted(await rolled.orderVolumeSeries(db, d, w, bucketMs))).toEqual(
        sorted(await raw.orderVolumeSeries(db, w, bucketMs)),
      );
      expect(sorted(await rolled.ordersBySource(db, d, w))).toEqual(sorted(await raw.ordersBySource(db, w)));
      expect(sorted(await rolled.failedOrdersBySource(db, d, w))).toEqual(
        sorted(await raw.failedOrdersBySource(db, w)),
      );
      expect(sorted(await rolled.carrierTimeliness(db, d, w, bucketMs, withinMs))).toEqual(
        sorted(await raw.carrierTimeliness(db, w, bucketMs, withinMs)),
      );
      expect(sorted(await rolled.shipmentsByCarrierStatus(db, d, w))).toEqual(
        sorted(await raw.shipmentsByCarrierStatus(db, w)),
      );
    }

    async function rollupRows(): Promise<string[]> {
      if (dialect !== 'sqlite') return [];
      const o = await sql<Record<string, unknown>>`select * from stats_orders_hourly where n <> 0`.execute(
        store.db,
      );
      const s = await sql<Record<string, unknown>>`select * from stats_shipments_hourly where n <> 0`.execute(
        store.db,
      );
      return sorted([...o.rows, ...s.rows]);
    }

    async function clear(): Promise<void> {
      await store.write(async (trx) => {
        await trx.deleteFrom('shipments').execute();
        await trx.deleteFrom('orders').execute();
      });
    }

    it('every query over random writes and windows equals the raw aggregate', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(cmd, { minLength: 1, maxLength: 40 }),
          fc.array(fc.tuple(windowArb, bucketArb, withinArb), { minLength: 1, maxLength: 4 }),
          async (cmds, queries) => {
            await clear();
            await apply(cmds);
            for (const [w, bucketMs, withinMs] of queries) await compare(w, bucketMs, withinMs);
            // The whole span in whole hours: read from the rollups alone.
            await compare({ from: T0, to: T0 + 30 * HOUR }, 86_400_000, HOUR);
          },
        ),
        { numRuns: dialect === 'sqlite' ? 40 : 15 },
      );
    }, 300_000);

    it('a bucket holding a partial hour and whole hours adds their counts and keeps its time', async () => {
      await clear();
      await apply([
        { op: 'order', at: T0 + 10 * 60_000, source: 'shop-a', status: 'delivered' },
        { op: 'order', at: T0 + 2 * HOUR, source: 'shop-a', status: 'delivered' },
        { op: 'ship', i: 0, carrier: 'carrier-alpha', status: 'delivered', waitMs: 60_000 },
        { op: 'ship', i: 1, carrier: 'carrier-alpha', status: 'delivered', waitMs: 60_000 },
      ]);
      const w = { from: T0 + 5 * 60_000, to: T0 + 5 * HOUR };
      expect(await rolled.orderVolumeSeries(store.db, store.dialect, w, 86_400_000)).toEqual([
        { at: T0, status: 'delivered', count: 2 },
      ]);
      expect(await rolled.carrierTimeliness(store.db, store.dialect, w, 86_400_000, HOUR)).toEqual([
        {
          at: T0,
          carrier: 'carrier-alpha',
          shipments: 2,
          waitSumMs: 120_000,
          onTime: 2,
          exceptions: 0,
          delivered: 2,
        },
      ]);
      await compare(w, 86_400_000, HOUR);
    });

    it('deleting every row leaves every rollup at zero; a rebuild reproduces the kept rollups', async () => {
      await clear();
      expect(await rollupRows()).toEqual([]);
      const cmds = fc.sample(fc.array(cmd, { minLength: 60, maxLength: 60 }), { numRuns: 1, seed: 28 })[0]!;
      await apply(cmds);
      const kept = await rollupRows();
      if (dialect === 'sqlite') expect(kept.length).toBeGreaterThan(0);
      expect(await rolled.rebuildStatsRollups(store)).toEqual({ rebuilt: dialect === 'sqlite' });
      expect(await rollupRows()).toEqual(kept);
      await compare({ from: T0 - HOUR, to: T0 + 31 * HOUR }, HOUR, HOUR);
    }, 120_000);
  });
}
