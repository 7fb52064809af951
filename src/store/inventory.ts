/**
 * Queries of warehouse inventory: levels per warehouse and SKU, the warehouse's stock changes
 * (applied once each), the history of every figure, the hub's reservations, inbound receipts,
 * each warehouse's reachability and the snapshot inventory. The rules that combine them (which
 * figure wins, when a change is already counted) are the pipeline's (pipeline/inventory.ts);
 * every write here runs inside the caller's transaction.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';
import type {
  InboundReceiptsTable,
  InventoryEventsTable,
  InventoryHistoryTable,
  InventoryLevelsTable,
  InventoryReservationsTable,
  InventorySnapshotTable,
  InventoryTables,
  StockPushesTable,
  WarehouseLinksTable,
} from './inventory-schema.js';

export type * from './inventory-schema.js';

function idb(ex: Executor): Kysely<Database & InventoryTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<InventoryTables>();
}

export type LevelRow = InventoryLevelsTable;
export type HistoryRow = Omit<InventoryHistoryTable, 'id'> & { id: number };
export type NewHistory = Omit<InventoryHistoryTable, 'id'>;

/**
 * The level of one SKU in one warehouse, created at zero when new, with its row locked for the
 * rest of the transaction (a no-op update takes the row lock on PostgreSQL; SQLite has one writer),
 * so concurrent changes to the same SKU apply one after the other, never over each other.
 */
export async function lockLevel(
  ex: Executor,
  warehouseId: string,
  sku: string,
  nowMs: number,
): Promise<LevelRow> {
  const db = idb(ex);
  await db
    .insertInto('inventory_levels')
    .values({
      warehouse_id: warehouseId,
      sku,
      on_hand: 0,
      on_hand_base_at: 0,
      on_hand_at: 0,
      on_hand_source: 'none',
      reserved: 0,
      reserved_at: nowMs,
      in_transit: 0,
      in_transit_at: nowMs,
      in_transit_source: 'none',
      updated_at: nowMs,
    })
    .onConflict((oc) => oc.columns(['warehouse_id', 'sku']).doNothing())
    .execute();
  await db
    .updateTable('inventory_levels')
    .set({ updated_at: sql`updated_at` })
    .where('warehouse_id', '=', warehouseId)
    .where('sku', '=', sku)
    .execute();
  return db
    .selectFrom('inventory_levels')
    .selectAll()
    .where('warehouse_id', '=', warehouseId)
    .where('sku', '=', sku)
    .executeTakeFirstOrThrow();
}

/**
 * Writes a level locked by lockLevel and, when given, the history line saying what changed and
 * why (a figure that only confirms the count moves its time without a history line).
 */
export async function writeLevel(ex: Executor, row: LevelRow, history?: NewHistory): Promise<void> {
  const db = idb(ex);
  await db
    .updateTable('inventory_levels')
    .set({
      on_hand: row.on_hand,
      on_hand_base_at: row.on_hand_base_at,
      on_hand_at: row.on_hand_at,
      on_hand_source: row.on_hand_source,
      reserved: row.reserved,
      reserved_at: row.reserved_at,
      in_transit: row.in_transit,
      in_transit_at: row.in_transit_at,
      in_transit_source: row.in_transit_source,
      updated_at: row.updated_at,
    })
    .where('warehouse_id', '=', row.warehouse_id)
    .where('sku', '=', row.sku)
    .execute();
  if (history) await db.insertInto('inventory_history').values(history).execute();
}

export interface LevelFilter {
  sku?: string;
  warehouseId?: string;
}

export async function levelsOf(ex: Executor, filter: LevelFilter, limit = 1000): Promise<LevelRow[]> {
  let q = idb(ex).selectFrom('inventory_levels').selectAll();
  if (filter.sku !== undefined) q = q.where('sku', '=', filter.sku);
  if (filter.warehouseId !== undefined) q = q.where('warehouse_id', '=', filter.warehouseId);
  return q.orderBy('sku').orderBy('warehouse_id').limit(limit).execute();
}

/** A SKU's history, newest first, `beforeId` for the next page. */
export async function historyOf(
  ex: Executor,
  sku: string,
  opts: { warehouseId?: string; beforeId?: number; limit: number },
): Promise<HistoryRow[]> {
  let q = idb(ex).selectFrom('inventory_history').selectAll().where('sku', '=', sku);
  if (opts.warehouseId !== undefined) q = q.where('warehouse_id', '=', opts.warehouseId);
  if (opts.beforeId !== undefined) q = q.where('id', '<', opts.beforeId);
  return q.orderBy('id', 'desc').limit(opts.limit).execute();
}

