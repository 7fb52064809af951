/**
 * The journey through the real-dialect partners (`waygate demo --partners real`): Shopify (signed
 * webhooks, re-deliveries), Taobao TOP (pulled feed) and Amazon SP-API (pulled with LWA, NextToken
 * pages, a planted 429 on a read and on a confirmation) → hub → 4PX, YunExpress, UPS, Cainiao and
 * Yanwen, each simulated in its own dialect → tracking polled → delivered, and each platform told
 * the waybill and (Shopify) the tracking until delivered, and every waybill's label served by the
 * hub's API — on each store dialect.
 */
import { describe, expect, it } from 'vitest';
import { formatSummary, runDemo } from '../src/cli/demo.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

/**
 * The platforms make up the same 40 orders at every run with this seed (14 Shopify, 13 TOP, 13
 * Amazon); routing is by country alone, so each carrier's share is fixed: US → UPS, GB/DE → 4PX,
 * FR/ES/IT → Cainiao, CA/AU/NL → YunExpress, the rest → Yanwen.
 */
const ORDER_SEED = 'journey-real-1';
const SEEDED_ROUTES = { fourpx: 10, yunexpress: 10, ups: 6, cainiao: 6, yanwen: 8 };

for (const dialect of DIALECTS) {
  describe(`real-dialect journey on ${dialect}`, () => {
    it('delivers every Shopify, TOP and Amazon order exactly once through 4PX, YunExpress, UPS, Cainiao and Yanwen, and tells each platform once', async () => {
      const { url, drop } = await createTestDbUrl(dialect);
      try {
        const summary = await runDemo({
          partners: 'real',
          orders: 40,
          dbUrl: url,
          stepMs: 25,
          timeoutS: 120,
          orderSeed: ORDER_SEED,
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
        const carriers = ['fourpx', 'yunexpress', 'ups', 'cainiao', 'yanwen'];
        const waybills = carriers.map((id) => {
          const p = summary.perPartner[id];
          return p && 'waybills' in p ? (p.waybills ?? 0) : 0;
        });
        expect(waybills.reduce((a, b) => a + b, 0)).toBe(40);
        // The seeded orders go where config/sandbox-real.yaml routes their countries, every
        // carrier among them (random orders left one without a parcel about once in 500 runs).
        expect(Object.fromEntries(carriers.map((id, i) => [id, waybills[i]]))).toEqual(SEEDED_ROUTES);
        for (const id of carriers)
          expect(summary.perPartner[id]).toMatchObject({ duplicates: 0, signatureFailures: 0 });
        // Every waybill's label asked for through the API: served by each carrier that issues
        // labels (4PX, YunExpress and Yanwen on request, UPS with the shipment), label_not_found for
        // Cainiao.
        for (const [i, id] of carriers.entries())
          expect(summary.perPartner[id]).toMatchObject(
            id === 'cainiao'
              ? { labelsServed: 0, labelsNotIssued: waybills[i], labelsFailed: 0 }
              : { labelsServed: waybills[i], labelsNotIssued: 0, labelsFailed: 0 },
          );
        // Every order came from a real-dialect platform, each platform was told once per order.
        expect(summary.perPartner.shopify).toMatchObject({
          orders: 14,
          fulfilments: 14,
          duplicates: 0,
          deliveredTold: 14,
        });
        expect(summary.perPartner['taobao-top']).toMatchObject({
          orders: 13,
          fulfilments: 13,
          duplicates: 0,
          signatureFailures: 0,
          deliveredTold: 13,
        });
        // Amazon's 13 orders pulled over NextToken pages of 5; both planted 429s waited out.
        const amazon = summary.perPartner['amazon-sp-api'];
        expect(amazon).toMatchObject({
          orders: 13,
          fulfilments: 13,
          duplicates: 0,
          throttled: 2,
          deliveredTold: 13,
        });
        expect(amazon && 'pulledPages' in amazon ? amazon.pulledPages : 0).toBeGreaterThanOrEqual(3);
        expect(amazon && 'pulledOrders' in amazon ? amazon.pulledOrders : 0).toBeGreaterThanOrEqual(13);
      } finally {
        await drop();
      }
    }, 180_000);
  });
}
