/**
 * A warehouse outage longer than its threshold, end to end over real HTTP, on SQLite and
 * PostgreSQL [004-3.2]: the sandbox warehouse's outage knob takes it down, an injected clock
 * moves past its threshold (no real 45-minute wait), and stock is served from the Parquet
 * snapshot, flagged with its age in the API view and on the push to the shop. Orders are sold on
 * the snapshot while the warehouse's own stock moves unseen; when it comes back, the
 * reconciliation report (stored, JSON and CSV) lists exactly the differences planted, and the
 * oversold SKU fires the stock-oversold alert rule.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reserveForOrder } from '../src/pipeline/inventory.js';
import { stockViews } from '../src/pipeline/inventory-view.js';
import { announceStock } from '../src/pipeline/jobs/stock-publish.js';
import { listReconciliationReports } from '../src/pipeline/snapshot/reconcile.js';
import { takeSnapshot } from '../src/pipeline/snapshot/take.js';
import { allLinks, levelsOf } from '../src/store/inventory.js';
import { firingAlerts } from '../src/store/operations.js';
import { DIALECTS } from './helpers/stores.js';
import { startHarness, waitFor, type Harness } from './helpers/harness.js';
import { SANDBOX_WAREHOUSE, sandboxWarehousePartner } from './helpers/sandbox-warehouse.js';

const WH = SANDBOX_WAREHOUSE;
const SHOP = 'sandbox-shop';
const MIN = 60_000;

for (const dialect of DIALECTS) {
  describe(`warehouse outage and snapshot fallback on ${dialect}`, () => {
    let h: Harness | undefined;
    let dir: string | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('serves the snapshot past the threshold, flagged; after recovery reports exactly the planted differences and alerts the oversold SKU', async () => {
      dir = mkdtempSync(join(tmpdir(), 'waygate-outage-'));
      const reports = join(dir, 'reports');
      let offset = 0;
      const clock = () => Date.now() + offset;
      h = await startHarness({
        dialect,
        clock,
        edit: (doc) => {
          doc.partners[WH] = sandboxWarehousePartner();
          doc.inventory = {
            pullIntervalMs: 300,
            outageThresholdMinutes: 30,
            // This warehouse's own threshold wins over the default.
            warehouses: { [WH]: { outageThresholdMinutes: 45 } },
            reportsDir: reports,
          };
        },
      });
      const { hub, sandbox } = h;
      const wh = sandbox.warehouse;
      wh.seed({ 'SKU-A': 10, 'SKU-B': 10, 'SKU-C': 5, 'SKU-D': 8 });
      await waitFor(
        async () => (await levelsOf(hub.store.db, { warehouseId: WH })).length === 4,
        30_000,
        'the first stock pull',
      );
      const snap = await takeSnapshot(hub.store, {
        dir: join(dir, 'snapshots'),
        timeZone: 'Asia/Shanghai',
        scope: { platforms: [SHOP], carriers: [], warehouses: [WH] },
        trigger: 'cli',
        nowMs: clock(),
      });

      await h.faults({ partner: WH, channel: 'primary', outage: true });
      const link = async () => (await allLinks(hub.store.db)).find((l) => l.warehouse_id === WH);
      await waitFor(async () => (await link())?.unreachable_since != null, 30_000, 'the outage noticed');
      const views = () =>
        stockViews(hub.store.db, { warehouseId: WH }, { clock, outageThresholdMs: () => 45 * MIN });

      // 40 minutes: past the default 30, not past this warehouse's 45 — still the hub's levels.
      offset = 40 * MIN;
      expect((await views()).every((v) => v.source === 'warehouse')).toBe(true);

      // 46 minutes: the snapshot serves, flagged with its age.
      offset = 46 * MIN;
      const during = await views();
      expect(during.map((v) => [v.sku, v.source, v.available, v.snapshot?.id])).toEqual([
        ['SKU-A', 'snapshot', 10, snap.id],
        ['SKU-B', 'snapshot', 10, snap.id],
        ['SKU-C', 'snapshot', 5, snap.id],
        ['SKU-D', 'snapshot', 8, snap.id],
      ]);
      expect(during[0]!.snapshot!.ageSeconds).toBeGreaterThanOrEqual(46 * 60);

      // Sold on the snapshot; meanwhile the warehouse's own stock moves where the hub cannot see.
      const sell = (orderId: string, sku: string, quantity: number) =>
        hub.store.write(async (trx) => {
          await reserveForOrder(trx, orderId, WH, [{ sku, quantity }], clock());
          await announceStock(trx, [SHOP], [sku]);
        });
      await sell('ord_out_a', 'SKU-A', 2);
      await sell('ord_out_c', 'SKU-C', 4);
      await sell('ord_out_d', 'SKU-D', 1);
      // The push to the shop says the figure comes from a snapshot, and how old it is.
      await waitFor(
        () => sandbox.shop.stockLevels()['SKU-C']?.available === 1,
        60_000,
        'the snapshot figure pushed to the shop',
      );
      const pushed = sandbox.shop.stockLevels()['SKU-C']!;
      expect(pushed.stockSource).toBe('snapshot');
      expect(pushed.stockAgeSeconds).toBeGreaterThanOrEqual(46 * 60);

      wh.adjust('SKU-A', -3); // short by 3
      wh.adjust('SKU-B', 4); // 4 more than the snapshot said
      wh.adjust('SKU-C', 3, 'STOCK_DAMAGED'); // 2 left, 4 sold: oversold by 2
      // SKU-D: sold within what it holds, nothing moved: no difference.

      offset = 50 * MIN;
      await h.faults(null);
      await waitFor(
        async () => (await listReconciliationReports(hub.store.db, { limit: 5 })).length > 0,
        60_000,
        'the reconciliation after recovery',
      );
      const [report] = await listReconciliationReports(hub.store.db, { warehouseId: WH, limit: 5 });
      expect(report!.snapshot?.id).toBe(snap.id);
      expect(report!.lines).toEqual([
        {
          sku: 'SKU-A',
          kind: 'short',
          snapshotOnHand: 10,
          warehouseOnHand: 7,
          onHandDifference: -3,
          soldOnSnapshot: 2,
          orders: ['ord_out_a'],
          reserved: 2,
          available: 5,
          oversold: 0,
        },
        {
          sku: 'SKU-B',
          kind: 'surplus',
          snapshotOnHand: 10,
          warehouseOnHand: 14,
          onHandDifference: 4,
          soldOnSnapshot: 0,
          orders: [],
          reserved: 0,
          available: 14,
          oversold: 0,
        },
        {
          sku: 'SKU-C',
          kind: 'oversold',
          snapshotOnHand: 5,
          warehouseOnHand: 2,
          onHandDifference: -3,
          soldOnSnapshot: 4,
          orders: ['ord_out_c'],
          reserved: 4,
          available: 0,
          oversold: 2,
        },
      ]);
      expect(report!.oversoldSkus).toEqual(['SKU-C']);
      // The same report as files: JSON and CSV in the configured folder.
      const json = JSON.parse(readFileSync(report!.files!.json, 'utf8')) as { lines: unknown };
      expect(json.lines).toEqual(report!.lines);
      expect(readFileSync(report!.files!.csv, 'utf8').trim().split('\n')).toEqual([
        'sku,kind,snapshotOnHand,warehouseOnHand,onHandDifference,soldOnSnapshot,reserved,available,oversold,orders',
        'SKU-A,short,10,7,-3,2,2,5,0,ord_out_a',
        'SKU-B,surplus,10,14,4,0,0,14,0,',
        'SKU-C,oversold,5,2,-3,4,4,0,2,ord_out_c',
      ]);
      // The oversold SKU fires the stock-oversold rule's alert for the warehouse at the next evaluation.
      await hub.operations.alerts.evaluate(clock());
      const alerts = (await firingAlerts(hub.store.db))
        .filter((a) => a.rule === 'stock-oversold')
        .map((a) => ({
          rule: a.rule,
          subject: a.subject,
          status: a.status,
          severity: a.severity,
          value: a.value,
        }));
      expect(alerts).toEqual([
        { rule: 'stock-oversold', subject: `stock/${WH}`, status: 'firing', severity: 'major', value: 1 },
      ]);
      // Back to the warehouse's word, and the shop told so.
      await waitFor(async () => (await link())?.unreachable_since === null, 30_000, 'reachable again');
      expect((await views()).every((v) => v.source === 'warehouse')).toBe(true);
      await waitFor(
        () =>
          sandbox.shop.stockLevels()['SKU-B']?.stockSource === 'warehouse' &&
          sandbox.shop.stockLevels()['SKU-B']?.available === 14,
        60_000,
        'the live figure pushed again',
      );
    }, 180_000);
  });
}
