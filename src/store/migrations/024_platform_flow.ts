import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Platform flow (issue 11): where each pulled platform's order feed stands (its high-water mark
 * and the page cursor inside the current window, so a pull killed mid-feed resumes where it
 * stopped), what was told back to the platform an order came from (its fulfilment id and the
 * last status sent), and the carriers' labels, sealed (they print the buyer's name and address).
 */
export const platformFlow = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('platform_pull_cursors')
    .addColumn('partner_id', 'text', (c) => c.primaryKey())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('page_cursor', 'text')
    .addColumn('window_started_at', ms)
    .addColumn('orders_seen', 'integer', (c) => c.notNull())
    .addColumn('orders_accepted', 'integer', (c) => c.notNull())
    .addColumn('orders_refused', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('platform_fulfilments')
    .addColumn('order_id', 'text', (c) => c.primaryKey())
    .addColumn('platform_id', 'text', (c) => c.notNull())
    .addColumn('waybill_no', 'text', (c) => c.notNull())
    .addColumn('partner_ref', 'text')
    .addColumn('sent_status', 'text')
    .addColumn('sends', 'integer', (c) => c.notNull())
    .addColumn('sent_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('shipment_labels')
    .addColumn('shipment_id', 'text', (c) => c.primaryKey())
    .addColumn('carrier', 'text', (c) => c.notNull())
    .addColumn('waybill_no', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('data_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('shipment_labels_waybill').on('shipment_labels').column('waybill_no').execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('shipment_labels').execute();
  await db.schema.dropTable('platform_fulfilments').execute();
  await db.schema.dropTable('platform_pull_cursors').execute();
}
