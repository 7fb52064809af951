/**
 * The whole journey over real HTTP on loopback: sandbox shop → hub → sandbox carriers →
 * tracking (pushed and polled) → delivered, on each store dialect.
 */
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/cli/demo.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

for (const dialect of DIALECTS) {
  describe(`journey on ${dialect}`, () => {
    it('delivers every order pushed by the shop exactly once, through both carriers', async () => {
      const { url, drop } = await createTestDbUrl(dialect);
      try {
        const summary = await runDemo({ orders: 40, dbUrl: url, stepMs: 25, timeoutS: 90 });
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
      } finally {
        await drop();
      }
    }, 300_000); // the acts after the journey (bills, warehouse, returns, customs) take minutes on a busy machine
  });
}
