/**
 * Fulfilment from an overseas warehouse (docs/inventory.md, "Routing to a warehouse"). An order
 * routing sends to a warehouse either reserves its lines there — when the warehouse's available
 * stock covers every line — and goes on to become the warehouse's outbound order, or is held
 * (`awaiting_stock`, with the shortfall in its history), never dropped: stock arriving at the
 * warehouse releases held orders first sold, first served. When the warehouse ships, the
 * last-mile waybill and carrier it reports become the order's shipment, tracked like any other.
 */
import type { DialectName } from '../store/db.js';
import { levelsOf, lockLevel } from '../store/inventory.js';
import { appendHistory, setOrderStatus } from '../store/orders.js';
import { newId } from '../store/ids.js';
import { insertShipment, shipmentIdForOrder } from '../store/shipments.js';
import type { Executor } from '../store/transaction.js';
import {
  heldOrders,
  insertWarehouseOrder,
  moveWarehouseOrder,
  warehouseOrder,
} from '../store/warehouse-orders.js';
import { releaseOrder, reserveForOrder, type LevelChange, type ReservationLine } from './inventory.js';
import { applyTracking } from './tracking.js';

/** An order's lines merged per SKU, in SKU order. */
export function linesBySku(items: ReadonlyArray<{ sku: string; quantity: number }>): ReservationLine[] {
  const merged = new Map<string, number>();
  for (const i of items) merged.set(i.sku, (merged.get(i.sku) ?? 0) + i.quantity);
  return [...merged]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, quantity]) => ({ sku, quantity }));
}

const describe = (lines: readonly ReservationLine[]) => lines.map((l) => `${l.sku}×${l.quantity}`).join(', ');

export type WarehouseRouting =
  | { outcome: 'reserved'; changed: LevelChange[] }
  | { outcome: 'held'; reason: string }
  /** Already routed (a re-run of the same job): nothing changed. */
  | { outcome: 'already'; status: string };

/**
 * Routes an order to a warehouse inside the caller's transaction: reserves every line when the
 * available stock covers it, holds the whole order otherwise (a partial shipment would split one
 * parcel into two). The levels are locked in SKU order, so two orders for the last units are
 * decided one after the other: one is reserved, the other held.
 */
export async function routeToWarehouse(
  trx: Executor,
  orderId: string,
  warehouseId: string,
  items: ReadonlyArray<{ sku: string; quantity: number }>,
  nowMs = Date.now(),
): Promise<WarehouseRouting> {
  const lines = linesBySku(items);
  const prior = await warehouseOrder(trx, orderId);
  if (prior && prior.status !== 'held') return { outcome: 'already', status: prior.status };
  const short: string[] = [];
  for (const l of lines) {
    // A SKU the warehouse has never reported is not created as a level: it has nothing to give.
    const known = (await levelsOf(trx, { warehouseId, sku: l.sku }, 1)).length > 0;
    const level = known ? await lockLevel(trx, warehouseId, l.sku, nowMs) : undefined;
    const available = level ? Math.max(0, level.on_hand - level.reserved) : 0;
    if (available < l.quantity) short.push(`${l.sku} needs ${l.quantity}, ${available} available`);
  }
  if (short.length > 0) {
    const reason = `held for stock at ${warehouseId}: ${short.join('; ')}`;
    if (!prior) {
      await insertWarehouseOrder(trx, {
        order_id: orderId,
        warehouse_id: warehouseId,
        status: 'held',
        lines: JSON.stringify(lines),
        outbound_no: null,
        reason,
        created_at: nowMs,
        updated_at: nowMs,
      });
    } else {
      await moveWarehouseOrder(trx, orderId, ['held'], { status: 'held', reason, updated_at: nowMs });
    }
    // The status line says why; a re-check that finds the same shortfall adds no line.
    await setOrderStatus(trx, orderId, 'awaiting_stock', reason, nowMs);
    return { outcome: 'held', reason };
  }
  const changed = await reserveForOrder(trx, orderId, warehouseId, lines, nowMs);
  if (!prior) {
    await insertWarehouseOrder(trx, {
      order_id: orderId,
      warehouse_id: warehouseId,
      status: 'queued',
      lines: JSON.stringify(lines),
      outbound_no: null,
      reason: null,
      created_at: nowMs,
      updated_at: nowMs,
    });
  } else {
    await moveWarehouseOrder(trx, orderId, ['held'], { status: 'queued', reason: null, updated_at: nowMs });
  }
  const note = `routed to warehouse ${warehouseId}; stock reserved: ${describe(lines)}`;
  if (!(await setOrderStatus(trx, orderId, 'accepted', note, nowMs)))
    await appendHistory(trx, orderId, 'accepted', note, nowMs);
  return { outcome: 'reserved', changed };
}

