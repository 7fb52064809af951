/**
 * Issue 15 point 4, on every storage dialect under test, on a clock the test drives: besides a
 * parcel that stops scanning, an ETA passed (the carrier's, or the lane's transit time when the
 * carrier gives none) and a customs hold each raise an exception and a signed merchant webhook;
 * the exception resolves when the parcel leaves customs. A lane nobody configured gets its
 * transit time learned from the delivered history (the configured percentile of it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { startHookReceiver } from '../helpers/receivers.js';
import { orderFixture } from '../helpers/fixtures.js';
import { acceptOrder } from '../../src/pipeline/accept-order.js';
import { DelayWatch, laneExpectations } from '../../src/monitor/delays.js';
import { Notifier, signWebhook } from '../../src/monitor/notify.js';
import type { OperationsFile } from '../../src/monitor/ops-config.js';
import { listShipmentExceptions } from '../../src/store/operations.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 11, 3, 8, 0, 0);
const SECRET = 'merchant-hook-secret-0123456789';

for (const dialect of DIALECTS) {
  describe(`delay exceptions beyond no-scan (${dialect})`, () => {
    let store: TestStore;
    let hooks: Awaited<ReturnType<typeof startHookReceiver>>;
    let ops: OperationsFile;
    let n = 0;
    const shipment = async (s: {
      carrier: string;
      status: string;
      createdAt: number;
      lastEventAt: number;
      eta?: string;
    }): Promise<string> => {
      const { id: orderId } = await acceptOrder(store, orderFixture({ externalId: `dly-${n++}` }), {
        caller: 'test',
      });
      const id = `shp-${n}`;
      await store.db
        .insertInto('shipments')
        .values({
          id,
          order_id: orderId,
          carrier: s.carrier,
          waybill_no: `WB${n}`,
          status: s.status,
          label_url: null,
          estimated_delivery: s.eta ?? null,
          last_event_at: s.lastEventAt,
          next_poll_at: null,
          created_at: s.createdAt,
          updated_at: s.lastEventAt,
        })
        .execute();
      return id;
    };

    beforeAll(async () => {
      store = await freshStore(dialect);
      hooks = await startHookReceiver();
      ops = {
        delays: {
          noScanAfter: '72h',
          lanes: [{ carrier: 'carrier-x', destination: 'US', transit: '5d', noScanAfter: '48h' }],
          learn: { minSamples: 20, percentile: 90, lookback: '60d' },
          merchants: { 'sandbox-shop': { url: `${hooks.url}/delays`, secret: SECRET } },
        },
      };
    }, 60_000);
    afterAll(async () => {
      await store?.destroy();
      await hooks?.close();
    });

    it('learns an unconfigured lane’s transit time from delivered history: its 90th percentile', async () => {
      // 20 parcels of carrier-y to the US delivered in 2, 2.1, … 3.9 days.
      for (let i = 0; i < 20; i++) {
        const created = NOW - 30 * DAY + i * HOUR;
        await shipment({
          carrier: 'carrier-y',
          status: 'delivered',
          createdAt: created,
          lastEventAt: created + 2 * DAY + (i * DAY) / 10,
        });
      }
      const lanes = await laneExpectations(store, ops, NOW);
      const y = lanes.find((l) => l.carrier === 'carrier-y')!;
      expect(y).toMatchObject({ destination: 'US', source: 'learned', samples: 20 });
      // The 18th of 20 sorted transit times: 2 + 17 × 0.1 days.
      expect(y.transitMs).toBe(2 * DAY + (17 * DAY) / 10);
      expect(lanes.find((l) => l.carrier === 'carrier-x')).toMatchObject({
        source: 'configured',
        transitMs: 5 * DAY,
      });
      // Under minSamples, nothing is learned.
      const fewer = await laneExpectations(
        store,
        { delays: { ...ops.delays, learn: { minSamples: 21 } } },
        NOW,
      );
      expect(fewer.find((l) => l.carrier === 'carrier-y')).toBeUndefined();
    });

    it('raises customs_hold and eta_passed (carrier ETA, configured lane, learned lane) and tells the merchant; leaving customs resolves it', async () => {
      const recent = NOW - HOUR;
      const held = await shipment({
        carrier: 'carrier-x',
        status: 'customs_held',
        createdAt: NOW - DAY,
        lastEventAt: recent,
      });
      const carrierEta = await shipment({
        carrier: 'carrier-x',
        status: 'in_transit',
        createdAt: NOW - 2 * DAY,
        lastEventAt: recent,
        eta: '2026-12-02',
      });
      const laneEta = await shipment({
        carrier: 'carrier-x',
        status: 'in_transit',
        createdAt: NOW - 6 * DAY,
        lastEventAt: recent,
      });
      const learnedEta = await shipment({
        carrier: 'carrier-y',
        status: 'in_transit',
        createdAt: NOW - 4 * DAY,
        lastEventAt: recent,
      });
      const onTime = await shipment({
        carrier: 'carrier-x',
        status: 'in_transit',
        createdAt: NOW - 2 * DAY,
        lastEventAt: recent,
      });

      const watch = new DelayWatch(store, new Notifier(store), () => ops);
      const r = await watch.check(NOW);
      expect(r).toMatchObject({ raised: 4, notified: 4 });
      const open = await listShipmentExceptions(store.db, { open: true, limit: 50 });
      const by = (id: string) => open.filter((e) => e.shipment_id === id).map((e) => e.reason);
      expect(by(held)).toEqual(['customs_hold']);
      expect(by(carrierEta)).toEqual(['eta_passed']);
      expect(by(laneEta)).toEqual(['eta_passed']);
      expect(by(learnedEta)).toEqual(['eta_passed']);
      expect(by(onTime)).toEqual([]);

      const bodies = hooks.hooks.map((h) => {
        const ts = Number(h.headers['x-waygate-timestamp']);
        expect(h.headers['x-waygate-signature']).toBe(signWebhook(SECRET, ts, h.body));
        return JSON.parse(h.body) as {
          shipment: { id: string };
          exception: { reason: string; detail: string };
        };
      });
      expect(bodies.find((b) => b.shipment.id === carrierEta)!.exception.detail).toBe(
        'expected by 2026-12-03T00:00:00.000Z',
      );
      expect(bodies.find((b) => b.shipment.id === held)!.exception.reason).toBe('customs_hold');

      // Checked again: nothing new, nobody told twice.
      expect(await watch.check(NOW + HOUR)).toMatchObject({ raised: 0, notified: 0 });
      expect(hooks.hooks).toHaveLength(4);

      await store.db.updateTable('shipments').set({ status: 'in_transit' }).where('id', '=', held).execute();
      expect(await watch.check(NOW + 2 * HOUR)).toMatchObject({ resolved: 1 });
      const [resolved] = await listShipmentExceptions(store.db, { shipmentId: held, limit: 5 });
      expect(resolved!.resolved_at).toBe(NOW + 2 * HOUR);
    });
  });
}
