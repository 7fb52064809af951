/**
 * The rules of a return [001-6.3.3] [002-5.4] (docs/returns.md): its states and the transitions
 * allowed between them, what tracking and the warehouse's receipt do to it, and what it settles
 * with. Every transition writes the return's event, a line in its order's history and bumps the
 * version the order's sales platform must be told (a `return.status` job queued with it, in the
 * same transaction). A transition the table does not allow is refused, never forced.
 */
import { WaygateError, resolveShipmentStatus, type Address } from '../domain/index.js';
import { multiplyUnits, fromMinorUnits } from '../domain/money.js';
import { lockLevel, writeLevel } from '../store/inventory.js';
import { appendHistory, getOrderRow } from '../store/orders.js';
import {
  addDamaged,
  insertReturnEvent,
  lockReturn,
  returnByWaybill,
  returnEvents,
  updateReturn,
  type ReturnsTable,
  type ReturnUpdate,
} from '../store/returns.js';
import { insertRefund } from '../store/refunds.js';
import { eventsForWaybill } from '../store/tracking.js';
import type { Executor } from '../store/transaction.js';
import { returnStatus } from './jobs/return-status.js';
import { queuePartnerCancels } from './jobs/return-cancel.js';

export const RETURN_STATUSES = [
  /** Authorised; the warehouse is being told to expect it. */
  'requested',
  /** The warehouse expects it and gave its returns address; a return label is being bought. */
  'announced',
  'label_issued',
  'in_transit',
  /** The carrier delivered the parcel to the warehouse's returns dock. */
  'received_by_carrier',
  /** The warehouse inspected every line (resellable, damaged, missing); stock is updated. */
  'inspected',
  /** Refunded, or the exchange's replacement order created: the end. */
  'completed',
  'cancelled',
] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

/** The only transitions a return may take. */
export const RETURN_TRANSITIONS: Readonly<Record<ReturnStatus, readonly ReturnStatus[]>> = {
  requested: ['announced', 'cancelled'],
  // A buyer may send the parcel without the label: the warehouse's receipt still counts.
  announced: ['label_issued', 'inspected', 'cancelled'],
  label_issued: ['in_transit', 'received_by_carrier', 'inspected', 'cancelled'],
  in_transit: ['received_by_carrier', 'inspected'],
  received_by_carrier: ['inspected'],
  inspected: ['completed'],
  completed: [],
  cancelled: [],
};

export function canTransition(from: ReturnStatus, to: ReturnStatus): boolean {
  return RETURN_TRANSITIONS[from].includes(to);
}

export type ReturnKind = 'refund' | 'exchange';

/** One line of a return and, once the warehouse has inspected it, what came back in what state. */
export interface ReturnLine {
  sku: string;
  quantity: number;
  /** The order line's unit price (what a refund pays back per unit). */
  unitPrice: string;
  /** The SKU to send instead (exchanges; the same SKU when absent). */
  exchangeSku?: string;
  resellable: number;
  damaged: number;
  missing: number;
}

export const linesOf = (r: Pick<ReturnsTable, 'lines'>): ReturnLine[] => JSON.parse(r.lines) as ReturnLine[];
const accounted = (l: ReturnLine) => l.resellable + l.damaged + l.missing;

/**
 * Moves a return to `to` (refused when the table does not allow it), with `set` applied, its
 * event, a line in its order's history and the platform push queued. Returns the updated row.
 */
export async function transition(
  trx: Executor,
  ret: ReturnsTable,
  to: ReturnStatus,
  note: string,
  nowMs: number,
  set: ReturnUpdate = {},
): Promise<ReturnsTable> {
  const from = ret.status as ReturnStatus;
  if (!canTransition(from, to)) {
    throw new WaygateError('return_transition_invalid', `return ${ret.id} cannot go from ${from} to ${to}`, {
      from,
      to,
      allowed: RETURN_TRANSITIONS[from],
    });
  }
  const next: ReturnsTable = { ...ret, ...set, status: to, status_version: ret.status_version + 1 };
  await updateReturn(trx, ret.id, { ...set, status: to, status_version: next.status_version }, nowMs);
  await recordStep(trx, next, note, nowMs);
  return next;
}

/** The return's event, its order's history line and the push to the order's platform. */
export async function recordStep(trx: Executor, ret: ReturnsTable, note: string, nowMs: number) {
  await insertReturnEvent(trx, { return_id: ret.id, at: nowMs, status: ret.status, note });
  const order = await getOrderRow(trx, ret.order_id);
  if (!order) return;
  await appendHistory(trx, order.id, order.status, `return ${ret.id} ${ret.status}: ${note}`, nowMs);
  await returnStatus.enqueue(trx, { returnId: ret.id, platform: order.source }, nowMs);
}

