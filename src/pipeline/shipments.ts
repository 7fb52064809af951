/**
 * The `shipment.create` job: route the order to a carrier, create the shipment there with an
 * idempotency key derived from the order id (so a retry after a crash is recognised by the
 * carrier as the same request), and store the waybill in the same transaction that completes
 * the job.
 */
import { multiply, sum, orderStatusFromShipment } from '../domain/index.js';
import type { CarrierConnector } from '../connectors/types.js';
import type { Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import type { Job, JobQueue } from '../store/queue.js';
import { getOrderRow, setOrderStatus, toOrderRecord } from '../store/orders.js';
import { routeCarrier, type RoutingConfig } from './routing.js';
import { applyTracking } from './tracking.js';
import type { JobHandler } from './worker.js';

export interface ShipmentHandlerDeps {
  store: Store;
  queue: JobQueue;
  carriers: ReadonlyMap<string, CarrierConnector>;
  routing: () => RoutingConfig;
}

export function shipmentIdempotencyKey(orderId: string): string {
  return `wg-ship-${orderId}`;
}

export function shipmentCreateHandler(deps: ShipmentHandlerDeps): JobHandler {
  return {
    async run(job: Job) {
      const { orderId } = job.payload as { orderId: string };
      const row = await getOrderRow(deps.store.db, orderId);
      if (!row) {
        await deps.queue.complete(job);
        return;
      }
      const existing = await deps.store.db
        .selectFrom('shipments')
        .select('id')
        .where('order_id', '=', orderId)
        .executeTakeFirst();
      if (existing) {
        await deps.queue.complete(job);
        return;
      }
      const order = toOrderRecord(row);
      const carrierId = routeCarrier(deps.routing(), order.destinationCountry);
      const carrier = deps.carriers.get(carrierId);
      if (!carrier) throw new Error(`routing chose carrier ${carrierId}, which is not configured`);
      const created = await carrier.createShipment({
        orderId: order.id,
        reference: order.externalId,
        idempotencyKey: shipmentIdempotencyKey(order.id),
        recipient: order.recipient,
        items: order.items,
        currency: order.currency,
        declaredValue: sum(order.items.map((i) => multiply(i.unitPrice, i.quantity))),
        totalWeightGrams: order.items.reduce((g, i) => g + i.weightGrams * i.quantity, 0),
      });
      const nowMs = Date.now();
      await deps.store.write(async (trx) => {
        await trx
          .insertInto('shipments')
          .values({
            id: newId('shp', nowMs),
            order_id: order.id,
            carrier: carrierId,
            waybill_no: created.waybillNo,
            status: 'info_received',
            label_url: created.labelUrl ?? null,
            estimated_delivery: created.estimatedDelivery ?? null,
            last_event_at: null,
            next_poll_at: carrier.manifest.tracking === 'poll' ? nowMs : null,
            created_at: nowMs,
            updated_at: nowMs,
          })
          .onConflict((oc) => oc.column('order_id').doNothing())
          .execute();
        await setOrderStatus(
          trx,
          order.id,
          orderStatusFromShipment('info_received'),
          `waybill ${created.waybillNo} from ${carrierId}`,
          nowMs,
        );
        // Events pushed before the waybill was stored (a crash in between) apply now.
        await applyTracking(trx, carrierId, created.waybillNo, nowMs, deps.store.dialect);
        await deps.queue.complete(job, trx);
      });
    },
    async onDead(job: Job, error: string) {
      const { orderId } = job.payload as { orderId: string };
      await setOrderStatus(
        deps.store.db,
        orderId,
        'failed',
        `shipment creation stopped: ${error.slice(0, 500)}`,
        Date.now(),
      );
    },
  };
}
