/**
 * The inventory rules [000-2] [004-2] (docs/inventory.md): the warehouse is the source of truth
 * for what is on hand, the hub for what is reserved. A pulled figure is the warehouse's count as
 * of its own time; a pushed change is applied once (by its id) and only when it happened after
 * the figure the count is based on — an older one is already in it. A figure older than a change
 * already applied gets those later changes added back, so the order in which pulls and pushes
 * arrive never changes the result. Nothing here ever rolls a figure back to undo a failed push
 * to a shop: stock moves only on the warehouse's word or the hub's own reservations.
 */
import type { Store } from '../store/db.js';
import type { Executor } from '../store/transaction.js';
import {
  changesAfter,
  insertReceiptLine,
  insertReservation,
  insertStockEvent,
  lockLevel,
  receiptLine,
  receiptLines,
  reservationsOf,
  setReservationStatus,
  updateReceiptLine,
  writeLevel,
  type LevelRow,
  type NewHistory,
} from '../store/inventory.js';

export const STOCK_CHANGE_KINDS = [
  'inbound_received',
  'outbound_shipped',
  'adjustment',
  'damage',
  'return_received',
] as const;
export type StockChangeKind = (typeof STOCK_CHANGE_KINDS)[number];

/** One stock change as a warehouse reports it, in canonical terms. */
export interface StockChange {
  /** The warehouse's id of this change (a re-delivery carries the same one). */
  eventId: string;
  sku: string;
  kind: StockChangeKind;
  /** Signed change of the on-hand count (shipped, damage: negative). */
  delta: number;
  /** When it happened, on the warehouse's clock (epoch ms). */
  occurredAt: number;
  /** The ASN number of an inbound receipt, the hub's order id of an outbound shipment. */
  reference?: string;
}

/** A warehouse's count of one SKU. */
export interface StockFigure {
  sku: string;
  onHand: number;
  /** The time of this SKU's count when it is not the batch's (a count read in pages). */
  asOf?: number;
}

export type ChangeOutcome = 'applied' | 'duplicate' | 'included';

/** A change to the levels: what the caller may want to tell shops about. */
export interface LevelChange {
  warehouseId: string;
  sku: string;
}

function history(
  row: LevelRow,
  change: string,
  source: string,
  nowMs: number,
  d: Partial<Deltas>,
  ref?: string,
) {
  const h: NewHistory = {
    warehouse_id: row.warehouse_id,
    sku: row.sku,
    at: nowMs,
    change,
    source,
    reference: ref ?? null,
    on_hand_delta: d.onHand ?? 0,
    reserved_delta: d.reserved ?? 0,
    in_transit_delta: d.inTransit ?? 0,
    on_hand: row.on_hand,
    reserved: row.reserved,
    in_transit: row.in_transit,
  };
  return h;
}

interface Deltas {
  onHand: number;
  reserved: number;
  inTransit: number;
}

/**
 * Applies a warehouse's counts as of `asOfMs` (its clock). A count older than the one the level is
 * based on is stale and ignored; otherwise it replaces the on-hand figure, plus the changes the
 * hub has applied that happened after it. Returns the SKUs whose on-hand figure moved.
 */
export async function applyStockFigures(
  store: Store,
  warehouseId: string,
  figures: readonly StockFigure[],
  asOfMs: number,
  source = 'pull',
  nowMs = Date.now(),
  /** Called in each batch's transaction with the SKUs whose figure moved (to queue shop pushes). */
  onMoved?: (trx: Executor, skus: string[]) => Promise<void>,
): Promise<LevelChange[]> {
  const moved: LevelChange[] = [];
  for (let i = 0; i < figures.length; i += 100) {
    const chunk = figures.slice(i, i + 100);
    const changed = await store.write(async (trx) => {
      const out: LevelChange[] = [];
      for (const f of chunk) {
        const asOf = f.asOf ?? asOfMs;
        const row = await lockLevel(trx, warehouseId, f.sku, nowMs);
        if (asOf < row.on_hand_base_at) continue;
        const later = await changesAfter(trx, warehouseId, f.sku, asOf);
        const onHand = f.onHand + later;
        const delta = onHand - row.on_hand;
        const first = row.on_hand_source === 'none';
        row.on_hand = onHand;
        row.on_hand_base_at = asOf;
        row.on_hand_at = Math.max(row.on_hand_at, asOf);
        row.on_hand_source = source;
        row.updated_at = nowMs;
        if (delta === 0 && !first) {
          // The count agrees: the figure's time moves on, no history line for a no-change.
          await writeLevel(trx, row);
          continue;
        }
        await writeLevel(trx, row, history(row, source, source, nowMs, { onHand: delta }));
        out.push({ warehouseId, sku: f.sku });
      }
      if (onMoved && out.length > 0)
        await onMoved(
          trx,
          out.map((c) => c.sku),
        );
      return out;
    });
    moved.push(...changed);
  }
  return moved;
}

