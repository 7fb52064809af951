/**
 * The inventory routes share the prefix `/v1/inventory` with the reconciliation reports, on SQLite
 * and PostgreSQL: each path answers what it should — stock, a SKU's history (for any SKU the API
 * accepts, `reconciliations` and `history` included, slashes encoded), the list of reports and one
 * report — and a report never carries the paths of the files the hub wrote on its disk, only
 * links to itself as JSON and CSV.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyStockFigures, reserveForOrder } from '../src/pipeline/inventory.js';
import { reconcileAfterOutage } from '../src/pipeline/snapshot/reconcile.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';

const WH = 'sandbox-warehouse';
const MIN = 60_000;
/** The API's SKU alphabet (routes/inventory.ts). */
const SKU_CHARS = 'ABCXYZabcxyz0189._/-'.split('');

for (const dialect of DIALECTS) {
  describe(`inventory and reconciliation routes on ${dialect}`, () => {
    let store: TestStore;
    let gw: GatewayFixture;
    let dir: string;
    let reportId: string;
    const t0 = Date.now() - 3 * 60 * MIN;

    beforeAll(async () => {
      store = await freshStore(dialect);
      dir = mkdtempSync(join(tmpdir(), 'waygate-inventory-routes-'));
      // SKUs named like the routes' own segments, one of them oversold after an outage.
      await applyStockFigures(
        store,
        WH,
        [
          { sku: 'reconciliations', onHand: 5 },
          { sku: 'history', onHand: 7 },
          { sku: 'SKU-A', onHand: 3 },
        ],
        t0,
        'pull',
        t0,
      );
      await store.write((trx) =>
        reserveForOrder(trx, 'ord_1', WH, [{ sku: 'reconciliations', quantity: 4 }], t0 + 50 * MIN),
      );
      const back = t0 + 90 * MIN;
      await applyStockFigures(store, WH, [{ sku: 'reconciliations', onHand: 1 }], back, 'pull', back);
      reportId = (
        await reconcileAfterOutage(store, {
          warehouseId: WH,
          unreachableSinceMs: t0 + 10 * MIN,
          fallbackFromMs: t0 + 40 * MIN,
          recoveredAtMs: back,
          reportsDir: join(dir, 'reports'),
        })
      ).id;
      gw = await gatewayFor(store);
    }, 60_000);
    afterAll(async () => {
      await gw?.app.close();
      await store?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    const get = async (path: string) => {
      const res = await gw.call('GET', path);
      return { status: res.statusCode, body: res.json() as Record<string, unknown>, raw: res.body };
    };

    it('answers each path under /v1/inventory with what it names', async () => {
      const stock = await get('/v1/inventory');
      expect(stock.status).toBe(200);
      expect((stock.body.items as Array<{ sku: string }>).map((i) => i.sku).sort()).toEqual([
        'SKU-A',
        'history',
        'reconciliations',
      ]);
      const one = await get('/v1/inventory?sku=reconciliations');
      expect(
        (one.body.items as Array<{ sku: string; onHand: number }>).map((i) => [i.sku, i.onHand]),
      ).toEqual([['reconciliations', 1]]);

      const list = await get('/v1/inventory/reconciliations');
      expect(list.status).toBe(200);
      expect(
        (list.body.items as Array<{ id: string; oversoldSkus: string[] }>).map((r) => [r.id, r.oversoldSkus]),
      ).toEqual([[reportId, ['reconciliations']]]);
      const report = await get(`/v1/inventory/reconciliations/${reportId}`);
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({ id: reportId, warehouse: WH, oversoldSkus: ['reconciliations'] });

      // The SKU `reconciliations` still has its history, and so has `history`.
      for (const sku of ['reconciliations', 'history', 'SKU-A']) {
        const h = await get(`/v1/inventory/${sku}/history`);
        expect(h.status, sku).toBe(200);
        expect(h.body.sku, sku).toBe(sku);
        const entries = h.body.entries as Array<{ warehouse: string }>;
        expect(entries.length, sku).toBeGreaterThan(0);
        expect(new Set(entries.map((e) => e.warehouse)), sku).toEqual(new Set([WH]));
      }
      const shadowed = await get('/v1/inventory/reconciliations/history?limit=1');
      expect(shadowed.body).toMatchObject({ sku: 'reconciliations', entries: [{ after: { onHand: 1 } }] });

      // Nothing else is caught by these routes: no route answers (a /v1 path no route declares is
      // closed to an authenticated caller, 403 route_not_permitted; unauthenticated, 404).
      for (const path of [
        `/v1/inventory/reconciliations/${reportId}/history`,
        '/v1/inventory/SKU-A',
        '/v1/inventory/SKU-A/history/more',
      ]) {
        const miss = await get(path);
        expect([404, 403], path).toContain(miss.status);
        expect(miss.body, path).toMatchObject({
          error: { code: expect.stringMatching(/^route_not_(found|permitted)$/) },
        });
      }
      // One operation per path in the API description: the shadowed SKU's route is not a second.
      const spec = (await gw.app.inject({ url: '/openapi.json' })).json() as {
        paths: Record<string, unknown>;
      };
      expect(
        Object.keys(spec.paths)
          .filter((p) => p.startsWith('/v1/inventory'))
          .sort(),
      ).toEqual([
        '/v1/inventory',
        '/v1/inventory/reconciliations',
        '/v1/inventory/reconciliations/{id}',
        '/v1/inventory/{sku}/history',
      ]);
    });

    it("gives a report's links, never the paths of the hub's files", async () => {
      for (const path of ['/v1/inventory/reconciliations', `/v1/inventory/reconciliations/${reportId}`]) {
        const res = await get(path);
        expect(res.raw, path).not.toContain(dir);
        expect(res.raw, path).not.toMatch(/\.json"|\.csv"|"files"/);
      }
      const report = (await get(`/v1/inventory/reconciliations/${reportId}`)).body as {
        links: { json: string; csv: string };
      };
      expect(report.links).toEqual({
        json: `/v1/inventory/reconciliations/${reportId}`,
        csv: `/v1/inventory/reconciliations/${reportId}?format=csv`,
      });
      const csv = await gw.call('GET', report.links.csv);
      expect(csv.statusCode).toBe(200);
      expect(csv.body.split('\n')[1]).toBe('reconciliations,oversold,0,1,1,4,4,0,3,ord_1');
      expect((await get(report.links.json)).body).toEqual(report);
    });

    it("reads any SKU's history at its own path, whatever the SKU is named", async () => {
      let at = t0 + 200 * MIN;
      await fc.assert(
        fc.asyncProperty(
          fc
            .array(fc.constantFrom(...SKU_CHARS), { minLength: 0, maxLength: 20 })
            .chain((rest) =>
              fc.constantFrom(
                `A${rest.join('')}`,
                'reconciliations',
                'history',
                `reconciliations${rest.join('')}`,
                `x/${rest.join('')}`,
              ),
            ),
          fc.integer({ min: 0, max: 1000 }),
          async (sku, onHand) => {
            at += 1000;
            await applyStockFigures(store, 'wh-prop', [{ sku, onHand }], at, 'pull', at);
            const h = await get(`/v1/inventory/${encodeURIComponent(sku)}/history?warehouse=wh-prop&limit=1`);
            expect(h.status, sku).toBe(200);
            expect(h.body.sku, sku).toBe(sku);
            const [latest] = h.body.entries as Array<{ at: string; after: { onHand: number } }>;
            // The newest figure of this SKU is the one just applied (or, unchanged, an earlier one).
            expect(latest?.after.onHand, sku).toBe(onHand);
          },
        ),
        { numRuns: dialect === 'sqlite' ? 60 : 30 },
      );
    }, 120_000);
  });
}
