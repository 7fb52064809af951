/**
 * Queries of Parquet snapshots and of reconciliations after a warehouse outage [004-3.2]
 * (migration 018_snapshots): what a snapshot reads (products, orders without personal data, the
 * inventory of chosen warehouses), the record of each snapshot taken, the reservations made
 * while a snapshot served, and the reconciliation reports. The rules are the pipeline's
 * (pipeline/snapshot/).
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';
import type { CatalogueTables, ProductsTable } from './products-schema.js';
import type { InventoryTables, LevelRow } from './inventory.js';

export interface SnapshotsTable {
  id: string;
  taken_at: number;
  /** The snapshot's day in its time zone, YYYY-MM-DD (the files carry it in their names). */
  day: string;
  time_zone: string;
  dir: string;
  /** `schedule` | `cli` | `api`. */
  trigger: string;
  manifest: string;
}

export interface StockReconciliationsTable {
  id: string;
  warehouse_id: string;
  snapshot_id: string | null;
  unreachable_since: number;
  fallback_from: number;
  recovered_at: number;
  differences: number;
  oversold_skus: number;
  lines: string;
  json_path: string | null;
  csv_path: string | null;
  created_at: number;
}

export type SnapshotTables = {
  snapshots: SnapshotsTable;
  stock_reconciliations: StockReconciliationsTable;
};

type All = Database & SnapshotTables & InventoryTables & CatalogueTables;

function sdb(ex: Executor): Kysely<All> {
  const db: Kysely<Database> = ex;
  return db.withTables<SnapshotTables & InventoryTables & CatalogueTables>();
}

/** Every product of the catalogue, by SKU. */
export async function productsForSnapshot(ex: Executor): Promise<ProductsTable[]> {
  return sdb(ex).selectFrom('products').selectAll().orderBy('sku').execute();
}

/** An order as a snapshot keeps it: no recipient, buyer, payment or notes (personal data). */
export interface SnapshotOrderRow {
  id: string;
  source: string;
  external_id: string;
  status: string;
  currency: string;
  total_value: string;
  destination_country: string;
  items: string;
  placed_at: number | null;
  created_at: number;
  updated_at: number;
  carrier: string | null;
  waybill_no: string | null;
  warehouse_id: string | null;
}

/**
 * One page of the orders that came from `sources` or went to `carriers` or `warehouses`, by id
 * after `afterId`. The personal columns are not even selected.
 */
export async function ordersForSnapshot(
  ex: Executor,
  scope: { sources: readonly string[]; carriers: readonly string[]; warehouses: readonly string[] },
  afterId: string,
  limit: number,
): Promise<SnapshotOrderRow[]> {
  const db = sdb(ex);
  if (scope.sources.length + scope.carriers.length + scope.warehouses.length === 0) return [];
  // Subqueries, not joins: an order re-routed to a second carrier is still one row.
  const rows = await db
    .selectFrom('orders as o')
    .select([
      'o.id',
      'o.source',
      'o.external_id',
      'o.status',
      'o.currency',
      'o.total_value',
      'o.destination_country',
      'o.items',
      'o.placed_at',
      'o.created_at',
      'o.updated_at',
    ])
    .select((eb) => [
      eb
        .selectFrom('shipments as s')
        .select((e2) => e2.fn.max('s.carrier').as('c'))
        .whereRef('s.order_id', '=', 'o.id')
        .as('carrier'),
      eb
        .selectFrom('shipments as s')
        .select((e2) => e2.fn.max('s.waybill_no').as('w'))
        .whereRef('s.order_id', '=', 'o.id')
        .as('waybill_no'),
      eb
        .selectFrom('inventory_reservations as r')
        .select((e2) => e2.fn.min('r.warehouse_id').as('w'))
        .whereRef('r.order_id', '=', 'o.id')
        .where('r.warehouse_id', 'in', scope.warehouses.length > 0 ? scope.warehouses : [''])
        .as('warehouse_id'),
    ])
    .where('o.id', '>', afterId)
    .where((eb) => {
      const inScope = [];
      if (scope.sources.length > 0) inScope.push(eb('o.source', 'in', scope.sources));
      if (scope.carriers.length > 0)
        inScope.push(
          eb.exists(
            eb
              .selectFrom('shipments as s2')
              .select('s2.order_id')
              .whereRef('s2.order_id', '=', 'o.id')
              .where('s2.carrier', 'in', scope.carriers),
          ),
        );
      if (scope.warehouses.length > 0)
        inScope.push(
          eb.exists(
            eb
              .selectFrom('inventory_reservations as r2')
              .select('r2.order_id')
              .whereRef('r2.order_id', '=', 'o.id')
              .where('r2.warehouse_id', 'in', scope.warehouses),
          ),
        );
      return eb.or(inScope);
    })
    .orderBy('o.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    ...r,
    carrier: r.carrier ?? null,
    waybill_no: r.waybill_no ?? null,
    warehouse_id: r.warehouse_id ?? null,
  }));
}

