/**
 * `fulfilment.send`: tells the sales platform an order came from that it shipped — the waybill
 * number and the carrier, as the platform's buyers should see them — and, where the platform
 * takes it, how the parcel moves afterwards (Shopify: tracking update + fulfilment events; TOP
 * and TikTok Shop ship an order once, so later runs there call nothing).
 *
 * Queued when the waybill is stored (shipment.create, same transaction) and again whenever the
 * shipment's status changes (pipeline/tracking.ts), at most one queued per order: a run always
 * sends the status *now*, so changes that pile up while the platform is slow are sent as one.
 * A change that lands while a run is under way is caught when the run completes: it re-reads the
 * status in its completing transaction and runs again instead when the status moved.
 * Called through the platform's runtime (breaker, 429 gate, limits) and retried with its policy's
 * backoff like every outbound call; dead-lettered after the queue's attempts, the
 * order and its shipment untouched (a platform that was not told is not a shipment that failed).
 */
import { Type } from '@sinclair/typebox';
import type { FulfilmentRequest } from '../../connectors/types.js';
import { getOrderRow } from '../../store/orders.js';
import { insertFulfilment, markFulfilmentSent, readFulfilment } from '../../store/platform-flow.js';
import { shipmentByWaybill, shipmentForUpdate, shipmentsForOrder } from '../../store/shipments.js';
import type { Executor } from '../../store/transaction.js';
import type { PartnerDirectory } from '../partners.js';
import { defineJobKind } from './kind.js';

export const FulfilmentSendPayload = Type.Object(
  { orderId: Type.String({ pattern: '^ord_[0-9a-z]{26}$', description: 'the shipped order' }) },
  { additionalProperties: false },
);

export const fulfilmentSend = defineJobKind({
  name: 'fulfilment.send',
  description:
    'sends the waybill and carrier to the platform the order came from, then its tracking as it moves (where the platform takes updates)',
  lane: 'outbound',
  payload: FulfilmentSendPayload,
  dedupeKey: (p) => `fulfilment.send:${p.orderId}`,
  handler: (deps) => ({
    async run(job) {
      const { orderId } = job.payload;
      const db = deps.store.db;
      const record = await readFulfilment(db, orderId);
      const order = await getOrderRow(db, orderId);
      const [shipment] = await shipmentsForOrder(db, orderId);
      const partners = deps.partners();
      const platform = record ? partners.platform(record.platformId) : undefined;
      job.routeTo?.(record?.platformId ?? 'unknown');
      if (!record || !order || !shipment || !platform?.sendFulfilment) {
        await deps.queue.complete(job);
        return;
      }
      if (record.sentStatus === shipment.status && record.waybillNo === shipment.waybillNo) {
        await deps.queue.complete(job);
        return;
      }
      const request: FulfilmentRequest = {
        externalOrderId: order.external_id,
        waybillNo: shipment.waybillNo,
        carrierName: carrierDisplayName(partners, shipment.carrier),
        carrierId: shipment.carrier,
        status: shipment.status,
        ...(record.partnerRef ? { partnerRef: record.partnerRef } : {}),
      };
      // Through the platform's runtime, as a carrier call: breaker, 429 gate, the policy's retries.
      const runtime = partners.platformRuntime?.(record.platformId);
      const sent = runtime
        ? await runtime.call((p) => p.sendFulfilment!(request), job.attempts)
        : await platform.sendFulfilment(request);
      await deps.store.write(async (trx) => {
        await markFulfilmentSent(
          trx,
          orderId,
          { partnerRef: sent.partnerRef, status: shipment.status, waybillNo: shipment.waybillNo },
          Date.now(),
        );
        // On PostgreSQL the shipment row is locked: a tracking update under way (it holds the
        // lock, and queues its send while this job still exists, which stores nothing) commits
        // first and is seen here; one that starts later waits, and queues anew once this job is
        // gone. Read without the lock, the status could be read just before such an update
        // commits and the move never sent. SQLite has one writer.
        const read = deps.store.dialect === 'postgres' ? shipmentForUpdate : shipmentByWaybill;
        const now = (await read(trx, { carrier: shipment.carrier, waybillNo: shipment.waybillNo })).rows[0];
        // The parcel moved while the platform was being told: tell it again, now.
        if (now && now.status !== shipment.status) await deps.queue.reschedule(job, Date.now(), trx);
        else await deps.queue.complete(job, trx);
      });
    },
  }),
  deadLetter: { edit: null },
});

/**
 * The carrier as buyers know it: its manifest name before any parenthesis ("4PX (递四方) FOP open
 * platform" → "4PX", "UPS (OAuth 2.0, …)" → "UPS"), or its id when it is not configured.
 */
export function carrierDisplayName(partners: PartnerDirectory, carrierId: string): string {
  const name = partners.carrier(carrierId)?.primary.manifest.name;
  return name?.split(' (')[0]?.trim() || carrierId;
}

/**
 * Called with a new waybill, in its transaction: when the order's source is a platform that takes
 * fulfilments, records that it must be told and queues the first send.
 */
export async function announceShipment(
  trx: Executor,
  partners: PartnerDirectory,
  shipment: { orderId: string; source: string; waybillNo: string },
  nowMs: number,
): Promise<void> {
  if (!partners.platform(shipment.source)?.sendFulfilment) return;
  await insertFulfilment(
    trx,
    { orderId: shipment.orderId, platformId: shipment.source, waybillNo: shipment.waybillNo },
    nowMs,
  );
  await fulfilmentSend.enqueue(trx, { orderId: shipment.orderId }, nowMs);
}

/**
 * Called when a shipment's status changed, in the same transaction: queues a send when the
 * order's platform is told about its shipment (a fulfilment record exists for it).
 */
export async function announceStatusChange(trx: Executor, orderId: string, nowMs: number): Promise<void> {
  if (!(await readFulfilment(trx, orderId))) return;
  await fulfilmentSend.enqueue(trx, { orderId }, nowMs);
}