/** Where a return may still be cancelled: before its parcel is on the way to the warehouse. */
export const CANCELLABLE: readonly ReturnStatus[] = RETURN_STATUSES.filter((s) =>
  canTransition(s, 'cancelled'),
);

/**
 * Cancels a return (the buyer keeps the goods, the seller withdrew it) inside the caller's
 * transaction, under the return's row lock: only before the parcel is on its way — once the
 * carrier or the warehouse has it, `return_not_cancellable` (409). Its units become returnable
 * again; the shop is told like any other step. Nothing is refunded and no stock moves. The
 * warehouse expecting the parcel and the carrier of its label are told (`return.cancel` jobs
 * queued in the same transaction), or the return notes why their connector cannot be.
 */
export async function cancelReturn(
  trx: Executor,
  id: string,
  reason: string,
  nowMs: number,
): Promise<ReturnsTable | undefined> {
  const ret = await lockReturn(trx, id);
  if (!ret) return undefined;
  const status = ret.status as ReturnStatus;
  if (!canTransition(status, 'cancelled')) {
    throw new WaygateError(
      'return_not_cancellable',
      `return ${id} is ${status}: only a return that is ${CANCELLABLE.join(', ')} can be cancelled`,
      { returnId: id, status, cancellableFrom: CANCELLABLE },
    );
  }
  const done = await transition(trx, ret, 'cancelled', `cancelled: ${reason}`, nowMs);
  await queuePartnerCancels(trx, done, reason, nowMs);
  return done;
}

/**
 * The tracking of a return parcel moved (called with every ingested waybill): in transit, or
 * delivered to the warehouse's dock. Only forward: an old event never moves a return back.
 */
export async function applyReturnTracking(
  trx: Executor,
  carrier: string,
  waybillNo: string,
  nowMs: number,
): Promise<void> {
  const found = await returnByWaybill(trx, carrier, waybillNo);
  if (!found) return;
  const ret = await lockReturn(trx, found.id);
  if (!ret) return;
  const events = await eventsForWaybill(trx, carrier, waybillNo);
  if (events.length === 0) return;
  const shipment = resolveShipmentStatus(events, 'info_received');
  const from = ret.status as ReturnStatus;
  const to: ReturnStatus | undefined =
    shipment === 'delivered'
      ? 'received_by_carrier'
      : shipment === 'pending' || shipment === 'info_received'
        ? undefined
        : 'in_transit';
  if (!to || to === from || !canTransition(from, to)) return;
  const latest = events.at(-1);
  await transition(trx, ret, to, `${carrier} ${waybillNo}: ${latest?.code ?? shipment}`, nowMs);
}

/** What the warehouse reported receiving for one SKU of a return. */
export interface ReturnReceipt {
  warehouseId: string;
  /** The return id the warehouse received against (the RMA on the parcel). */
  returnId: string;
  sku: string;
  inspection: 'resellable' | 'damaged' | 'missing';
  /** Units in the parcel for this SKU, in the state `inspection` says. */
  quantity: number;
  eventId: string;
}

/**
 * Applies a warehouse's receipt of a returned SKU (once: the caller applies each stock event
 * once). Resellable units are already back on hand (the warehouse's stock change moved them);
 * damaged units go to the damaged bucket; `missing` marks what the parcel lacked. When every
 * line is accounted for the return is `inspected` and true is returned: time to settle it.
 */
