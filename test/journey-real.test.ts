/**
 * The journey through the real-dialect carriers (`waygate demo --partners real`): sandbox shop →
 * hub → 4PX, YunExpress, UPS and Cainiao, each simulated in its own dialect → tracking polled →
 * delivered, on each store dialect.
 */
import { describe, expect, it } from 'vitest';
import { formatSummary, runDemo } from '../src/cli/demo.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

for (const dialect of DIALECTS) {
  describe(`real-dialect journey on ${dialect}`, () => {
    it('delivers every order exactly once through 4PX, YunExpress, UPS and Cainiao', async () => {
      const { url, drop } = await createTestDbUrl(dialect);
      try {
        const summary = await runDemo({
          partners: 'real',
          orders: 40,
          dbUrl: url,
          stepMs: 25,
          timeoutS: 120,
        });
        process.stderr.write(`${formatSummary(summary, 40)}\n${JSON.stringify(summary)}\n`);
        expect(summary).toMatchObject({
          orders: 40,
          waybills: 40,
          delivered: 40,
          failed: 0,
          lost: 0,
          duplicates: 0,
        });
        const carriers = ['fourpx', 'yunexpress', 'ups', 'cainiao'];
        const waybills = carriers.map((id) => summary.perPartner[id]?.waybills ?? 0);
        expect(waybills.reduce((a, b) => a + b, 0)).toBe(40);
        for (const id of carriers)
          expect(summary.perPartner[id]).toMatchObject({ duplicates: 0, signatureFailures: 0 });
      } finally {
        await drop();
      }
    }, 180_000);
  });
}
