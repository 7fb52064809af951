/**
 * `warehouse.outbound`: creates the warehouse's outbound order for an order routing sent to it
 * (its stock already reserved), with the hub's order id as the warehouse's client reference, so
 * a retry after a lost answer is recognised as the same order. Retried with backoff while the
 * warehouse fails, dead-lettered when it refuses (the order is then `failed`, its reservation
 * kept until an operator replays or cancels it). Once created, the same job follows the order
 * at the warehouse (the pull beside the warehouse's shipped push) until it has shipped: whichever
 * reports the last-mile waybill first makes the shipment, the other changes nothing.
 */
import { Type } from '@sinclair/typebox';
import { shippableItems } from '../../domain/index.js';
import type { Executor } from '../../store/transaction.js';
import { getOrderRow, readOrder, setOrderStatus } from '../../store/orders.js';
import { moveWarehouseOrder, warehouseOrder } from '../../store/warehouse-orders.js';
import { outboundCreated, recordWarehouseShipment, type WarehouseShipment } from '../warehouse-fulfilment.js';
import { declaresFor } from '../customs/settings.js';
import { announceCustoms } from './customs-declare.js';
import { announceShipment } from './fulfilment-send.js';
import { defineJobKind, type JobDeps } from './kind.js';

const ID = '^[a-z0-9][a-z0-9-]{1,62}$';

export const WarehouseOutboundPayload = Type.Object(
  {
    orderId: Type.String({ pattern: '^ord_[0-9a-z]{26}$', description: 'the order the warehouse fulfils' }),
    warehouse: Type.String({ pattern: ID, description: 'the warehouse routing chose' }),
  },
  { additionalProperties: false },
);

/** How often an order at the warehouse is asked after when no interval is configured. */
const DEFAULT_FOLLOW_MS = 60_000;

export function outboundIdempotencyKey(orderId: string): string {
  return `wg-outbound-${orderId}`;
}

export const warehouseOutbound = defineJobKind({
  name: 'warehouse.outbound',
  description:
    "creates a warehouse's outbound order for an order routed to it, then follows it until the warehouse ships",
  lane: 'outbound',
  payload: WarehouseOutboundPayload,
  partnerOf: (p) => p.warehouse,
  dedupeKey: (p) => `warehouse.outbound:${p.orderId}`,
  handler: (deps) => ({
    async run(job) {
      const { orderId, warehouse: warehouseId } = job.payload;
      const partners = deps.partners();
      const wo = await warehouseOrder(deps.store.db, orderId);
      // Shipped (by the warehouse's push), cancelled, or re-routed meanwhile: nothing to do.
      if (!wo || wo.warehouse_id !== warehouseId || !['queued', 'sent', 'failed'].includes(wo.status)) {
        await deps.queue.complete(job);
        return;
      }
      const connector = partners.warehouse?.(warehouseId);
      if (!connector?.createOutbound)
        throw new Error(
          `routing chose warehouse ${warehouseId}, which is not configured for outbound orders`,
        );
      const followMs = partners.inventory?.().pullIntervalMs ?? DEFAULT_FOLLOW_MS;
      if (wo.status !== 'sent') {
        const row = await getOrderRow(deps.store.db, orderId);
        if (!row || row.status === 'cancelled') {
          await deps.queue.complete(job);
          return;
        }
        const order = await readOrder(deps.store.keys, row);
        // Routed only once its lines were complete (shipment.create checks first).
        const items = shippableItems(order.items);
        if (!items) throw new Error(`order ${orderId} lacks customs data for its lines`);
        const created = await connector.createOutbound({
          orderId,
          idempotencyKey: outboundIdempotencyKey(orderId),
          recipient: order.recipient,
          items,
        });
        const nowMs = Date.now();
        await deps.store.write(async (trx) => {
          await outboundCreated(trx, orderId, warehouseId, created.outboundNo, nowMs);
          if (created.state === 'shipped' && created.waybillNo && created.lastMileCarrier)
            await shipped(trx, created.waybillNo, created.lastMileCarrier, created.outboundNo, nowMs);
          if (connector.outboundStatus && created.state !== 'shipped')
            await deps.queue.reschedule(job, nowMs + followMs, trx);
          else await deps.queue.complete(job, trx);
        });
        return;
      }
      if (!connector.outboundStatus) {
        await deps.queue.complete(job);
        return;
      }
      const status = await connector.outboundStatus(orderId);
      const nowMs = Date.now();
      await deps.store.write(async (trx) => {
        if (status.state === 'shipped' && status.waybillNo && status.lastMileCarrier) {
          await shipped(trx, status.waybillNo, status.lastMileCarrier, status.outboundNo, nowMs);
          await deps.queue.complete(job, trx);
        } else if (status.state === 'cancelled') {
          // The warehouse cancelled it (a stock-out it found on the shelf, an operator there):
          // the order waits for a human, its reservation kept until they decide.
          await moveWarehouseOrder(trx, orderId, ['sent'], { status: 'failed', updated_at: nowMs });
          await setOrderStatus(
            trx,
            orderId,
            'failed',
            `warehouse ${warehouseId} cancelled outbound order ${status.outboundNo}`,
            nowMs,
          );
          await deps.queue.complete(job, trx);
        } else {
          await deps.queue.reschedule(job, nowMs + followMs, trx);
        }
      });

      async function shipped(
        trx: Executor,
        waybillNo: string,
        carrier: string,
        outboundNo: string,
        nowMs: number,
      ) {
        await shippedFromWarehouse(
          trx,
          deps,
          { warehouseId, orderId, waybillNo, carrier, outboundNo },
          nowMs,
        );
      }
    },
    async onDead(job, error) {
      const nowMs = Date.now();
      await deps.store.write(async (trx) => {
        await moveWarehouseOrder(trx, job.payload.orderId, ['queued', 'sent'], {
          status: 'failed',
          reason: error.slice(0, 500),
          updated_at: nowMs,
        });
        await setOrderStatus(
          trx,
          job.payload.orderId,
          'failed',
          `warehouse outbound order stopped: ${error.slice(0, 500)}`,
          nowMs,
        );
      });
    },
  }),
  // The warehouse refused the order as it is: a replay sends it again (after a fix upstream).
  deadLetter: { orderOf: (p) => p.orderId, edit: null },
});

/**
 * The warehouse shipped an order (reported by its push or found by the pull): the shipment is
 * recorded once, and the platform the order came from is told the waybill like any other — and
 * customs, when the order is declared, as of a carrier's waybill.
 */
export async function shippedFromWarehouse(
  trx: Executor,
  deps: JobDeps,
  s: WarehouseShipment,
  nowMs = Date.now(),
): Promise<boolean> {
  const partners = deps.partners();
  const recorded = await recordWarehouseShipment(
    trx,
    deps.store.dialect,
    s,
    { pollNow: partners.carrier(s.carrier)?.primary.manifest.tracking === 'poll' },
    nowMs,
  );
  if (!recorded) return false;
  const row = await getOrderRow(trx, s.orderId);
  if (row) {
    await announceShipment(
      trx,
      partners,
      { orderId: s.orderId, source: row.source, waybillNo: s.waybillNo },
      nowMs,
    );
    // Customs hears of the warehouse's waybill as of a carrier's (CEB511/505, then the list).
    const customs = partners.customsSettings?.();
    if (declaresFor(customs, row.source))
      await announceCustoms(trx, customs, await readOrder(deps.store.keys, row), 'waybill', nowMs);
  }
  return true;
}
