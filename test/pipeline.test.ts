import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrackingEvent } from '../src/domain/index.js';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import { ingestTrackingEvents } from '../src/pipeline/tracking.js';
import { JobQueue } from '../src/store/queue.js';
import { getOrderRow, historyForOrder } from '../src/store/orders.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { orderFixture } from './helpers/fixtures.js';

const ev = (
  code: TrackingEvent['code'],
  stage: TrackingEvent['stage'],
  at: string,
  id = code,
): TrackingEvent => ({
  carrier: 'carrier-x',
  waybillNo: 'WB1',
  eventId: id,
  code,
  stage,
  partnerCode: code,
  description: code,
  occurredAt: at,
});

async function insertShipment(
  store: TestStore,
  orderId: string,
  shipmentId: string,
  now = Date.now(),
): Promise<void> {
  await store.db
    .insertInto('shipments')
    .values({
      id: shipmentId,
      order_id: orderId,
      carrier: 'carrier-x',
      waybill_no: 'WB1',
      status: 'info_received',
      label_url: null,
      estimated_delivery: null,
      last_event_at: null,
      next_poll_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

async function withShipment(store: TestStore): Promise<string> {
  const { id } = await acceptOrder(store, orderFixture(), { caller: 't' });
  await insertShipment(store, id, 'shp_1');
  return id;
}

for (const dialect of DIALECTS) {
  describe(`order acceptance and tracking on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
    });
    afterEach(async () => store.destroy());

    it('stores the order and its shipment job together, once per source + externalId', async () => {
      const a = await acceptOrder(store, orderFixture(), { caller: 'k1' });
      const b = await acceptOrder(store, orderFixture(), { caller: 'k2' });
      expect(a.created).toBe(true);
      expect(b).toEqual({ id: a.id, created: false, replay: 'external-id', status: 'accepted' });
      expect(await new JobQueue(store).counts()).toEqual({ ready: 1 });
      const row = await getOrderRow(store.db, a.id);
      expect(row?.total_value).toBe('25.00');
    });

    it('returns the same order for a repeated Idempotency-Key and refuses the key with another body', async () => {
      const a = await acceptOrder(store, orderFixture(), { caller: 'k1', idempotencyKey: 'idem-1' });
      const b = await acceptOrder(store, orderFixture(), { caller: 'k1', idempotencyKey: 'idem-1' });
      expect(b.id).toBe(a.id);
      await expect(
        acceptOrder(store, orderFixture({ externalId: 'SO-2' }), { caller: 'k1', idempotencyKey: 'idem-1' }),
      ).rejects.toMatchObject({
        code: 'idempotency_key_reused',
      });
    });

    it('treats a re-delivered webhook as the same order', async () => {
      const raw = { partnerId: 'sandbox-shop', kind: 'webhook:orders/create', dedupeKey: 'wh-1', body: '{}' };
      const a = await acceptOrder(store, orderFixture(), { caller: 'shop', raw });
      const b = await acceptOrder(store, orderFixture(), { caller: 'shop', raw });
      expect(b).toEqual({ id: a.id, created: false, replay: 'redelivery' });
    });

    it('orders tracking by event time, ignores duplicates, and does not let a late event move the status back', async () => {
      const orderId = await withShipment(store);
      await ingestTrackingEvents(store, [
        ev('OUT_FOR_DELIVERY', 'delivery', '2026-01-02T10:00:00Z'),
        ev('DELIVERED', 'delivery', '2026-01-02T12:00:00Z'),
      ]);
      // Late, older scans and a duplicate arrive after delivery.
      const late = await ingestTrackingEvents(store, [
        ev('IMPORT_CUSTOMS_HELD', 'import_customs', '2026-01-01T08:00:00Z'),
        ev('DELIVERED', 'delivery', '2026-01-02T12:00:00Z'),
      ]);
      expect(late).toMatchObject({ received: 2, inserted: 1 });
      const shipment = await store.db
        .selectFrom('shipments')
        .selectAll()
        .where('id', '=', 'shp_1')
        .executeTakeFirstOrThrow();
      expect(shipment.status).toBe('delivered');
      expect((await getOrderRow(store.db, orderId))?.status).toBe('delivered');
      const statuses = (await historyForOrder(store.db, orderId)).map((h) => h.status);
      expect(statuses).toEqual(['accepted', 'delivered']);
    });

    it('keeps events that arrive before the waybill is stored and applies them once it is', async () => {
      await ingestTrackingEvents(store, [ev('PICKED_UP', 'first_mile', '2026-01-01T01:00:00Z')]);
      const { id } = await acceptOrder(store, orderFixture(), { caller: 't' });
      const now = Date.now();
      await insertShipment(store, id, 'shp_2', now);
      const { applyTracking } = await import('../src/pipeline/tracking.js');
      await applyTracking(store.db, 'carrier-x', 'WB1', now, store.dialect);
      expect((await getOrderRow(store.db, id))?.status).toBe('in_transit');
    });

    it('ends on the newest status when many pushes for one parcel are ingested at once', async () => {
      const orderId = await withShipment(store);
      const codes: Array<[TrackingEvent['code'], TrackingEvent['stage']]> = [
        ['PICKED_UP', 'first_mile'],
        ['LINE_HAUL_DEPARTED', 'line_haul'],
        ['IMPORT_CUSTOMS_PROCESSING', 'import_customs'],
        ['HANDOVER_TO_LAST_MILE', 'last_mile'],
        ['OUT_FOR_DELIVERY', 'delivery'],
        ['DELIVERED', 'delivery'],
      ];
      await Promise.all(
        codes.map(([code, stage], i) =>
          ingestTrackingEvents(store, [ev(code, stage, new Date(Date.UTC(2026, 0, 1, i)).toISOString())]),
        ),
      );
      expect((await getOrderRow(store.db, orderId))?.status).toBe('delivered');
    });

    it('drops a re-delivered tracking push by its delivery id', async () => {
      await withShipment(store);
      const raw = { partnerId: 'carrier-x', kind: 'tracking_push', dedupeKey: 'push-1', body: '{}' };
      const first = await ingestTrackingEvents(
        store,
        [ev('PICKED_UP', 'first_mile', '2026-01-01T01:00:00Z')],
        Date.now(),
        raw,
      );
      const again = await ingestTrackingEvents(
        store,
        [ev('PICKED_UP', 'first_mile', '2026-01-01T01:00:00Z')],
        Date.now(),
        raw,
      );
      expect(first.inserted).toBe(1);
      expect(again.inserted).toBe(0);
    });
  });
}