/**
 * Applies one stock change the warehouse pushed, once. The on-hand figure moves only when the
 * change happened after the count it is based on; its consequences for the hub's own figures
 * apply either way: a shipped order's reservation ends, a received ASN line leaves transit.
 */
export async function applyStockChange(
  trx: Executor,
  warehouseId: string,
  change: StockChange,
  nowMs = Date.now(),
): Promise<ChangeOutcome> {
  const inserted = await insertStockEvent(trx, {
    warehouse_id: warehouseId,
    event_id: change.eventId,
    sku: change.sku,
    kind: change.kind,
    delta: change.delta,
    occurred_at: change.occurredAt,
    reference: change.reference ?? null,
    received_at: nowMs,
  });
  if (!inserted) return 'duplicate';
  const row = await lockLevel(trx, warehouseId, change.sku, nowMs);
  const counted = change.occurredAt <= row.on_hand_base_at;
  const d: Deltas = { onHand: 0, reserved: 0, inTransit: 0 };
  if (!counted) {
    d.onHand = change.delta;
    row.on_hand += change.delta;
    row.on_hand_at = Math.max(row.on_hand_at, change.occurredAt);
    row.on_hand_source = change.kind;
  }
  if (change.kind === 'outbound_shipped' && change.reference) {
    const open = (await reservationsOf(trx, change.reference, warehouseId)).find(
      (r) => r.sku === change.sku && r.status === 'open',
    );
    if (open) {
      d.reserved = -open.quantity;
      row.reserved -= open.quantity;
      row.reserved_at = nowMs;
      await setReservationStatus(
        trx,
        { orderId: open.order_id, warehouseId, sku: open.sku },
        'shipped',
        nowMs,
      );
    }
  }
  if (change.kind === 'inbound_received' && change.reference) {
    const line = await receiptLine(trx, warehouseId, change.reference, change.sku);
    if (line) {
      const received = line.received + change.delta;
      // A line closed by hand already took its remainder out of transit: a late receipt is all
      // on hand (the warehouse's word) and moves nothing more out of transit.
      const leaving =
        line.status === 'closed' ? 0 : Math.max(0, Math.min(change.delta, line.expected - line.received));
      d.inTransit = -leaving;
      row.in_transit -= leaving;
      row.in_transit_at = nowMs;
      row.in_transit_source = 'receipt';
      await updateReceiptLine(trx, {
        warehouse_id: warehouseId,
        asn_no: change.reference,
        sku: change.sku,
        received,
        status: line.status === 'closed' ? 'closed' : received >= line.expected ? 'received' : 'partial',
        updated_at: nowMs,
      });
    }
  }
  row.updated_at = nowMs;
  await writeLevel(
    trx,
    row,
    history(row, change.kind, 'warehouse', nowMs, d, change.reference ?? change.eventId),
  );
  return counted ? 'included' : 'applied';
}

export interface ReservationLine {
  sku: string;
  quantity: number;
}

/**
 * Reserves an order's lines in a warehouse (the hub's figure), once per order, warehouse and SKU.
 * Reserving more than is available is allowed — the order is already sold — and shows as a
 * negative availability (an oversell to reconcile), never as a refused order.
 */
