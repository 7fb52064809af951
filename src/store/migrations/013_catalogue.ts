import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Product catalogue (issue 11): per SKU the customs master data that platform orders do not
 * carry, and the SKUs each `needs_data` order waits for (so adding a product finds its orders
 * without reading every order). Amounts are decimal strings.
 */
export const catalogue = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('products')
    .addColumn('sku', 'text', (c) => c.primaryKey())
    .addColumn('hs_code', 'text', (c) => c.notNull())
    .addColumn('origin_country', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('weight_grams', 'integer', (c) => c.notNull())
    .addColumn('declared_value', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('order_missing_skus')
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('since', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('order_missing_skus_pk', ['order_id', 'sku'])
    .execute();
  await db.schema.createIndex('order_missing_skus_sku').on('order_missing_skus').column('sku').execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('order_missing_skus').execute();
  await db.schema.dropTable('products').execute();
}
