import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyStockChange,
  applyStockFigures,
  expectInbound,
  releaseOrder,
  reserveForOrder,
  type StockChange,
} from '../src/pipeline/inventory.js';
import { stockViews } from '../src/pipeline/inventory-view.js';
import {
  historyOf,
  levelsOf,
  markReachable,
  markUnreachable,
  replaceSnapshotInventory,
} from '../src/store/inventory.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { gatewayFor } from './helpers/gateway.js';

const WH = 'wh-east';
const change = (
  c: Partial<StockChange> & Pick<StockChange, 'eventId' | 'delta' | 'occurredAt'>,
): StockChange => ({
  sku: 'SKU-1',
  kind: 'adjustment',
  ...c,
});

for (const dialect of DIALECTS) {
  describe(`inventory on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
    });
    afterEach(async () => store.destroy());

    const level = async (sku = 'SKU-1', wh = WH) => (await levelsOf(store.db, { sku, warehouseId: wh }))[0];
    const push = (c: StockChange) => store.write((trx) => applyStockChange(trx, WH, c));

    it('applies a re-delivered stock change once', async () => {
      await applyStockFigures(store, WH, [{ sku: 'SKU-1', onHand: 10 }], 1000);
      expect(await push(change({ eventId: 'e1', delta: -3, occurredAt: 2000 }))).toBe('applied');
      expect(await push(change({ eventId: 'e1', delta: -3, occurredAt: 2000 }))).toBe('duplicate');
      expect((await level())?.on_hand).toBe(7);
    });

    it('does not count twice a change the pulled figure already includes', async () => {
      await applyStockFigures(store, WH, [{ sku: 'SKU-1', onHand: 10 }], 1000);
      // The count of 3000 already includes the change of 2000, which arrives late.
      await applyStockFigures(store, WH, [{ sku: 'SKU-1', onHand: 6 }], 3000);
      expect(await push(change({ eventId: 'e1', delta: -4, occurredAt: 2000 }))).toBe('included');
      expect((await level())?.on_hand).toBe(6);
    });

    it('adds back the later changes to a figure that arrives after them, and ignores a stale figure', async () => {
      await push(change({ eventId: 'e1', delta: 5, occurredAt: 4000, kind: 'inbound_received' }));
      await applyStockFigures(store, WH, [{ sku: 'SKU-1', onHand: 10 }], 3000);
      expect((await level())?.on_hand).toBe(15);
      await applyStockFigures(store, WH, [{ sku: 'SKU-1', onHand: 99 }], 2000);
      const row = await level();
      expect(row?.on_hand).toBe(15);
      expect(row?.on_hand_source).toBe('pull');
    });

    it('holds stock for an order until the warehouse reports it shipped, once per order', async () => {
      await applyStockFigures(store, WH, [{ sku: 'SKU-1', onHand: 10 }], 1000);
      await store.write((trx) => reserveForOrder(trx, 'ord_1', WH, [{ sku: 'SKU-1', quantity: 2 }]));
      await store.write((trx) => reserveForOrder(trx, 'ord_1', WH, [{ sku: 'SKU-1', quantity: 2 }]));
      expect(await level()).toMatchObject({ on_hand: 10, reserved: 2 });
      await push(
        change({
          eventId: 'ship-1',
          delta: -2,
          occurredAt: 2000,
          kind: 'outbound_shipped',
          reference: 'ord_1',
        }),
      );
      expect(await level()).toMatchObject({ on_hand: 8, reserved: 0 });
      await store.write((trx) => reserveForOrder(trx, 'ord_2', WH, [{ sku: 'SKU-1', quantity: 3 }]));
      await store.write((trx) => releaseOrder(trx, 'ord_2'));
      expect(await level()).toMatchObject({ on_hand: 8, reserved: 0 });
    });

    it('keeps an inbound receipt in transit until its quantities are received', async () => {
      await store.write((trx) => expectInbound(trx, WH, 'ASN-1', [{ sku: 'SKU-1', quantity: 20 }]));
      expect(await level()).toMatchObject({ on_hand: 0, in_transit: 20, in_transit_source: 'asn' });
      await push(
        change({ eventId: 'r1', delta: 12, occurredAt: 2000, kind: 'inbound_received', reference: 'ASN-1' }),
      );
      expect(await level()).toMatchObject({ on_hand: 12, in_transit: 8 });
      // More than announced arrives: all of it is on hand, transit never goes below zero.
      await push(
        change({ eventId: 'r2', delta: 10, occurredAt: 3000, kind: 'inbound_received', reference: 'ASN-1' }),
      );
      expect(await level()).toMatchObject({ on_hand: 22, in_transit: 0 });
      const h = await historyOf(store.db, 'SKU-1', { limit: 10 });
      expect(h.map((e) => e.change)).toEqual(['inbound_received', 'inbound_received', 'asn_sent']);
      expect(h[0]).toMatchObject({ on_hand_delta: 10, in_transit_delta: -8, reference: 'ASN-1' });
    });

    it('ends at the warehouse count however pulls and pushes interleave and repeat', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 500 }),
          fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 8 }),
          fc.array(fc.nat({ max: 8 }), { maxLength: 3 }),
          fc.func(fc.integer()),
          async (initial, deltas, pullsAfter, shuffle) => {
            const wh = `wh-p${run++}`;
            // The warehouse's truth: the initial count at t=1000, then one change every 1000 ms.
            const changes = deltas.map((delta, i) => ({
              eventId: `e${i}`,
              sku: 'P',
              kind: 'adjustment' as const,
              delta,
              occurredAt: 2000 + i * 1000,
            }));
            const countAt = (n: number) => initial + deltas.slice(0, n).reduce((a, b) => a + b, 0);
            type Delivery = { pull: number } | { change: StockChange };
            const deliveries: Delivery[] = [
              { pull: 0 },
              ...pullsAfter.map((n) => ({ pull: Math.min(n, deltas.length) })),
              ...changes.map((c) => ({ change: c })),
              ...changes.slice(0, 2).map((c) => ({ change: c })), // re-deliveries
            ];
            const order = deliveries
              .map((d, i) => ({ d, k: shuffle(i) }))
              .sort((a, b) => a.k - b.k)
              .map((x) => x.d);
            for (const d of order) {
              if ('pull' in d) {
                await applyStockFigures(
                  store,
                  wh,
                  [{ sku: 'P', onHand: countAt(d.pull) }],
                  1000 + d.pull * 1000 + 500,
                );
              } else {
                await store.write((trx) => applyStockChange(trx, wh, d.change));
              }
            }
            const row = (await levelsOf(store.db, { sku: 'P', warehouseId: wh }))[0];
            expect(row?.on_hand).toBe(countAt(deltas.length));
          },
        ),
        { numRuns: dialect === 'postgres' ? 15 : 40 },
      );
    });

    it('serves the snapshot, flagged with its age, once the warehouse is down beyond its threshold', async () => {
      const t0 = Date.now();
      await applyStockFigures(store, WH, [{ sku: 'SKU-1', onHand: 10 }], t0 - 10_000);
      await replaceSnapshotInventory(store.db, [
        {
          warehouse_id: WH,
          sku: 'SKU-1',
          on_hand: 9,
          reserved: 1,
          taken_at: t0 - 3_600_000,
          snapshot_id: 'snap_1',
        },
      ]);
      await markReachable(store.db, WH, t0 - 7_200_000);
      await markUnreachable(store.db, WH, 'connect ECONNREFUSED', t0 - 20 * 60_000);
      let [view] = await stockViews(store.db, { sku: 'SKU-1' }, { nowMs: t0 });
      expect(view).toMatchObject({ source: 'warehouse', onHand: 10, available: 10 });
      // A later failure does not restart the outage clock.
      await markUnreachable(store.db, WH, 'timeout', t0 - 60_000);
      await store.write((trx) => reserveForOrder(trx, 'ord_9', WH, [{ sku: 'SKU-1', quantity: 3 }], t0));
      [view] = await stockViews(store.db, { sku: 'SKU-1' }, { nowMs: t0 + 11 * 60_000 });
      expect(view).toMatchObject({
        source: 'snapshot',
        onHand: 9,
        reserved: 4,
        available: 5,
        snapshot: { id: 'snap_1', ageSeconds: 3600 + 11 * 60 },
      });
      await markReachable(store.db, WH, t0 + 12 * 60_000);
      [view] = await stockViews(store.db, { sku: 'SKU-1' }, { nowMs: t0 + 12 * 60_000 });
      expect(view).toMatchObject({ source: 'warehouse', onHand: 10, reserved: 3, available: 7 });
    });

    it('answers GET /v1/inventory and the history per SKU to inventory:read only', async () => {
      const gw = await gatewayFor(store);
      await applyStockFigures(
        store,
        WH,
        [
          { sku: 'SKU-1', onHand: 10 },
          { sku: 'SKU-2', onHand: 1 },
        ],
        1000,
      );
      await store.write((trx) => reserveForOrder(trx, 'ord_1', WH, [{ sku: 'SKU-2', quantity: 3 }]));
      const res = await gw.call('GET', `/v1/inventory?warehouse=${WH}`);
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: Array<Record<string, unknown>> };
      expect(body.items).toHaveLength(2);
      expect(body.items[1]).toMatchObject({
        sku: 'SKU-2',
        onHand: 1,
        reserved: 3,
        available: 0,
        oversold: 2,
        source: 'warehouse',
        figures: { onHand: { source: 'pull' }, reserved: { source: 'hub' } },
      });
      const hist = await gw.call('GET', '/v1/inventory/SKU-2/history?limit=1');
      expect(hist.json()).toMatchObject({
        sku: 'SKU-2',
        entries: [
          {
            change: 'reserve',
            reference: 'ord_1',
            delta: { reserved: 3 },
            after: { onHand: 1, reserved: 3 },
          },
        ],
      });
      expect((hist.json() as { next: unknown }).next).not.toBeNull();
      const bad = await gw.call('GET', '/v1/inventory?sku=%27%20or%201%3D1');
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: 'validation_failed' } });
      const orderOnly = await gw.keyWith({ scopes: ['orders:read'] });
      const denied = await gw.callAs(orderOnly, 'GET', '/v1/inventory');
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toMatchObject({ error: { code: 'missing_permission' } });
      await gw.app.close();
    });
  });
}
