/**
 * Inventory sync end to end over real HTTP: the sandbox warehouse (its own dialect and signing)
 * and a hub; stock pulled on schedule and pushed as signed events into the durable queue, under
 * concurrent outbound orders, inbound receipts, adjustments and damage. At the end the hub's
 * figures equal the warehouse's, SKU by SKU.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectInbound, reserveForOrder } from '../src/pipeline/inventory.js';
import { announceStock } from '../src/pipeline/jobs/stock-publish.js';
import { allLinks, historyOf, levelsOf, reservationsOf } from '../src/store/inventory.js';
import type { OrderItem } from '../src/domain/index.js';
import { stockViews } from '../src/pipeline/inventory-view.js';
import { DIALECTS } from './helpers/stores.js';
import { startHarness, waitFor, type Harness } from './helpers/harness.js';
import { SANDBOX_WAREHOUSE, sandboxWarehousePartner } from './helpers/sandbox-warehouse.js';

const WH = SANDBOX_WAREHOUSE;
const SKUS = Array.from({ length: 12 }, (_, i) => `SKU-${String(i).padStart(3, '0')}`);

const item = (sku: string, quantity: number): OrderItem => ({
  sku,
  description: 'T-shirt',
  quantity,
  unitPrice: '9.90',
  hsCode: '610910',
  originCountry: 'CN',
  weightGrams: 200,
});

const withWarehouse = (
  doc: { partners: Record<string, Record<string, unknown>> } & Record<string, unknown>,
) => {
  doc.partners[WH] = sandboxWarehousePartner();
  doc.inventory = { pullIntervalMs: 300, outageThresholdMinutes: 30 };
};

for (const dialect of DIALECTS) {
  describe(`warehouse inventory sync on ${dialect}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it("ends with the hub's stock equal to the warehouse's after concurrent orders, receipts and adjustments", async () => {
      h = await startHarness({ dialect, edit: withWarehouse });
      const { hub, sandbox } = h;
      const wh = sandbox.warehouse;
      wh.seed(Object.fromEntries(SKUS.map((s, i) => [s, 50 + i])));
      const connector = hub.partners().warehouse(WH)!;
      await waitFor(
        async () => (await levelsOf(hub.store.db, { warehouseId: WH })).length === SKUS.length,
        30_000,
        'the first stock pull',
      );

      let n = 0;
      const rnd = (k: number) => (n = (n * 1103515245 + 12345) % 2 ** 31) % k;
      const order = async (i: number) => {
        const sku = SKUS[rnd(SKUS.length)]!;
        const orderId = `ord_sync${dialect}${i}`;
        await hub.store.write(async (trx) => {
          await reserveForOrder(trx, orderId, WH, [{ sku, quantity: 1 + rnd(3) }]);
          await announceStock(trx, ['sandbox-shop'], [sku]);
        });
        const [res] = await reservationsOf(hub.store.db, orderId);
        await connector.createOutbound!({
          orderId,
          idempotencyKey: orderId,
          recipient: {
            name: 'Test Buyer',
            line1: '1 Main St',
            city: 'Austin',
            postalCode: '78701',
            country: 'US',
          },
          items: [item(sku, res!.quantity)],
        });
        if (rnd(3) > 0) wh.ship(orderId);
      };
      const receipt = async (i: number) => {
        const sku = SKUS[rnd(SKUS.length)]!;
        const ref = `ASN-${dialect}-${i}`;
        const qty = 5 + rnd(10);
        await hub.store.write((trx) => expectInbound(trx, WH, ref, [{ sku, quantity: qty }]));
        await connector.createInbound!({ reference: ref, lines: [{ sku, quantity: qty }] });
        wh.receive(ref, { [sku]: qty - rnd(2) });
      };
      const adjust = async () => {
        const sku = SKUS[rnd(SKUS.length)]!;
        if (rnd(2) === 0) wh.adjust(sku, rnd(7) - 3);
        else wh.adjust(sku, 1 + rnd(2), 'STOCK_DAMAGED');
      };
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? order(i) : i % 3 === 1 ? receipt(i) : adjust())),
      );

      const truth = () => wh.stock();
      await waitFor(
        async () => {
          if (wh.undelivered() > 0) return false;
          const rows = await levelsOf(hub.store.db, { warehouseId: WH });
          const t = truth();
          return rows.every((r) => r.on_hand === t[r.sku]?.physical && r.reserved === t[r.sku]?.locked);
        },
        60_000,
        "the hub's stock to equal the warehouse's",
      );
      const views = await stockViews(hub.store.db, { warehouseId: WH });
      const t = truth();
      expect(views).toHaveLength(SKUS.length);
      for (const v of views) {
        expect({ sku: v.sku, onHand: v.onHand, reserved: v.reserved, available: v.available }).toEqual({
          sku: v.sku,
          onHand: t[v.sku]!.physical,
          reserved: t[v.sku]!.locked,
          available: Math.max(0, t[v.sku]!.available),
        });
      }
      // The shop shows, SKU by SKU, the hub's available stock.
      await waitFor(
        () => views.every((v) => sandbox.shop.stockLevels()[v.sku]?.available === v.available),
        60_000,
        "the shop's stock to equal the hub's available stock",
      );
      // No push was refused on the way (none dead-lettered).
      const dead = await hub.store.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('kind', '=', 'inbound.stock')
        .where('status', '=', 'dead')
        .executeTakeFirst();
      expect(Number(dead?.n)).toBe(0);
    }, 180_000);

    it('retries stock pushes a shop refuses for a while, then shows the right figure; stock is never rolled back', async () => {
      h = await startHarness({ dialect, edit: withWarehouse });
      const { hub, sandbox } = h;
      const wh = sandbox.warehouse;
      wh.seed({ 'SKU-P1': 10, 'SKU-P2': 20 });
      // Each SKU is pushed by its own job: wait for both, not for the one that happened to be last.
      await waitFor(
        () =>
          sandbox.shop.stockLevels()['SKU-P1']?.available === 10 &&
          sandbox.shop.stockLevels()['SKU-P2']?.available === 20,
        30_000,
        'the first pushes',
      );
      sandbox.shop.failStockUpdates(true);
      wh.adjust('SKU-P1', -4);
      wh.adjust('SKU-P2', 2, 'STOCK_DAMAGED');
      wh.adjust('SKU-P1', 1);
      const refused = () => (sandbox.stats().shop as { stockRefused: number }).stockRefused;
      await waitFor(() => refused() >= 6, 60_000, 'several refused pushes');
      // While the shop refuses, the hub keeps the warehouse's figures: nothing is undone.
      const during = await levelsOf(hub.store.db, { warehouseId: WH });
      expect(during.map((l) => [l.sku, l.on_hand])).toEqual([
        ['SKU-P1', 7],
        ['SKU-P2', 18],
      ]);
      expect(sandbox.shop.stockLevels()['SKU-P1']?.available).toBe(10);
      const retried = await hub.store.db
        .selectFrom('jobs')
        .select(['attempts', 'status'])
        .where('kind', '=', 'stock.publish')
        .execute();
      expect(retried.length).toBeGreaterThan(0);
      expect(retried.every((j) => j.status !== 'dead')).toBe(true);
      sandbox.shop.failStockUpdates(false);
      await waitFor(
        () =>
          sandbox.shop.stockLevels()['SKU-P1']?.available === 7 &&
          sandbox.shop.stockLevels()['SKU-P2']?.available === 18,
        90_000,
        'the shop to show the right figures once it accepts pushes again',
      );
      const history = await historyOf(hub.store.db, 'SKU-P1', { limit: 50 });
      // The warehouse's pushes arrive in any order; each is applied once, nothing else moved.
      expect(history.map((e) => `${e.change} ${e.on_hand_delta}`).sort()).toEqual([
        'adjustment -4',
        'adjustment 1',
        'pull 10',
      ]);
    }, 180_000);

    it('marks the warehouse unreachable while it is out, and pulls again when it is back', async () => {
      h = await startHarness({ dialect, edit: withWarehouse });
      const { hub, sandbox } = h;
      sandbox.warehouse.seed({ 'SKU-OUT': 7 });
      await waitFor(
        async () => (await levelsOf(hub.store.db, { sku: 'SKU-OUT' }))[0]?.on_hand === 7,
        30_000,
        'pull',
      );
      await h.faults({ partner: WH, channel: 'primary', outage: true });
      const link = async () => (await allLinks(hub.store.db)).find((l) => l.warehouse_id === WH);
      await waitFor(
        async () => (await link())?.unreachable_since != null,
        30_000,
        'the outage to be noticed',
      );
      await h.faults(null);
      await waitFor(async () => (await link())?.unreachable_since === null, 30_000, 'the recovery');
    }, 120_000);
  });
}
