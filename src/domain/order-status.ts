import type { ShipmentStatus } from './tracking.js';

/**
 * An order's status: its own early states, then the status of its shipment once a carrier
 * has it. `failed` means the hub could not get a waybill and the job is waiting for a human
 * in the dead-letter queue; the order itself is never rolled back.
 */
export const ORDER_STATUSES = [
  /** A line lacks customs data the catalogue does not have yet; it moves on when the product is added. */
  'needs_data',
  'accepted',
  /** Routed to a warehouse that lacks the stock: held (not dropped) until stock arrives. */
  'awaiting_stock',
  /** The warehouse has the outbound order: picking and packing, last-mile waybill to come. */
  'at_warehouse',
  'failed',
  'cancelled',
  'waybill_issued',
  'in_transit',
  'customs_processing',
  'customs_held',
  'out_for_delivery',
  'delivery_failed',
  'available_for_pickup',
  'delivered',
  'returning',
  'returned',
  'exception',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export function orderStatusFromShipment(status: ShipmentStatus): OrderStatus {
  switch (status) {
    case 'pending':
    case 'info_received':
      return 'waybill_issued';
    default:
      return status;
  }
}

const FINAL: ReadonlySet<OrderStatus> = new Set(['delivered', 'returned', 'cancelled']);

/**
 * Whether an operator may cancel an order in this status: only a `failed` one — no carrier has
 * it, and its shipment job waits for a human. An `accepted` order is being shipped right now
 * (cancelling it would race the carrier call); from `waybill_issued` on, the carrier has it.
 *
 * `failed` itself is not final: a replay can still send the order, and its consignee's address
 * with it, to a carrier. Cancelling makes it final (so, for instance, the consignee's data can
 * then be erased).
 */
export function isCancellableOrderStatus(status: OrderStatus): boolean {
  // `needs_data`: no job and no carrier has it; it waits for catalogue data that may never come.
  // `awaiting_stock`: held by the hub, no warehouse has it yet.
  return status === 'failed' || status === 'needs_data' || status === 'awaiting_stock';
}

export function isFinalOrderStatus(status: OrderStatus): boolean {
  return FINAL.has(status);
}
