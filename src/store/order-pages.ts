/**
 * Keyset-paged reads of orders joined with their shipment, for the file exports (order report and
 * carrier manifest). Pages are ordered by order id; pass the last id seen as `after`.
 */
import type { Executor } from './transaction.js';

export interface OrderReportFilter {
  status?: string | undefined;
  source?: string | undefined;
  carrier?: string | undefined;
  /** created_at ≥ from (epoch ms) */
  from?: number | undefined;
  /** created_at < to (epoch ms) */
  to?: number | undefined;
}

/** One page of orders (with their shipment's carrier, waybill and status) matching `f`. */
export function orderReportPage(ex: Executor, f: OrderReportFilter, after: string, limit: number) {
  let q = ex
    .selectFrom('orders as o')
    .leftJoin('shipments as s', 's.order_id', 'o.id')
    .select([
      'o.id',
      'o.source',
      'o.external_id',
      'o.status',
      'o.created_at',
      'o.currency',
      'o.total_value',
      'o.recipient',
      'o.items',
      's.carrier',
      's.waybill_no',
      's.status as shipment_status',
      's.last_event_at',
      's.estimated_delivery',
    ])
    .where('o.id', '>', after);
  if (f.status) q = q.where('o.status', '=', f.status);
  if (f.source) q = q.where('o.source', '=', f.source);
  if (f.carrier) q = q.where('s.carrier', '=', f.carrier);
  if (f.from !== undefined) q = q.where('o.created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('o.created_at', '<', f.to);
  return q.orderBy('o.id', 'asc').limit(limit).execute();
}

export interface ManifestFilter {
  carrier: string;
  /** Shipment statuses in which the parcel is still with the shipper. */
  notHandedOver: readonly string[];
  /**
   * When set, orders without a shipment in these statuses are included too (the caller decides
   * by routing whether each belongs to this carrier).
   */
  awaitingWaybill?: readonly string[];
}

/** One page of not-cancelled orders that belong on `f.carrier`'s manifest. */
export function manifestPage(ex: Executor, f: ManifestFilter, after: string, limit: number) {
  return ex
    .selectFrom('orders as o')
    .leftJoin('shipments as s', 's.order_id', 'o.id')
    .select([
      'o.id',
      'o.external_id',
      'o.currency',
      'o.recipient',
      'o.items',
      'o.destination_country',
      's.waybill_no',
    ])
    .where('o.id', '>', after)
    .where('o.status', '!=', 'cancelled')
    .where((eb) => {
      const shipped = eb.and([eb('s.carrier', '=', f.carrier), eb('s.status', 'in', [...f.notHandedOver])]);
      if (!f.awaitingWaybill) return shipped;
      return eb.or([shipped, eb.and([eb('s.id', 'is', null), eb('o.status', 'in', [...f.awaitingWaybill])])]);
    })
    .orderBy('o.id', 'asc')
    .limit(limit)
    .execute();
}