export async function applyReturnReceipt(
  trx: Executor,
  receipt: ReturnReceipt,
  nowMs: number,
): Promise<{ returnId: string; inspected: boolean } | undefined> {
  const ret = await lockReturn(trx, receipt.returnId);
  if (!ret || ret.warehouse_id !== receipt.warehouseId) return undefined;
  const lines = linesOf(ret);
  const line = lines.find((l) => l.sku === receipt.sku);
  const status = ret.status as ReturnStatus;
  if (!line || !canTransition(status, 'inspected')) {
    // Not part of this return, or the return is past receiving: the stock change stands (the
    // warehouse's word), the return does not move; its events say so for the operator.
    await insertReturnEvent(trx, {
      return_id: ret.id,
      at: nowMs,
      status,
      note: `warehouse event ${receipt.eventId}: ${receipt.quantity} × ${receipt.sku} ${receipt.inspection} not applied (${line ? `return is ${status}` : 'SKU not in the return'})`,
    });
    return { returnId: ret.id, inspected: false };
  }
  const open = line.quantity - accounted(line);
  const units = receipt.inspection === 'missing' ? open : Math.min(open, receipt.quantity);
  if (receipt.inspection === 'resellable') line.resellable += units;
  else if (receipt.inspection === 'damaged') line.damaged += units;
  else line.missing += units;
  if (receipt.inspection === 'damaged' && units > 0) {
    const damaged = await addDamaged(trx, receipt.warehouseId, receipt.sku, units, nowMs);
    // The damaged units appear in the SKU's stock history beside the figures they did not change.
    const level = await lockLevel(trx, receipt.warehouseId, receipt.sku, nowMs);
    await writeLevel(trx, level, {
      warehouse_id: receipt.warehouseId,
      sku: receipt.sku,
      at: nowMs,
      change: 'return_damaged',
      source: 'warehouse',
      reference: `${ret.id} (damaged now ${damaged})`,
      on_hand_delta: 0,
      reserved_delta: 0,
      in_transit_delta: 0,
      on_hand: level.on_hand,
      reserved: level.reserved,
      in_transit: level.in_transit,
    });
  }
  const json = JSON.stringify(lines);
  const note = `${receipt.warehouseId} received ${units} × ${receipt.sku} ${receipt.inspection}`;
  if (lines.every((l) => accounted(l) >= l.quantity)) {
    await transition(trx, ret, 'inspected', note, nowMs, { lines: json });
    return { returnId: ret.id, inspected: true };
  }
  await updateReturn(trx, ret.id, { lines: json }, nowMs);
  await insertReturnEvent(trx, { return_id: ret.id, at: nowMs, status, note });
  return { returnId: ret.id, inspected: false };
}

/**
 * A refund as a settlement ledger entry (finance's view: what was paid back, to whose buyers,
 * in which month), written in the transaction that completes the return; once per return.
 */
export async function recordRefund(
  trx: Executor,
  ret: ReturnsTable,
  amount: string,
  nowMs: number,
): Promise<boolean> {
  const order = await getOrderRow(trx, ret.order_id);
  const lines = linesOf(ret)
    .filter((l) => l.resellable + l.damaged > 0)
    .map((l) => ({
      sku: l.sku,
      units: l.resellable + l.damaged,
      unitPrice: l.unitPrice,
      amount: fromMinorUnits(multiplyUnits(l.unitPrice, l.resellable + l.damaged)),
    }));
  return insertRefund(trx, {
    return_id: ret.id,
    order_id: ret.order_id,
    platform: order?.source ?? ret.origin,
    currency: ret.currency,
    amount,
    period: new Date(nowMs).toISOString().slice(0, 7),
    lines: JSON.stringify(lines),
    refunded_at: nowMs,
  });
}

/** What a refund pays back: every unit that came back, resellable or damaged; not the missing. */
export function refundAmount(lines: readonly ReturnLine[]): string {
  let units = 0n;
  for (const l of lines) units += multiplyUnits(l.unitPrice, l.resellable + l.damaged);
  return fromMinorUnits(units);
}

export interface ReturnView {
  id: string;
  orderId: string;
  origin: string;
  reference: string | null;
  kind: ReturnKind;
  status: ReturnStatus;
  reason: string;
  lines: ReturnLine[];
  currency: string;
  warehouse: { id: string; returnNo: string | null; address: Address | null };
  carrier: string | null;
  waybillNo: string | null;
  labelUrl: string | null;
  refundAmount: string | null;
  replacementOrderId: string | null;
  createdAt: string;
  updatedAt: string;
  events?: Array<{ at: string; status: string; note: string }>;
}

export function returnView(r: ReturnsTable): ReturnView {
  return {
    id: r.id,
    orderId: r.order_id,
    origin: r.origin,
    reference: r.reference,
    kind: r.kind as ReturnKind,
    status: r.status as ReturnStatus,
    reason: r.reason,
    lines: linesOf(r),
    currency: r.currency,
    warehouse: {
      id: r.warehouse_id,
      returnNo: r.warehouse_return_no,
      address: r.return_to ? (JSON.parse(r.return_to) as Address) : null,
    },
    carrier: r.carrier,
    waybillNo: r.waybill_no,
    labelUrl: r.label_url,
    refundAmount: r.refund_amount,
    replacementOrderId: r.replacement_order_id,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

export async function returnWithEvents(ex: Executor, r: ReturnsTable): Promise<ReturnView> {
  const events = await returnEvents(ex, r.id);
  return {
    ...returnView(r),
    events: events.map((e) => ({ at: new Date(e.at).toISOString(), status: e.status, note: e.note })),
  };
}
