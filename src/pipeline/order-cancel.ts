/**
 * An operator cancels a failed order: the alternative to replaying its dead shipment job. The
 * order becomes `cancelled` — final — and its dead jobs are deleted in the same transaction, so
 * nothing can later send it (and its consignee's address) to a carrier; the shipment job also
 * skips a cancelled order should one be queued meanwhile. Audited as `order.cancel`, refusals
 * included.
 */
import { isCancellableOrderStatus, maskFreeText, WaygateError, type OrderStatus } from '../domain/index.js';
import { scrubFreeText } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { audited, deadJobsOfKinds, deleteDeadJob } from '../store/dlq.js';
import { platformsShowing } from '../store/inventory.js';
import { getOrderRow, setOrderStatus } from '../store/orders.js';
import { JOB_KINDS, jobKind } from './jobs/index.js';
import { announceStock } from './jobs/stock-publish.js';
import { cancelWarehouseOrder } from './warehouse-fulfilment.js';

export interface CancelResult {
  id: string;
  status: 'cancelled';
  /** The dead jobs of the order that were deleted with it. */
  discardedJobs: string[];
}

export async function cancelFailedOrder(
  store: Store,
  orderId: string,
  actor: string,
  reason: string,
  nowMs = Date.now(),
): Promise<CancelResult> {
  const why = typeof reason === 'string' ? reason.trim() : '';
  const audit = { actor, action: 'order.cancel', target: orderId, detail: { reason: scrubFreeText(why) } };
  return audited(store, audit, nowMs, async (trx) => {
    if (why.length === 0 || why.length > 500) {
      throw new WaygateError('invalid_reason', 'a cancellation needs a reason of 1 to 500 characters', [
        { field: '/reason', message: 'must be 1 to 500 characters' },
      ]);
    }
    const row = await getOrderRow(trx, orderId);
    if (!row) throw new WaygateError('order_not_found', `no order ${orderId}`);
    const status = row.status as OrderStatus;
    if (!isCancellableOrderStatus(status)) {
      throw new WaygateError(
        'order_not_cancellable',
        `order ${orderId} is ${status}; only a failed, needs_data or awaiting_stock order can be cancelled`,
        {
          status,
        },
      );
    }
    const orderKinds = JOB_KINDS.filter((k) => k.hasOrder).map((k) => k.name);
    const dead = (await deadJobsOfKinds(trx, orderKinds)).filter(
      (j) => jobKind(j.kind)?.orderOf(j.payload) === orderId,
    );
    for (const job of dead) await deleteDeadJob(trx, job.id);
    // Routed to a warehouse (held for stock, or refused there): its reservations end with it, and
    // the shops showing those SKUs are told the units are sellable again.
    const released = new Set((await cancelWarehouseOrder(trx, orderId, nowMs)).map((c) => c.sku));
    for (const sku of [...released].sort()) {
      await announceStock(trx, await platformsShowing(trx, [sku]), [sku], nowMs);
    }
    await setOrderStatus(trx, orderId, 'cancelled', `cancelled by an operator: ${maskFreeText(why)}`, nowMs);
    const discardedJobs = dead.map((j) => j.id);
    return {
      result: { id: orderId, status: 'cancelled', discardedJobs },
      detail: { from: status, discardedJobs },
    };
  });
}