/** The inventory levels of the given warehouses, by warehouse and SKU. */
export async function levelsForSnapshot(ex: Executor, warehouses: readonly string[]): Promise<LevelRow[]> {
  if (warehouses.length === 0) return [];
  return sdb(ex)
    .selectFrom('inventory_levels')
    .selectAll()
    .where('warehouse_id', 'in', warehouses)
    .orderBy('warehouse_id')
    .orderBy('sku')
    .execute();
}

export async function insertSnapshot(ex: Executor, row: SnapshotsTable): Promise<void> {
  await sdb(ex).insertInto('snapshots').values(row).execute();
}

export async function listSnapshots(ex: Executor, limit: number): Promise<SnapshotsTable[]> {
  return sdb(ex).selectFrom('snapshots').selectAll().orderBy('taken_at', 'desc').limit(limit).execute();
}

export async function getSnapshot(ex: Executor, id: string): Promise<SnapshotsTable | undefined> {
  return sdb(ex).selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Reservations on a warehouse made from `fromMs` to `toMs` (what was sold while a snapshot served). */
export async function reservationsBetween(
  ex: Executor,
  warehouseId: string,
  fromMs: number,
  toMs: number,
): Promise<Array<{ order_id: string; sku: string; quantity: number; status: string }>> {
  return sdb(ex)
    .selectFrom('inventory_reservations')
    .select(['order_id', 'sku', 'quantity', 'status'])
    .where('warehouse_id', '=', warehouseId)
    .where('created_at', '>', fromMs)
    .where('created_at', '<=', toMs)
    .orderBy('sku')
    .orderBy('order_id')
    .execute();
}

export async function insertReconciliation(ex: Executor, row: StockReconciliationsTable): Promise<void> {
  await sdb(ex).insertInto('stock_reconciliations').values(row).execute();
}

export async function listReconciliations(
  ex: Executor,
  opts: { warehouseId?: string; limit: number },
): Promise<StockReconciliationsTable[]> {
  let q = sdb(ex).selectFrom('stock_reconciliations').selectAll();
  if (opts.warehouseId !== undefined) q = q.where('warehouse_id', '=', opts.warehouseId);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
}

export async function getReconciliation(
  ex: Executor,
  id: string,
): Promise<StockReconciliationsTable | undefined> {
  return sdb(ex).selectFrom('stock_reconciliations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Each warehouse's newest reconciliation, when it found oversold SKUs. */
export async function latestOversoldReconciliations(ex: Executor): Promise<StockReconciliationsTable[]> {
  const rows = await sdb(ex)
    .selectFrom('stock_reconciliations')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(10_000)
    .execute();
  const newest = new Map<string, StockReconciliationsTable>();
  for (const r of rows) if (!newest.has(r.warehouse_id)) newest.set(r.warehouse_id, r);
  return [...newest.values()].filter((r) => r.oversold_skus > 0);
}

/** Every warehouse, order source and carrier the store has data of (a snapshot without a config). */
export async function partnersInStore(
  ex: Executor,
): Promise<{ platforms: string[]; carriers: string[]; warehouses: string[] }> {
  const db = sdb(ex);
  const [w, o, c] = await Promise.all([
    db.selectFrom('inventory_levels').select('warehouse_id').distinct().orderBy('warehouse_id').execute(),
    db.selectFrom('orders').select('source').distinct().orderBy('source').execute(),
    db.selectFrom('shipments').select('carrier').distinct().orderBy('carrier').execute(),
  ]);
  return {
    platforms: o.map((r) => r.source),
    carriers: c.map((r) => r.carrier),
    warehouses: w.map((r) => r.warehouse_id),
  };
}
