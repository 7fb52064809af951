/**
 * `shipment.create`: route the order to a carrier, create the shipment there with an idempotency
 * key derived from the order id (so a retry after a crash is recognised by the carrier as the
 * same request), and store the waybill — with its expected charge under the carrier's rate card —
 * in the same transaction that completes the job. Queued by
 * acceptOrder in the order's own transaction. An order crossing the Chinese border whose source
 * has a customs profile is announced to customs here (customs.declare), before the carrier call
 * and again with its waybill.
 */
import { Type } from '@sinclair/typebox';
import { enrichLines, orderStatusFromShipment, orderTotal, shippableItems } from '../../domain/index.js';
import type { ShipmentRequest } from '../../connectors/types.js';
import { newId } from '../../store/ids.js';
import { getOrderRow, readOrder, setOrderStatus } from '../../store/orders.js';
import { setMissingSkus } from '../../store/products.js';
import { insertShipment, shipmentIdForOrder } from '../../store/shipments.js';
import { editOrder, OrderEdit } from '../order-edit.js';
import { acceptShipmentCreated } from '../partner-values.js';
import { routeOrder } from '../routing.js';
import { storeChargeForNewShipment } from '../settlement/charges.js';
import { applyTracking } from '../tracking.js';
import { announceShipment } from './fulfilment-send.js';
import { releasableOrders, routeToWarehouse } from '../warehouse-fulfilment.js';
import type { Executor } from '../../store/transaction.js';
import { announceStock, stockPlatforms } from './stock-publish.js';
import { warehouseOutbound } from './warehouse-outbound.js';
import { labelForNewWaybill, storeLabel } from '../labels.js';
import { announceCustoms } from './customs-declare.js';
import { declaresFor } from '../customs/settings.js';
import { defineEdit, defineJobKind } from './kind.js';

export const ShipmentCreatePayload = Type.Object(
  { orderId: Type.String({ pattern: '^ord_[0-9a-z]{26}$', description: 'the order to ship' }) },
  { additionalProperties: false },
);

export function shipmentIdempotencyKey(orderId: string): string {
  return `wg-ship-${orderId}`;
}