export async function reserveForOrder(
  trx: Executor,
  orderId: string,
  warehouseId: string,
  lines: readonly ReservationLine[],
  nowMs = Date.now(),
): Promise<LevelChange[]> {
  const merged = new Map<string, number>();
  for (const l of lines) merged.set(l.sku, (merged.get(l.sku) ?? 0) + l.quantity);
  const out: LevelChange[] = [];
  for (const [sku, quantity] of [...merged].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const fresh = await insertReservation(trx, {
      order_id: orderId,
      warehouse_id: warehouseId,
      sku,
      quantity,
      status: 'open',
      created_at: nowMs,
      updated_at: nowMs,
    });
    if (!fresh) continue;
    const row = await lockLevel(trx, warehouseId, sku, nowMs);
    row.reserved += quantity;
    row.reserved_at = nowMs;
    row.updated_at = nowMs;
    await writeLevel(trx, row, history(row, 'reserve', 'hub', nowMs, { reserved: quantity }, orderId));
    out.push({ warehouseId, sku });
  }
  return out;
}

/** Ends an order's open reservations without a shipment (the order was cancelled or re-routed). */
export async function releaseOrder(
  trx: Executor,
  orderId: string,
  nowMs = Date.now(),
): Promise<LevelChange[]> {
  const out: LevelChange[] = [];
  for (const r of await reservationsOf(trx, orderId)) {
    if (r.status !== 'open') continue;
    const row = await lockLevel(trx, r.warehouse_id, r.sku, nowMs);
    row.reserved -= r.quantity;
    row.reserved_at = nowMs;
    row.updated_at = nowMs;
    await setReservationStatus(trx, { orderId, warehouseId: r.warehouse_id, sku: r.sku }, 'released', nowMs);
    await writeLevel(trx, row, history(row, 'release', 'hub', nowMs, { reserved: -r.quantity }, orderId));
    out.push({ warehouseId: r.warehouse_id, sku: r.sku });
  }
  return out;
}

/** Records an inbound receipt (ASN) sent to a warehouse: its quantities are in transit until received. */
/**
 * Closes the open lines of a receipt by hand: what was announced and not received leaves
 * transit (never below zero), recorded as `asn_closed`; each line is then `closed`.
 */
export async function closeReceiptLines(
  trx: Executor,
  warehouseId: string,
  asnNo: string,
  reference: string,
  nowMs = Date.now(),
): Promise<LevelChange[]> {
  const out: LevelChange[] = [];
  for (const line of await receiptLines(trx, warehouseId, asnNo)) {
    if (line.status === 'closed') continue;
    const remaining = Math.max(0, line.expected - line.received);
    if (remaining > 0) {
      const row = await lockLevel(trx, warehouseId, line.sku, nowMs);
      const leaving = Math.min(remaining, Math.max(0, row.in_transit));
      row.in_transit -= leaving;
      row.in_transit_at = nowMs;
      row.in_transit_source = 'asn_closed';
      row.updated_at = nowMs;
      await writeLevel(
        trx,
        row,
        history(row, 'asn_closed', 'hub', nowMs, { inTransit: -leaving }, reference),
      );
      out.push({ warehouseId, sku: line.sku });
    }
    await updateReceiptLine(trx, { ...line, status: 'closed', updated_at: nowMs });
  }
  return out;
}

export async function expectInbound(
  trx: Executor,
  warehouseId: string,
  asnNo: string,
  lines: readonly ReservationLine[],
  nowMs = Date.now(),
): Promise<void> {
  for (const l of lines) {
    const fresh = await insertReceiptLine(trx, {
      warehouse_id: warehouseId,
      asn_no: asnNo,
      sku: l.sku,
      expected: l.quantity,
      received: 0,
      status: 'sent',
      created_at: nowMs,
      updated_at: nowMs,
    });
    if (!fresh) continue;
    const row = await lockLevel(trx, warehouseId, l.sku, nowMs);
    row.in_transit += l.quantity;
    row.in_transit_at = nowMs;
    row.in_transit_source = 'asn';
    row.updated_at = nowMs;
    await writeLevel(trx, row, history(row, 'asn_sent', 'hub', nowMs, { inTransit: l.quantity }, asnNo));
  }
}
