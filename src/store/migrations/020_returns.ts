import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Returns end to end [001-6.3.3] [002-5.4]: a return authorisation per order (from the API or a
 * shop's return request) with its lines and their inspection results, the carrier's return
 * waybill, the refund or replacement order it settled with and the version of its status the
 * shop was last told; every step of a return as an event; and the damaged bucket, per warehouse
 * and SKU, that returned units graded damaged go to (they are not sellable, so not on hand).
 */
export const returns = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const isPg = dialect === 'postgres';
  await db.schema
    .createTable('returns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull())
    /** Where the return was asked for: `api`, or the sales platform that sent the request. */
    .addColumn('origin', 'text', (c) => c.notNull())
    /** The requester's own id of the return (the platform's return id, the API caller's reference). */
    .addColumn('reference', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    /** JSON: the lines with their quantities and, once inspected, what came back in what state. */
    .addColumn('lines', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('warehouse_id', 'text', (c) => c.notNull())
    /** The warehouse's number of the announced return and its returns address (JSON). */
    .addColumn('warehouse_return_no', 'text')
    .addColumn('return_to', 'text')
    .addColumn('carrier', 'text')
    .addColumn('waybill_no', 'text')
    .addColumn('label_url', 'text')
    .addColumn('refund_amount', 'text')
    .addColumn('replacement_order_id', 'text')
    /** Bumped by every change the shop must hear of; the push job records what it carried. */
    .addColumn('status_version', 'integer', (c) => c.notNull())
    .addColumn('pushed_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('returns_order').on('returns').columns(['order_id']).execute();
  await db.schema
    .createIndex('returns_reference')
    .on('returns')
    .columns(['order_id', 'origin', 'reference'])
    .unique()
    .execute();
  await db.schema.createIndex('returns_waybill').on('returns').columns(['carrier', 'waybill_no']).execute();
  await db.schema
    .createTable('return_events')
    .addColumn('id', isPg ? 'bigserial' : 'integer', (c) =>
      isPg ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('return_id', 'text', (c) => c.notNull())
    .addColumn('at', ms, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('return_events_return')
    .on('return_events')
    .columns(['return_id', 'id'])
    .execute();
  await db.schema
    .createTable('inventory_damaged')
    .addColumn('warehouse_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_damaged_pk', ['warehouse_id', 'sku'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['inventory_damaged', 'return_events', 'returns'])
    await db.schema.dropTable(t).ifExists().execute();
}
