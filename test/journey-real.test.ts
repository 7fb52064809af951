/**
 * The journey through the real-dialect partners (`waygate demo --partners real`): Shopify (signed
 * webhooks, re-deliveries) and Taobao TOP (pulled feed) → hub → 4PX, YunExpress, UPS and
 * Cainiao, each simulated in its own dialect → tracking polled → delivered, and each platform
 * told the waybill and (Shopify) the tracking until delivered — on each store dialect.
 */
import { describe, expect, it } from 'vitest';
import { formatSummary, runDemo } from '../src/cli/demo.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

for (const dialect of DIALECTS) {
  describe(`real-dialect journey on ${dialect}`, () => {
    it('delivers every Shopify and TOP order exactly once through 4PX, YunExpress, UPS and Cainiao, and tells each platform once', async () => {
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
        const waybills = carriers.map((id) => {
          const p = summary.perPartner[id];
          return p && 'waybills' in p ? (p.waybills ?? 0) : 0;
        });
        expect(waybills.reduce((a, b) => a + b, 0)).toBe(40);
        for (const id of carriers)
          expect(summary.perPartner[id]).toMatchObject({ duplicates: 0, signatureFailures: 0 });
        // Every order came from a real-dialect platform, each platform was told once per order.
        expect(summary.perPartner.shopify).toMatchObject({
          orders: 20,
          fulfilments: 20,
          duplicates: 0,
          deliveredTold: 20,
        });
        expect(summary.perPartner['taobao-top']).toMatchObject({
          orders: 20,
          fulfilments: 20,
          duplicates: 0,
          signatureFailures: 0,
          deliveredTold: 20,
        });
      } finally {
        await drop();
      }
    }, 180_000);
  });
}
