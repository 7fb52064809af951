/**
 * The expected charge of a shipment is stored with its waybill — by the shipment.create job, in
 * the waybill's own transaction, with the card's id and version, its components and the declared
 * weight — and re-priced when a tracking scan carries the carrier's measured weight and
 * dimensions; reconciliation then judges the bill against the stored (measured) charge.
 * On SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { acceptOrder } from '../../src/pipeline/accept-order.js';
import { trackingPoll, type JobDeps } from '../../src/pipeline/jobs/index.js';
import type { PartnerDirectory } from '../../src/pipeline/partners.js';
import type { PartnerRuntime } from '../../src/pipeline/policy/runtime.js';
import type { CarrierConnector, ShipmentRequest } from '../../src/connectors/types.js';
import type { TrackingEvent } from '../../src/domain/index.js';
import { WorkerPool } from '../../src/pipeline/worker.js';
import { JobQueue } from '../../src/store/queue.js';
import { loadRateCards } from '../../src/pipeline/settlement/cards.js';
import { recordMeasurements } from '../../src/pipeline/settlement/charges.js';
import { receiveBill } from '../../src/pipeline/settlement/bills.js';
import { reconcileBill } from '../../src/pipeline/settlement/reconcile.js';
import { chargeOfShipment, linesOf } from '../../src/store/settlement.js';
import { orderFixture } from '../helpers/fixtures.js';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';

const book = loadRateCards(new URL('../../config/rate-cards', import.meta.url).pathname);
const card = book.carrierCard('carrier-alpha', new Date().toISOString().slice(0, 10))!;

/** A carrier that answers every create with the next waybill and, when polled, weighs the parcels. */
function fakeAlpha(weighing: (waybillNo: string) => TrackingEvent['measured']) {
  let n = 0;
  const requests: ShipmentRequest[] = [];
  const connector = {
    manifest: { id: 'carrier-alpha', kind: 'carrier', tracking: 'poll', trackingBatchSize: 50 },
    async createShipment(req: ShipmentRequest) {
      requests.push(req);
      n++;
      return { waybillNo: `AL${String(5_000_000_000 + n)}` };
    },
    async fetchTracking(waybillNos: readonly string[]): Promise<TrackingEvent[]> {
      return waybillNos.map((waybillNo) => {
        const measured = weighing(waybillNo);
        return {
          carrier: 'carrier-alpha',
          waybillNo,
          eventId: `scn_${waybillNo}`,
          code: 'ORIGIN_FACILITY_ARRIVED',
          stage: 'first_mile',
          partnerCode: 'AR',
          description: 'Arrived at origin facility, weighed',
          occurredAt: new Date(Date.now() - 60_000).toISOString(),
          ...(measured ? { measured } : {}),
        };
      });
    },
  };
  // The policy wrapper is not under test: a runtime that calls the connector straight away.
  const runtime = {
    id: 'carrier-alpha',
    primary: connector,
    call: (fn: (c: typeof connector) => Promise<unknown>) => fn(connector),
  } as unknown as PartnerRuntime<CarrierConnector>;
  const partners: PartnerDirectory = {
    carrier: (id) => (id === 'carrier-alpha' ? runtime : undefined),
    carriers: () => [runtime],
    routing: () => ({ rules: [], default: 'carrier-alpha' }),
    pollIntervalMs: () => 60_000,
    platform: () => undefined,
  };
  return { partners, requests };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the worker did not get there');
}

