import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Warehouse inventory [000-2] [001-6.3.3] [004-2] [004-3.2]: per warehouse and SKU the figures
 * (on hand from the warehouse, reserved by the hub, in transit on inbound receipts) with the time
 * and source of each, every warehouse stock change applied once, the history of every figure,
 * the hub's reservations, inbound receipts (ASN lines), each warehouse's reachability and the
 * inventory of the last snapshot (the fallback while a warehouse is unreachable).
 */
export const warehouses = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const isPg = dialect === 'postgres';
  await db.schema
    .createTable('inventory_levels')
    .addColumn('warehouse_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('on_hand', 'integer', (c) => c.notNull())
    /** The warehouse's time of the last absolute figure the on-hand count is based on. */
    .addColumn('on_hand_base_at', ms, (c) => c.notNull())
    .addColumn('on_hand_at', ms, (c) => c.notNull())
    .addColumn('on_hand_source', 'text', (c) => c.notNull())
    .addColumn('reserved', 'integer', (c) => c.notNull())
    .addColumn('reserved_at', ms, (c) => c.notNull())
    .addColumn('in_transit', 'integer', (c) => c.notNull())
    .addColumn('in_transit_at', ms, (c) => c.notNull())
    .addColumn('in_transit_source', 'text', (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_levels_pk', ['warehouse_id', 'sku'])
    .execute();
  await db.schema.createIndex('inventory_levels_sku').on('inventory_levels').column('sku').execute();
  await db.schema
    .createTable('inventory_events')
    .addColumn('warehouse_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('delta', 'integer', (c) => c.notNull())
    .addColumn('occurred_at', ms, (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('received_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_events_pk', ['warehouse_id', 'event_id'])
    .execute();
  await db.schema
    .createIndex('inventory_events_sku_time')
    .on('inventory_events')
    .columns(['warehouse_id', 'sku', 'occurred_at'])
    .execute();
  await db.schema
    .createTable('inventory_history')
    .addColumn('id', isPg ? 'bigserial' : 'integer', (c) =>
      isPg ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('warehouse_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('at', ms, (c) => c.notNull())
    .addColumn('change', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('on_hand_delta', 'integer', (c) => c.notNull())
    .addColumn('reserved_delta', 'integer', (c) => c.notNull())
    .addColumn('in_transit_delta', 'integer', (c) => c.notNull())
    .addColumn('on_hand', 'integer', (c) => c.notNull())
    .addColumn('reserved', 'integer', (c) => c.notNull())
    .addColumn('in_transit', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('inventory_history_sku')
    .on('inventory_history')
    .columns(['sku', 'id'])
    .execute();
  await db.schema
    .createTable('inventory_reservations')
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('warehouse_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_reservations_pk', ['order_id', 'warehouse_id', 'sku'])
    .execute();
  await db.schema
    .createTable('inbound_receipts')
    .addColumn('warehouse_id', 'text', (c) => c.notNull())
    .addColumn('asn_no', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('expected', 'integer', (c) => c.notNull())
    .addColumn('received', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('inbound_receipts_pk', ['warehouse_id', 'asn_no', 'sku'])
    .execute();
  await db.schema
    .createTable('warehouse_links')
    .addColumn('warehouse_id', 'text', (c) => c.primaryKey())
    .addColumn('last_ok_at', ms)
    .addColumn('unreachable_since', ms)
    .addColumn('last_error', 'text')
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('inventory_snapshot')
    .addColumn('warehouse_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('on_hand', 'integer', (c) => c.notNull())
    .addColumn('reserved', 'integer', (c) => c.notNull())
    .addColumn('taken_at', ms, (c) => c.notNull())
    .addColumn('snapshot_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_snapshot_pk', ['warehouse_id', 'sku'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'inventory_snapshot',
    'warehouse_links',
    'inbound_receipts',
    'inventory_reservations',
    'inventory_history',
    'inventory_events',
    'inventory_levels',
  ])
    await db.schema.dropTable(t).ifExists().execute();
}
