/**
 * Queries of warehouse fulfilment (migration 019): the hub's record of each order routed to a
 * warehouse, and the inbound receipts (ASN) created over the API. The rules (when an order is
 * held, what a shipped event records) are the pipeline's (pipeline/warehouse-fulfilment.ts);
 * every write runs inside the caller's transaction.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';

export interface WarehouseOrdersTable {
  order_id: string;
  warehouse_id: string;
  /** `held` (waiting for stock) | `queued` | `sent` | `shipped` | `failed` | `cancelled`. */
  status: string;
  /** JSON `[{sku, quantity}]`, one per SKU: what the order needs from the warehouse. */
  lines: string;
  /** The warehouse's number of its outbound order, once created. */
  outbound_no: string | null;
  /** Why the order is held or failed (no personal data: SKUs and quantities only). */
  reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface InboundsTable {
  /** The hub's id of the receipt; also the ASN reference sent to the warehouse. */
  id: string;
  warehouse_id: string;
  /** The caller's own reference (a PO or shipment number), unique per warehouse. */
  reference: string;
  /** `queued` | `sent` | `failed` | `closed` (the received quantities are on the lines). */
  status: string;
  /** The warehouse's own ASN number once it accepted the receipt. */
  asn_no: string | null;
  expected_at: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

// A type alias (not an interface): Kysely's withTables needs an index-compatible record.
export type FulfilmentTables = {
  warehouse_orders: WarehouseOrdersTable;
  inbounds: InboundsTable;
};

function fdb(ex: Executor): Kysely<Database & FulfilmentTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<FulfilmentTables>();
}

/** Records an order routed to a warehouse; false when the order already has a record. */
export async function insertWarehouseOrder(ex: Executor, row: WarehouseOrdersTable): Promise<boolean> {
  const res = await fdb(ex)
    .insertInto('warehouse_orders')
    .values(row)
    .onConflict((oc) => oc.column('order_id').doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function warehouseOrder(
  ex: Executor,
  orderId: string,
): Promise<WarehouseOrdersTable | undefined> {
  return fdb(ex)
    .selectFrom('warehouse_orders')
    .selectAll()
    .where('order_id', '=', orderId)
    .executeTakeFirst();
}

/** Moves a warehouse order on; `from` guards the move (false when it was not in one of them). */
export async function moveWarehouseOrder(
  ex: Executor,
  orderId: string,
  from: readonly string[],
  to: Pick<WarehouseOrdersTable, 'status' | 'updated_at'> &
    Partial<Pick<WarehouseOrdersTable, 'outbound_no' | 'reason' | 'warehouse_id'>>,
): Promise<boolean> {
  const res = await fdb(ex)
    .updateTable('warehouse_orders')
    .set(to)
    .where('order_id', '=', orderId)
    .where('status', 'in', [...from])
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Orders held for stock at a warehouse, oldest first (first sold, first served). */
export async function heldOrders(
  ex: Executor,
  warehouseId: string,
  limit = 500,
): Promise<Array<Pick<WarehouseOrdersTable, 'order_id' | 'lines'>>> {
  return fdb(ex)
    .selectFrom('warehouse_orders')
    .select(['order_id', 'lines'])
    .where('warehouse_id', '=', warehouseId)
    .where('status', '=', 'held')
    .orderBy('created_at')
    .orderBy('order_id')
    .limit(limit)
    .execute();
}

export async function countWarehouseOrders(ex: Executor, status: string): Promise<number> {
  const row = await fdb(ex)
    .selectFrom('warehouse_orders')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', status)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

// Inbound receipts

export async function insertInbound(ex: Executor, row: InboundsTable): Promise<boolean> {
  const res = await fdb(ex)
    .insertInto('inbounds')
    .values(row)
    .onConflict((oc) => oc.columns(['warehouse_id', 'reference']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function inboundById(ex: Executor, id: string): Promise<InboundsTable | undefined> {
  return fdb(ex).selectFrom('inbounds').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function inboundByReference(
  ex: Executor,
  warehouseId: string,
  reference: string,
): Promise<InboundsTable | undefined> {
  return fdb(ex)
    .selectFrom('inbounds')
    .selectAll()
    .where('warehouse_id', '=', warehouseId)
    .where('reference', '=', reference)
    .executeTakeFirst();
}

export interface InboundFilter {
  warehouseId?: string;
  statuses?: readonly string[];
  /** Ids below this one (the next page, newest first). */
  beforeId?: string;
  limit: number;
}

export async function listInbounds(ex: Executor, f: InboundFilter): Promise<InboundsTable[]> {
  let q = fdb(ex).selectFrom('inbounds').selectAll();
  if (f.warehouseId !== undefined) q = q.where('warehouse_id', '=', f.warehouseId);
  if (f.statuses !== undefined) q = q.where('status', 'in', [...f.statuses]);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

/** The receipt with its row locked for the rest of the transaction (a no-op update on PostgreSQL). */
export async function lockInbound(ex: Executor, id: string): Promise<InboundsTable | undefined> {
  await fdb(ex)
    .updateTable('inbounds')
    .set({ updated_at: sql`updated_at` })
    .where('id', '=', id)
    .execute();
  return inboundById(ex, id);
}

export async function updateInbound(
  ex: Executor,
  id: string,
  to: Pick<InboundsTable, 'status' | 'updated_at'> & Partial<Pick<InboundsTable, 'asn_no'>>,
): Promise<void> {
  await fdb(ex).updateTable('inbounds').set(to).where('id', '=', id).execute();
}