export const shipmentCreate = defineJobKind({
  name: 'shipment.create',
  description: 'creates the shipment of an accepted order at the carrier its route chooses',
  lane: 'outbound',
  payload: ShipmentCreatePayload,
  dedupeKey: (p) => `shipment.create:${p.orderId}`,
  handler: (deps) => ({
    async run(job) {
      const { orderId } = job.payload;
      const row = await getOrderRow(deps.store.db, orderId);
      // Gone, or cancelled by an operator meanwhile: nothing to ship.
      if (!row || row.status === 'cancelled') {
        await deps.queue.complete(job);
        return;
      }
      if (await shipmentIdForOrder(deps.store.db, orderId)) {
        await deps.queue.complete(job);
        return;
      }
      const order = await readOrder(deps.store.keys, row);
      const items = shippableItems(order.items);
      if (!items) {
        // Never shipped without customs data: the order goes back to wait for the catalogue.
        const { missing } = enrichLines(order.items, new Map());
        await deps.store.write(async (trx) => {
          await setMissingSkus(
            trx,
            order.id,
            missing.map((m) => m.sku),
            Date.now(),
          );
          await setOrderStatus(
            trx,
            order.id,
            'needs_data',
            'lines lack customs data; waiting for the catalogue',
            Date.now(),
          );
          await deps.queue.complete(job, trx);
        });
        return;
      }
      const partners = deps.partners();
      // Customs hears of the order before any carrier is called (CEB311/303, and CEB411): only
      // when its source has a customs profile, and once — a retry finds its declarations.
      const customs = partners.customsSettings?.();
      if (declaresFor(customs, order.source))
        await deps.store.write((trx) => announceCustoms(trx, customs, order, 'order'));
      const route = routeOrder(partners.routing(), {
        destinationCountry: order.destinationCountry,
        skus: order.items.map((i) => i.sku),
      });
      if (route.kind === 'warehouse') {
        // Fulfilled from the warehouse's stock: reserved (or held for stock) and handed to
        // warehouse.outbound in one transaction with this job's completion.
        job.routeTo?.(route.warehouse);
        const platforms = stockPlatforms(partners);
        await deps.store.write(async (trx) => {
          const routed = await routeToWarehouse(trx, order.id, route.warehouse, order.items);
          if (routed.outcome === 'reserved') {
            await warehouseOutbound.enqueue(trx, { orderId: order.id, warehouse: route.warehouse });
            await announceStock(
              trx,
              platforms,
              routed.changed.map((c) => c.sku),
            );
          }
          await deps.queue.complete(job, trx);
        });
        return;
      }
      const carrierId = route.carrier;
      const carrier = partners.carrier(carrierId);
      job.routeTo?.(carrierId);
      if (!carrier) throw new Error(`routing chose carrier ${carrierId}, which is not configured`);
      const request: ShipmentRequest = {
        orderId: order.id,
        reference: order.externalId,
        idempotencyKey: shipmentIdempotencyKey(order.id),
        recipient: order.recipient,
        items,
        currency: order.currency,
        declaredValue: orderTotal(items),
        totalWeightGrams: items.reduce((g, i) => g + i.weightGrams * i.quantity, 0),
      };
      // Through the partner's policy: window, suspension, 429 gate, rate limit, breaker, channel.
      const answer = await carrier.call((c) => c.createShipment(request), job.attempts);
      const nowMs = Date.now();
      // Nothing the carrier answered is stored before it passes the canonical bounds (issue 16).
      const created = acceptShipmentCreated(carrierId, answer, {
        allowLoopbackHttp: partners.networkPolicy?.().allowLoopback ?? false,
        nowMs,
      });
      const shipmentId = newId('shp', nowMs);
      // The label, taken with the waybill (in the answer, or fetched now); stored sealed beside it.
      const label = await labelForNewWaybill(
        carrier.primary.fetchLabel
          ? (w) =>
              carrier.call(
                (c) => c.fetchLabel?.(w) ?? Promise.reject(new Error('no label.fetch on this channel')),
                job.attempts,
              )
          : undefined,
        created.waybillNo,
        created.label,
      );
      await deps.store.write(async (trx) => {
        const inserted = await insertShipment(trx, {
          id: shipmentId,
          order_id: order.id,
          carrier: carrierId,
          waybill_no: created.waybillNo,
          status: 'info_received',
          label_url: created.labelUrl ?? null,
          estimated_delivery: created.estimatedDelivery ?? null,
          last_event_at: null,
          next_poll_at: carrier.primary.manifest.tracking === 'poll' ? nowMs : null,
          created_at: nowMs,
          updated_at: nowMs,
        });
        await setOrderStatus(
          trx,
          order.id,
          orderStatusFromShipment('info_received'),
          `waybill ${created.waybillNo} from ${carrierId}`,
          nowMs,
        );
        // The label, sealed, with the waybill it belongs to.
        if (inserted && label)
          await storeLabel(
            trx,
            deps.store.keys.cipher,
            { id: shipmentId, carrier: carrierId, waybillNo: created.waybillNo },
            label,
            nowMs,
          );
        // The platform the order came from is told the waybill (fulfilment.send, queued here).
        if (inserted)
          await announceShipment(
            trx,
            partners,
            { orderId: order.id, source: order.source, waybillNo: created.waybillNo },
            nowMs,
          );
        // What the parcel should cost, priced now under the card in force [003-5.9], stored with
        // the waybill so the two exist together or not at all.
        if (inserted)
          await storeChargeForNewShipment(
            trx,
            deps.rateCards?.(),
            { shipmentId, carrier: carrierId, waybillNo: created.waybillNo, createdAt: nowMs },
            order,
            nowMs,
          );
        // Customs hears of the waybill with it (CEB511/505, then the inventory list).
        if (inserted) await announceCustoms(trx, customs, order, 'waybill', nowMs);
        // Events pushed before the waybill was stored (a crash in between) apply now.
        await applyTracking(trx, carrierId, created.waybillNo, nowMs, deps.store.dialect);
        await deps.queue.complete(job, trx);
      });
    },
    async onDead(job, error) {
      await setOrderStatus(
        deps.store.db,
        job.payload.orderId,
        'failed',
        `shipment creation stopped: ${error.slice(0, 500)}`,
        Date.now(),
      );
    },
  }),
  deadLetter: {
    orderOf: (p) => p.orderId,
    // The carrier refused the order's data: fix the order, then replay the same job.
    edit: defineEdit(OrderEdit, (ctx, p: { orderId: string }, edit) => editOrder(ctx, p.orderId, edit)),
  },
});

/**
 * Queues again the orders held for stock at a warehouse that its stock now covers (called in the
 * transaction that moved the stock): each is routed afresh, so the levels decide under their
 * locks. Returns the orders released.
 */
export async function releaseHeldOrders(trx: Executor, warehouseId: string, nowMs = Date.now()) {
  const ids = await releasableOrders(trx, warehouseId);
  for (const orderId of ids) {
    await setOrderStatus(trx, orderId, 'accepted', `stock arrived at warehouse ${warehouseId}`, nowMs);
    await shipmentCreate.enqueue(trx, { orderId }, nowMs);
  }
  return ids;
}