/**
 * The held orders of a warehouse its available stock now covers, first sold first served: each
 * one counted takes its units from what the next ones may have. The caller queues them again;
 * their own run re-checks under the level locks.
 */
export async function releasableOrders(trx: Executor, warehouseId: string): Promise<string[]> {
  const held = await heldOrders(trx, warehouseId);
  if (held.length === 0) return [];
  const free = new Map<string, number>();
  for (const l of await levelsOf(trx, { warehouseId }, 100_000))
    free.set(l.sku, Math.max(0, l.on_hand - l.reserved));
  const out: string[] = [];
  for (const h of held) {
    const lines = JSON.parse(h.lines) as ReservationLine[];
    if (!lines.every((l) => (free.get(l.sku) ?? 0) >= l.quantity)) continue;
    for (const l of lines) free.set(l.sku, (free.get(l.sku) ?? 0) - l.quantity);
    out.push(h.order_id);
  }
  return out;
}

/** The warehouse accepted the outbound order: the order is at the warehouse. */
export async function outboundCreated(
  trx: Executor,
  orderId: string,
  warehouseId: string,
  outboundNo: string,
  nowMs = Date.now(),
): Promise<boolean> {
  const moved = await moveWarehouseOrder(trx, orderId, ['queued', 'failed'], {
    status: 'sent',
    outbound_no: outboundNo,
    updated_at: nowMs,
  });
  // Shipped already (its push overtook this answer): the order's status stays where it is.
  if (moved)
    await setOrderStatus(
      trx,
      orderId,
      'at_warehouse',
      `outbound order ${outboundNo} created at ${warehouseId}`,
      nowMs,
    );
  return moved;
}

export interface WarehouseShipment {
  warehouseId: string;
  orderId: string;
  waybillNo: string;
  /** The last-mile carrier the warehouse handed the parcel to (a hub carrier id). */
  carrier: string;
  outboundNo?: string;
}

/**
 * The warehouse shipped an order: its last-mile waybill becomes the order's shipment (once; the
 * same report by push and by pull, or for each line, changes nothing more), tracked like any
 * other — polled when the carrier is polled, events pushed before now applied now.
 */
export async function recordWarehouseShipment(
  trx: Executor,
  dialect: DialectName,
  s: WarehouseShipment,
  opts: { pollNow: boolean },
  nowMs = Date.now(),
): Promise<boolean> {
  const wo = await warehouseOrder(trx, s.orderId);
  if (!wo || wo.warehouse_id !== s.warehouseId) return false;
  if (await shipmentIdForOrder(trx, s.orderId)) return false;
  const inserted = await insertShipment(trx, {
    id: newId('shp', nowMs),
    order_id: s.orderId,
    carrier: s.carrier,
    waybill_no: s.waybillNo,
    status: 'info_received',
    label_url: null,
    estimated_delivery: null,
    last_event_at: null,
    next_poll_at: opts.pollNow ? nowMs : null,
    created_at: nowMs,
    updated_at: nowMs,
  });
  if (!inserted) return false;
  await moveWarehouseOrder(trx, s.orderId, ['queued', 'sent', 'failed'], {
    status: 'shipped',
    ...(s.outboundNo !== undefined ? { outbound_no: s.outboundNo } : {}),
    updated_at: nowMs,
  });
  await setOrderStatus(
    trx,
    s.orderId,
    'waybill_issued',
    `waybill ${s.waybillNo} from ${s.carrier}, shipped by warehouse ${s.warehouseId}` +
      ((s.outboundNo ?? wo.outbound_no) ? ` (outbound ${s.outboundNo ?? wo.outbound_no})` : ''),
    nowMs,
  );
  await applyTracking(trx, s.carrier, s.waybillNo, nowMs, dialect);
  return true;
}

/** Cancels an order's warehouse fulfilment (held or failed): its reservations end. */
export async function cancelWarehouseOrder(
  trx: Executor,
  orderId: string,
  nowMs = Date.now(),
): Promise<LevelChange[]> {
  const moved = await moveWarehouseOrder(trx, orderId, ['held', 'queued', 'failed'], {
    status: 'cancelled',
    updated_at: nowMs,
  });
  return moved ? releaseOrder(trx, orderId, nowMs) : [];
}
