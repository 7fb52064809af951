/**
 * What became of a batch of orders from one source: status, waybill and shipping latency per
 * order, and the tracking events stored for their waybills. Read by `waygate demo` to report a run.
 */
import type { Executor } from './transaction.js';

export interface OrderOutcome {
  status: string;
  createdAt: number;
  shippedAt: number | null;
  waybillNo: string | null;
}

/** One row per stored order (and per shipment of it) among `externalIds` of `source`. */
export async function orderOutcomes(
  ex: Executor,
  source: string,
  externalIds: readonly string[],
): Promise<OrderOutcome[]> {
  if (externalIds.length === 0) return [];
  const rows = await ex
    .selectFrom('orders')
    .leftJoin('shipments', 'shipments.order_id', 'orders.id')
    .select([
      'orders.status',
      'orders.created_at',
      'shipments.created_at as shipped_at',
      'shipments.waybill_no',
    ])
    .where('orders.source', '=', source)
    .where('orders.external_id', 'in', externalIds)
    .execute();
  return rows.map((r) => ({
    status: r.status,
    createdAt: r.created_at,
    shippedAt: r.shipped_at,
    waybillNo: r.waybill_no,
  }));
}

/** How many tracking events are stored for these waybills. */
export async function countTrackingEvents(ex: Executor, waybills: readonly string[]): Promise<number> {
  if (waybills.length === 0) return 0;
  const c = await ex
    .selectFrom('tracking_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('waybill_no', 'in', waybills)
    .executeTakeFirst();
  return Number(c?.n ?? 0);
}
