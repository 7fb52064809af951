/**
 * Returns as stored: the return rows, their event trail and the damaged-stock bucket. The rules
 * (which transition is allowed, what a receipt does to stock) are the pipeline's
 * (pipeline/returns.ts); every write here runs inside the caller's transaction.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';
import type { InventoryDamagedTable, ReturnsTable, ReturnTables } from './returns-schema.js';

export type * from './returns-schema.js';

function rdb(ex: Executor): Kysely<Database & ReturnTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<ReturnTables>();
}

/** Stores a new return; false (nothing written) when the order already has one with this reference. */
export async function insertReturn(ex: Executor, row: ReturnsTable): Promise<boolean> {
  const res = await rdb(ex)
    .insertInto('returns')
    .values(row)
    .onConflict((oc) => oc.columns(['order_id', 'origin', 'reference']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function returnById(ex: Executor, id: string): Promise<ReturnsTable | undefined> {
  return rdb(ex).selectFrom('returns').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The return with its row locked for the rest of the transaction (a no-op update on PostgreSQL). */
export async function lockReturn(ex: Executor, id: string): Promise<ReturnsTable | undefined> {
  await rdb(ex)
    .updateTable('returns')
    .set({ updated_at: sql`updated_at` })
    .where('id', '=', id)
    .execute();
  return returnById(ex, id);
}

export async function returnByReference(
  ex: Executor,
  orderId: string,
  origin: string,
  reference: string,
): Promise<ReturnsTable | undefined> {
  return rdb(ex)
    .selectFrom('returns')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('origin', '=', origin)
    .where('reference', '=', reference)
    .executeTakeFirst();
}

export async function returnByWaybill(
  ex: Executor,
  carrier: string,
  waybillNo: string,
): Promise<ReturnsTable | undefined> {
  return rdb(ex)
    .selectFrom('returns')
    .selectAll()
    .where('carrier', '=', carrier)
    .where('waybill_no', '=', waybillNo)
    .executeTakeFirst();
}

export async function returnsOfOrder(ex: Executor, orderId: string): Promise<ReturnsTable[]> {
  return rdb(ex).selectFrom('returns').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
}

export interface ReturnFilter {
  orderId?: string;
  status?: string;
  /** Ids below this one (the next page of a newest-first listing). */
  beforeId?: string;
  limit: number;
}

export async function listReturns(ex: Executor, f: ReturnFilter): Promise<ReturnsTable[]> {
  let q = rdb(ex).selectFrom('returns').selectAll();
  if (f.orderId !== undefined) q = q.where('order_id', '=', f.orderId);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

export type ReturnUpdate = Partial<
  Pick<
    ReturnsTable,
    | 'status'
    | 'lines'
    | 'warehouse_return_no'
    | 'return_to'
    | 'carrier'
    | 'waybill_no'
    | 'label_url'
    | 'refund_amount'
    | 'replacement_order_id'
    | 'status_version'
    | 'pushed_version'
  >
>;

export async function updateReturn(ex: Executor, id: string, set: ReturnUpdate, nowMs: number) {
  await rdb(ex)
    .updateTable('returns')
    .set({ ...set, updated_at: nowMs })
    .where('id', '=', id)
    .execute();
}

/** Records the status version a push carried (never moving it backwards). */
export async function recordReturnPushed(ex: Executor, id: string, version: number, nowMs: number) {
  await rdb(ex)
    .updateTable('returns')
    .set({ pushed_version: version, updated_at: nowMs })
    .where('id', '=', id)
    .where('pushed_version', '<', version)
    .execute();
}

export async function insertReturnEvent(
  ex: Executor,
  e: { return_id: string; at: number; status: string; note: string },
) {
  await rdb(ex).insertInto('return_events').values(e).execute();
}

export async function returnEvents(ex: Executor, returnId: string) {
  return rdb(ex)
    .selectFrom('return_events')
    .select(['at', 'status', 'note'])
    .where('return_id', '=', returnId)
    .orderBy('id')
    .execute();
}

/** Adds units to the damaged bucket of a warehouse and SKU; returns the new count. */
export async function addDamaged(
  ex: Executor,
  warehouseId: string,
  sku: string,
  quantity: number,
  nowMs: number,
): Promise<number> {
  const db = rdb(ex);
  await db
    .insertInto('inventory_damaged')
    .values({ warehouse_id: warehouseId, sku, quantity: 0, updated_at: nowMs })
    .onConflict((oc) => oc.columns(['warehouse_id', 'sku']).doNothing())
    .execute();
  await db
    .updateTable('inventory_damaged')
    .set({ quantity: sql`quantity + ${quantity}`, updated_at: nowMs })
    .where('warehouse_id', '=', warehouseId)
    .where('sku', '=', sku)
    .execute();
  const row = await db
    .selectFrom('inventory_damaged')
    .select('quantity')
    .where('warehouse_id', '=', warehouseId)
    .where('sku', '=', sku)
    .executeTakeFirstOrThrow();
  return row.quantity;
}

export async function damagedStock(
  ex: Executor,
  filter: { warehouseId?: string; sku?: string },
): Promise<InventoryDamagedTable[]> {
  let q = rdb(ex).selectFrom('inventory_damaged').selectAll();
  if (filter.warehouseId !== undefined) q = q.where('warehouse_id', '=', filter.warehouseId);
  if (filter.sku !== undefined) q = q.where('sku', '=', filter.sku);
  return q.orderBy('sku').orderBy('warehouse_id').execute();
}

/**
 * Delivered orders of a source among `externalIds` that have no return yet, oldest first (the
 * demo's returns act: only the orders of its own run, whatever else the database holds).
 */
export async function deliveredWithoutReturn(
  ex: Executor,
  source: string,
  externalIds: readonly string[],
  limit: number,
): Promise<Array<{ id: string; external_id: string; items: string }>> {
  if (externalIds.length === 0) return [];
  const db = rdb(ex);
  return db
    .selectFrom('orders')
    .select(['id', 'external_id', 'items'])
    .where('source', '=', source)
    .where('external_id', 'in', [...externalIds])
    .where('status', '=', 'delivered')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('returns').select('returns.id').whereRef('returns.order_id', '=', 'orders.id'))),
    )
    .orderBy('id')
    .limit(limit)
    .execute();
}