for (const dialect of DIALECTS) {
  describe(`expected charges on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
    });
    afterEach(async () => {
      await store.destroy();
    });

    it('stores the charge with the waybill, then re-prices it from the measured weight and dimensions of a scan', async () => {
      // 2 × 350 g to San Francisco: zone A, 1 kg break (11.20) + 12.5 % fuel.
      const { partners } = fakeAlpha(() => ({
        weightGrams: 2640,
        dimsCm: { length: 43, width: 30, height: 19 },
      }));
      const deps: JobDeps = {
        store,
        queue: new JobQueue(store),
        partners: () => partners,
        rateCards: () => book,
      };
      await acceptOrder(store, orderFixture({ externalId: 'SO-W1' }), { caller: 'test' });
      const pool = new WorkerPool('outbound', deps, pino({ level: 'silent' }), { idlePollMs: 20 });
      pool.start();
      try {
        await until(async () =>
          Boolean(await store.db.selectFrom('shipments').select('id').executeTakeFirst()),
        );
      } finally {
        await pool.stop();
      }
      const shipment = await store.db.selectFrom('shipments').selectAll().executeTakeFirstOrThrow();
      const declared = await chargeOfShipment(store.db, shipment.id);
      expect(declared).toMatchObject({
        waybill_no: shipment.waybill_no,
        card_id: 'carrier-alpha-express',
        card_version: card.version,
        currency: 'USD',
        zone: 'A',
        chargeable_grams: 1000,
        total: '12.60',
        basis: 'declared',
        declared_grams: 700,
        measured_grams: null,
      });
      expect(card.version).toMatch(/^sha256:[0-9a-f]{16}$/);
      expect(JSON.parse(declared!.components)).toEqual([
        { code: 'freight', amount: '11.20' },
        { code: 'fuel', amount: '1.40' },
      ]);

      // The carrier weighs it: 2.64 kg but 43 × 30 × 19 cm → 4.902 kg dimensional → 5 kg at 6.10/kg.
      await trackingPoll.enqueue(store.db, { carrier: 'carrier-alpha' });
      const poller = new WorkerPool('outbound', deps, pino({ level: 'silent' }), { idlePollMs: 20 });
      poller.start();
      try {
        await until(async () => (await chargeOfShipment(store.db, shipment.id))?.basis === 'measured');
      } finally {
        await poller.stop();
      }
      const measured = await chargeOfShipment(store.db, shipment.id);
      expect(measured).toMatchObject({
        chargeable_grams: 5000,
        total: '34.31',
        basis: 'measured',
        declared_grams: 700,
        measured_grams: 2640,
        measured_source: `tracking:scn_${shipment.waybill_no}`,
      });
      expect(JSON.parse(measured!.measured_dims!)).toEqual({ length: 43, width: 30, height: 19 });

      // A bill that charges the measured 5 kg is right; one charging 6 kg is flagged as weight.
      const bill = (lines: { freight: string; fuel: string; total: string; kg: string }[]) =>
        JSON.stringify({
          invoice_no: `INV-${lines[0]!.kg}`,
          currency: 'USD',
          issue_date: shipment.created_at ? new Date(shipment.created_at).toISOString().slice(0, 10) : '',
          billing_period: new Date(shipment.created_at).toISOString().slice(0, 7),
          items: lines.map((l, i) => ({
            seq: i + 1,
            awb: shipment.waybill_no,
            chargeable_weight_kg: l.kg,
            zone: 'A',
            freight: l.freight,
            fuel_surcharge: l.fuel,
            amount: l.total,
          })),
        });
      const right = await receiveBill(store, book, {
        partnerId: 'carrier-alpha',
        format: 'json',
        body: bill([{ kg: '5', freight: '30.50', fuel: '3.81', total: '34.31' }]),
      });
      const ok = await reconcileBill(store, book, right.billId, { actor: 'test' });
      expect(ok).toMatchObject({ lines: 1, ok: 1, flagged: 0 });
      const wrong = await receiveBill(store, book, {
        partnerId: 'carrier-alpha',
        format: 'json',
        body: bill([{ kg: '6', freight: '36.60', fuel: '4.58', total: '41.18' }]),
      });
      const flagged = await reconcileBill(store, book, wrong.billId, { actor: 'test' });
      expect(flagged).toMatchObject({ flagged: 1, byComponent: { weight: 1 } });
      const [line] = await linesOf(store.db, wrong.billId);
      expect(line).toMatchObject({ expected: '34.31', difference: '6.87' });
    });

    it('reports an unknown waybill or an out-of-range figure per measurement and applies the rest', async () => {
      const { partners } = fakeAlpha(() => undefined);
      const deps: JobDeps = {
        store,
        queue: new JobQueue(store),
        partners: () => partners,
        rateCards: () => book,
      };
      await acceptOrder(store, orderFixture({ externalId: 'SO-W2' }), { caller: 'test' });
      const pool = new WorkerPool('outbound', deps, pino({ level: 'silent' }), { idlePollMs: 20 });
      pool.start();
      try {
        await until(async () =>
          Boolean(await store.db.selectFrom('shipments').select('id').executeTakeFirst()),
        );
      } finally {
        await pool.stop();
      }
      const shipment = await store.db.selectFrom('shipments').selectAll().executeTakeFirstOrThrow();
      const out = await recordMeasurements(store, book, [
        { carrier: 'carrier-alpha', waybillNo: 'AL0000000000', weightGrams: 900, source: 'api:test' },
        { carrier: 'carrier-alpha', waybillNo: shipment.waybill_no, weightGrams: 0, source: 'api:test' },
        { carrier: 'carrier-alpha', waybillNo: shipment.waybill_no, weightGrams: 1_800, source: 'api:test' },
      ]);
      expect(out).toEqual([
        { waybillNo: 'AL0000000000', status: 'unknown_waybill' },
        { waybillNo: shipment.waybill_no, status: 'not_priced', reason: 'measurement_out_of_range' },
        {
          waybillNo: shipment.waybill_no,
          status: 'repriced',
          total: '17.78',
          currency: 'USD',
          chargeableGrams: 2000,
        },
      ]);
      // Dimensions later: the earlier weight is kept and both count.
      await recordMeasurements(store, book, [
        {
          carrier: 'carrier-alpha',
          waybillNo: shipment.waybill_no,
          dimsCm: { length: 10, width: 10, height: 10 },
          source: 'api:test',
        },
      ]);
      expect(await chargeOfShipment(store.db, shipment.id)).toMatchObject({
        measured_grams: 1800,
        chargeable_grams: 2000,
        total: '17.78',
      });
    });
  });
}