/** Records a warehouse stock change; false when this warehouse already sent one with that id. */
export async function insertStockEvent(ex: Executor, row: InventoryEventsTable): Promise<boolean> {
  const res = await idb(ex)
    .insertInto('inventory_events')
    .values(row)
    .onConflict((oc) => oc.columns(['warehouse_id', 'event_id']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** The sum of the changes that happened after `afterMs` (warehouse time): not yet in a figure of then. */
export async function changesAfter(
  ex: Executor,
  warehouseId: string,
  sku: string,
  afterMs: number,
): Promise<number> {
  const row = await idb(ex)
    .selectFrom('inventory_events')
    .select((eb) => eb.fn.sum<number | string | null>('delta').as('total'))
    .where('warehouse_id', '=', warehouseId)
    .where('sku', '=', sku)
    .where('occurred_at', '>', afterMs)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

// Reservations

export async function insertReservation(ex: Executor, row: InventoryReservationsTable): Promise<boolean> {
  const res = await idb(ex)
    .insertInto('inventory_reservations')
    .values(row)
    .onConflict((oc) => oc.columns(['order_id', 'warehouse_id', 'sku']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function reservationsOf(
  ex: Executor,
  orderId: string,
  warehouseId?: string,
): Promise<InventoryReservationsTable[]> {
  let q = idb(ex).selectFrom('inventory_reservations').selectAll().where('order_id', '=', orderId);
  if (warehouseId !== undefined) q = q.where('warehouse_id', '=', warehouseId);
  return q.orderBy('sku').execute();
}

export async function setReservationStatus(
  ex: Executor,
  key: { orderId: string; warehouseId: string; sku: string },
  status: string,
  nowMs: number,
): Promise<void> {
  await idb(ex)
    .updateTable('inventory_reservations')
    .set({ status, updated_at: nowMs })
    .where('order_id', '=', key.orderId)
    .where('warehouse_id', '=', key.warehouseId)
    .where('sku', '=', key.sku)
    .execute();
}

// Inbound receipts (ASN lines)

export async function insertReceiptLine(ex: Executor, row: InboundReceiptsTable): Promise<boolean> {
  const res = await idb(ex)
    .insertInto('inbound_receipts')
    .values(row)
    .onConflict((oc) => oc.columns(['warehouse_id', 'asn_no', 'sku']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function receiptLine(
  ex: Executor,
  warehouseId: string,
  asnNo: string,
  sku: string,
): Promise<InboundReceiptsTable | undefined> {
  return idb(ex)
    .selectFrom('inbound_receipts')
    .selectAll()
    .where('warehouse_id', '=', warehouseId)
    .where('asn_no', '=', asnNo)
    .where('sku', '=', sku)
    .executeTakeFirst();
}

export async function receiptLines(
  ex: Executor,
  warehouseId: string,
  asnNo: string,
): Promise<InboundReceiptsTable[]> {
  return idb(ex)
    .selectFrom('inbound_receipts')
    .selectAll()
    .where('warehouse_id', '=', warehouseId)
    .where('asn_no', '=', asnNo)
    .orderBy('sku')
    .execute();
}

export async function updateReceiptLine(
  ex: Executor,
  row: Pick<InboundReceiptsTable, 'warehouse_id' | 'asn_no' | 'sku' | 'received' | 'status' | 'updated_at'>,
): Promise<void> {
  await idb(ex)
    .updateTable('inbound_receipts')
    .set({ received: row.received, status: row.status, updated_at: row.updated_at })
    .where('warehouse_id', '=', row.warehouse_id)
    .where('asn_no', '=', row.asn_no)
    .where('sku', '=', row.sku)
    .execute();
}

// Reachability

export async function linkOf(ex: Executor, warehouseId: string): Promise<WarehouseLinksTable | undefined> {
  return idb(ex)
    .selectFrom('warehouse_links')
    .selectAll()
    .where('warehouse_id', '=', warehouseId)
    .executeTakeFirst();
}

export async function allLinks(ex: Executor): Promise<WarehouseLinksTable[]> {
  return idb(ex).selectFrom('warehouse_links').selectAll().orderBy('warehouse_id').execute();
}

/** The warehouse answered: it is reachable from now on. */
export async function markReachable(ex: Executor, warehouseId: string, nowMs: number): Promise<void> {
  await idb(ex)
    .insertInto('warehouse_links')
    .values({
      warehouse_id: warehouseId,
      last_ok_at: nowMs,
      unreachable_since: null,
      last_error: null,
      updated_at: nowMs,
    })
    .onConflict((oc) =>
      oc
        .column('warehouse_id')
        .doUpdateSet({ last_ok_at: nowMs, unreachable_since: null, last_error: null, updated_at: nowMs }),
    )
    .execute();
}

/** A call failed: the first failure since the last success starts the unreachable period. */
export async function markUnreachable(
  ex: Executor,
  warehouseId: string,
  error: string,
  nowMs: number,
): Promise<void> {
  await idb(ex)
    .insertInto('warehouse_links')
    .values({
      warehouse_id: warehouseId,
      last_ok_at: null,
      unreachable_since: nowMs,
      last_error: error,
      updated_at: nowMs,
    })
    .onConflict((oc) =>
      oc.column('warehouse_id').doUpdateSet({
        unreachable_since: sql<number>`coalesce(warehouse_links.unreachable_since, ${nowMs})`,
        last_error: error,
        updated_at: nowMs,
      }),
    )
    .execute();
}

// Snapshot inventory (the fallback of [004-3.2])

/** Replaces the snapshot inventory with the rows of a new snapshot (one transaction: never half). */
export async function replaceSnapshotInventory(ex: Executor, rows: readonly InventorySnapshotTable[]) {
  const db = idb(ex);
  await db.deleteFrom('inventory_snapshot').execute();
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto('inventory_snapshot')
      .values(rows.slice(i, i + 200))
      .execute();
  }
}

export async function snapshotInventory(
  ex: Executor,
  filter: LevelFilter,
): Promise<InventorySnapshotTable[]> {
  let q = idb(ex).selectFrom('inventory_snapshot').selectAll();
  if (filter.sku !== undefined) q = q.where('sku', '=', filter.sku);
  if (filter.warehouseId !== undefined) q = q.where('warehouse_id', '=', filter.warehouseId);
  return q.orderBy('sku').orderBy('warehouse_id').execute();
}

/** Units reserved on `sku` in `warehouseId` by orders placed after `sinceMs` (whatever became of them). */
export async function reservedSince(
  ex: Executor,
  warehouseId: string,
  sku: string,
  sinceMs: number,
): Promise<number> {
  const row = await idb(ex)
    .selectFrom('inventory_reservations')
    .select((eb) => eb.fn.sum<number | string | null>('quantity').as('total'))
    .where('warehouse_id', '=', warehouseId)
    .where('sku', '=', sku)
    .where('created_at', '>', sinceMs)
    .where('status', '!=', 'released')
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

// Stock pushes to sales platforms

/**
 * A change of `sku`'s sellable stock that `platformId` must be told: bumps the wanted version
 * (taking the row's lock until the caller commits) and returns it.
 */
export async function wantStockPush(
  ex: Executor,
  platformId: string,
  sku: string,
  nowMs: number,
): Promise<number> {
  const db = idb(ex);
  await db
    .insertInto('stock_pushes')
    .values({
      platform_id: platformId,
      sku,
      wanted_version: 0,
      pushed_version: 0,
      pushed_available: null,
      pushed_source: null,
      pushed_at: null,
      updated_at: nowMs,
    })
    .onConflict((oc) => oc.columns(['platform_id', 'sku']).doNothing())
    .execute();
  await db
    .updateTable('stock_pushes')
    .set({ wanted_version: sql`wanted_version + 1`, updated_at: nowMs })
    .where('platform_id', '=', platformId)
    .where('sku', '=', sku)
    .execute();
  const row = await db
    .selectFrom('stock_pushes')
    .select('wanted_version')
    .where('platform_id', '=', platformId)
    .where('sku', '=', sku)
    .executeTakeFirstOrThrow();
  return row.wanted_version;
}

/** The push state of one platform and SKU, its row locked for the caller's transaction. */
export async function lockStockPush(
  ex: Executor,
  platformId: string,
  sku: string,
): Promise<StockPushesTable | undefined> {
  const db = idb(ex);
  await db
    .updateTable('stock_pushes')
    .set({ updated_at: sql`updated_at` })
    .where('platform_id', '=', platformId)
    .where('sku', '=', sku)
    .execute();
  return db
    .selectFrom('stock_pushes')
    .selectAll()
    .where('platform_id', '=', platformId)
    .where('sku', '=', sku)
    .executeTakeFirst();
}

/** The platforms already told some of these SKUs' stock (they must hear of any change to it). */
export async function platformsShowing(ex: Executor, skus: readonly string[]): Promise<string[]> {
  if (skus.length === 0) return [];
  const rows = await idb(ex)
    .selectFrom('stock_pushes')
    .select('platform_id')
    .distinct()
    .where('sku', 'in', [...skus])
    .orderBy('platform_id')
    .execute();
  return rows.map((r) => r.platform_id);
}

export async function readStockPush(
  ex: Executor,
  platformId: string,
  sku: string,
): Promise<StockPushesTable | undefined> {
  return idb(ex)
    .selectFrom('stock_pushes')
    .selectAll()
    .where('platform_id', '=', platformId)
    .where('sku', '=', sku)
    .executeTakeFirst();
}

export async function recordStockPushed(
  ex: Executor,
  row: Pick<
    StockPushesTable,
    'platform_id' | 'sku' | 'pushed_version' | 'pushed_available' | 'pushed_source'
  >,
  nowMs: number,
): Promise<void> {
  await idb(ex)
    .updateTable('stock_pushes')
    .set({
      pushed_version: row.pushed_version,
      pushed_available: row.pushed_available,
      pushed_source: row.pushed_source,
      pushed_at: nowMs,
      updated_at: nowMs,
    })
    .where('platform_id', '=', row.platform_id)
    .where('sku', '=', row.sku)
    .where('pushed_version', '<', row.pushed_version)
    .execute();
}
