/**
 * Snapshots and reconciliation reports over the API, on SQLite and PostgreSQL [004-3.2]:
 * GET /v1/snapshots lists the Parquet files and row counts of each snapshot; a reconciliation
 * report is listed and read as JSON, or as CSV (`?format=csv` or `Accept: text/csv`) with headers
 * in English or Chinese; an unknown report is a 404 with its catalogue code; every route needs
 * inventory:read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyStockFigures, reserveForOrder } from '../src/pipeline/inventory.js';
import { reconcileAfterOutage } from '../src/pipeline/snapshot/reconcile.js';
import { takeSnapshot } from '../src/pipeline/snapshot/take.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { gatewayFor } from './helpers/gateway.js';

const WH = 'sandbox-warehouse';
const MIN = 60_000;

for (const dialect of DIALECTS) {
  describe(`snapshot and reconciliation API on ${dialect}`, () => {
    let store: TestStore;
    let dir: string;
    beforeEach(async () => {
      store = await freshStore(dialect);
      dir = mkdtempSync(join(tmpdir(), 'waygate-snapshot-api-'));
    });
    afterEach(async () => {
      await store.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    /** An outage: snapshot at t0, SKU-C sold on it, the warehouse back with SKU-A short and SKU-C oversold. */
    async function plantOutage(): Promise<{ snapshotId: string; reportId: string }> {
      const t0 = Date.now() - 3 * 60 * MIN;
      await applyStockFigures(
        store,
        WH,
        [
          { sku: 'SKU-A', onHand: 10 },
          { sku: 'SKU-C', onHand: 5 },
        ],
        t0,
        'pull',
        t0,
      );
      const snap = await takeSnapshot(store, {
        dir,
        timeZone: 'Asia/Shanghai',
        scope: { platforms: [], carriers: [], warehouses: [WH] },
        trigger: 'cli',
        nowMs: t0 + MIN,
      });
      await store.write((trx) =>
        reserveForOrder(trx, 'ord_sold_c', WH, [{ sku: 'SKU-C', quantity: 4 }], t0 + 60 * MIN),
      );
      const back = t0 + 90 * MIN;
      await applyStockFigures(
        store,
        WH,
        [
          { sku: 'SKU-A', onHand: 7 },
          { sku: 'SKU-C', onHand: 2 },
        ],
        back,
        'pull',
        back,
      );
      const report = await reconcileAfterOutage(store, {
        warehouseId: WH,
        unreachableSinceMs: t0 + 10 * MIN,
        fallbackFromMs: t0 + 40 * MIN,
        recoveredAtMs: back,
      });
      return { snapshotId: snap.id, reportId: report.id };
    }

    it('lists the snapshots with their files and row counts', async () => {
      const { snapshotId } = await plantOutage();
      const gw = await gatewayFor(store);
      const res = await gw.call('GET', '/v1/snapshots');
      expect(res.statusCode).toBe(200);
      const body = res.json() as {
        items: Array<{ id: string; personalData: string; files: Array<{ entity: string; rows: number }> }>;
      };
      expect(body.items.map((s) => s.id)).toEqual([snapshotId]);
      expect(body.items[0]!.files.map((f) => [f.entity, f.rows])).toEqual([
        ['products', 0],
        ['orders', 0],
        ['inventory', 2],
      ]);
      expect(body.items[0]!.personalData).toMatch(/left out/);
      const spec = (await gw.app.inject({ url: '/openapi.json' })).json() as { paths: object };
      expect(Object.keys(spec.paths)).toEqual(
        expect.arrayContaining([
          '/v1/snapshots',
          '/v1/inventory/reconciliations',
          '/v1/inventory/reconciliations/{id}',
        ]),
      );
      await gw.app.close();
    });

    it('lists and reads a reconciliation report as JSON, and as CSV in English or Chinese', async () => {
      const { reportId, snapshotId } = await plantOutage();
      const gw = await gatewayFor(store);

      const list = await gw.call('GET', `/v1/inventory/reconciliations?warehouse=${WH}`);
      expect(list.statusCode).toBe(200);
      const items = (list.json() as { items: Array<{ id: string; oversoldSkus: string[] }> }).items;
      expect(items.map((r) => [r.id, r.oversoldSkus])).toEqual([[reportId, ['SKU-C']]]);
      const other = await gw.call('GET', '/v1/inventory/reconciliations?warehouse=another-warehouse');
      expect((other.json() as { items: unknown[] }).items).toEqual([]);

      const one = await gw.call('GET', `/v1/inventory/reconciliations/${reportId}`);
      expect(one.statusCode).toBe(200);
      expect(one.headers['content-type']).toMatch(/application\/json/);
      expect(one.json()).toMatchObject({
        id: reportId,
        warehouse: WH,
        snapshot: { id: snapshotId },
        differences: 2,
        lines: [
          { sku: 'SKU-A', kind: 'short', snapshotOnHand: 10, warehouseOnHand: 7, soldOnSnapshot: 0 },
          { sku: 'SKU-C', kind: 'oversold', soldOnSnapshot: 4, orders: ['ord_sold_c'], oversold: 2 },
        ],
      });

      const csv = await gw.call('GET', `/v1/inventory/reconciliations/${reportId}?format=csv`);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.body.trim().split('\n')).toEqual([
        'sku,kind,snapshotOnHand,warehouseOnHand,onHandDifference,soldOnSnapshot,reserved,available,oversold,orders',
        'SKU-A,short,10,7,-3,0,0,7,0,',
        'SKU-C,oversold,5,2,-3,4,4,0,2,ord_sold_c',
      ]);

      const zh = await gw.call('GET', `/v1/inventory/reconciliations/${reportId}?lang=zh-CN`, undefined, {
        accept: 'text/csv',
      });
      expect(zh.statusCode).toBe(200);
      expect(zh.headers['content-type']).toMatch(/^text\/csv/);
      const zhRows = parse(zh.body) as string[][];
      expect(zhRows[0]).toEqual([
        'SKU',
        '差异类型',
        '快照在库',
        '仓库在库',
        '在库差异',
        '按快照售出',
        '已预留',
        '可售',
        '超卖',
        '订单',
      ]);
      expect(zhRows.slice(1).map((r) => [r[0], r[1]])).toEqual([
        ['SKU-A', '短少'],
        ['SKU-C', '超卖'],
      ]);
      const en = await gw.call('GET', `/v1/inventory/reconciliations/${reportId}?format=csv&lang=en`);
      expect((parse(en.body) as string[][])[0]!.slice(0, 3)).toEqual([
        'SKU',
        'Difference',
        'On hand in snapshot',
      ]);
      await gw.app.close();
    });

    it('answers an unknown report 404 with its code, a bad id or format 400, and a caller without inventory:read 403', async () => {
      const { reportId } = await plantOutage();
      const gw = await gatewayFor(store);
      const missing = await gw.call('GET', '/v1/inventory/reconciliations/rec_00000000000000000000000000');
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ error: { code: 'reconciliation_not_found' } });
      for (const path of [
        `/v1/inventory/reconciliations/${reportId}?format=xml`,
        `/v1/inventory/reconciliations/${reportId}?lang=fr`,
        "/v1/inventory/reconciliations/rec_1'%20or%201=1",
        '/v1/inventory/reconciliations?warehouse=%27%3B--',
        '/v1/snapshots?limit=0',
      ]) {
        const bad = await gw.call('GET', path);
        expect(bad.statusCode, path).toBe(400);
        expect(bad.json(), path).toMatchObject({ error: { code: 'validation_failed' } });
      }
      const orderOnly = await gw.keyWith({ scopes: ['orders:read'] });
      for (const path of [
        '/v1/snapshots',
        '/v1/inventory/reconciliations',
        `/v1/inventory/reconciliations/${reportId}`,
      ]) {
        const denied = await gw.callAs(orderOnly, 'GET', path);
        expect(denied.statusCode, path).toBe(403);
        expect(denied.json(), path).toMatchObject({ error: { code: 'missing_permission' } });
      }
      await gw.app.close();
    });
  });
}
