/**
 * The whole journey over real HTTP on loopback: sandbox shop → hub → sandbox carriers →
 * tracking (pushed and polled) → delivered, on each store dialect. Its operations act plants a
 * carrier outage: alerts, webhooks, e-mails, incidents, delay exceptions, and the run's daily
 * report written in both languages.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/cli/demo.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

for (const dialect of DIALECTS) {
  describe(`journey on ${dialect}`, () => {
    it('delivers every order pushed by the shop exactly once, through both carriers', async () => {
      const { url, drop } = await createTestDbUrl(dialect);
      const reportDir = mkdtempSync(join(tmpdir(), 'waygate-demo-report-'));
      try {
        const summary = await runDemo({ orders: 40, dbUrl: url, stepMs: 25, timeoutS: 90, reportDir });
        expect(summary).toMatchObject({
          orders: 40,
          waybills: 40,
          delivered: 40,
          failed: 0,
          lost: 0,
          duplicates: 0,
        });
        // Each parcel has at least label → … → delivered; failed attempts and customs holds add more.
        expect(summary.trackingEvents).toBeGreaterThanOrEqual(40 * 13);
        // The carriers bill every parcel; the hub finds exactly the planted over-charges.
        const settlement = summary.settlement!;
        expect(settlement.billLines).toBeGreaterThanOrEqual(40);
        expect(settlement.found).toBe(settlement.planted);
        expect(settlement.falsePositives).toBe(0);
        // The warehouse act: hub and warehouse compared SKU by SKU at the end; its orders shipped.
        expect(summary.inventory).toMatchObject({ skus: 3, mismatches: 0, warehouseFulfilled: 5, held: 0 });
        // The returns act: two shop return requests, refunded, the shop told, in the orders' history;
        // one line back on the shelf, one unit graded damaged.
        expect(summary.returns).toMatchObject({ requested: 2, completed: 2, damaged: 1 });
        expect(summary.returns!.restocked).toBeGreaterThanOrEqual(1);
        expect(summary.returns!.refunded).toMatch(/^\d+\.\d{2} [A-Z]{3}/);
        // The operations act: both carriers down; an alert per carrier that saw enough failed
        // calls, each with its incident, fired and resolved by webhook and by e-mail; stalled
        // parcels told to the merchant; every act order delivered once the outage cleared.
        const ops = summary.operations!;
        expect(ops.alertsFired).toBeGreaterThanOrEqual(1);
        expect(ops).toMatchObject({
          alertsResolved: ops.alertsFired,
          incidents: ops.alertsFired,
          actOrders: 40,
        });
        expect(ops.actDelivered).toBe(40);
        expect(ops.notifications).toEqual({ webhook: 2 * ops.alertsFired, email: 2 * ops.alertsFired });
        expect(ops.delayExceptions).toBeGreaterThan(0);
        expect(ops.merchantWebhooks).toBeGreaterThanOrEqual(ops.delayExceptions);
        // The day's report, HTML and CSV in Chinese and English, with the run in it.
        expect(ops.reportFiles).toBe(4);
        const day = new Date().toISOString().slice(0, 10);
        expect(readdirSync(reportDir).sort()).toEqual(
          ['en.csv', 'en.html', 'zh-CN.csv', 'zh-CN.html'].map((f) => `waygate-daily-${day}.${f}`),
        );
        const file = (f: string) => readFileSync(join(reportDir, `waygate-daily-${day}.${f}`), 'utf8');
        expect(file('zh-CN.html')).toContain(`<h1>Waygate 运行日报 — ${day}</h1>`);
        expect(file('en.html')).toContain(`<h1>Waygate daily run report — ${day}</h1>`);
        expect(file('zh-CN.csv').split('\n')[0]).toContain('接口');
        expect(file('en.csv').split('\n')[0]).toMatch(/^\uFEFF?Interface/);
        for (const f of ['zh-CN.csv', 'en.csv']) expect(file(f)).toMatch(/shipment\.create,carrier-beta/);
      } finally {
        rmSync(reportDir, { recursive: true, force: true });
        await drop();
      }
    }, 900_000); // the acts after the journey (bills, warehouse, returns, customs, operations) take minutes on a busy machine
  });
}
