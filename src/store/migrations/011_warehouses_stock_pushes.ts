import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Stock pushed to sales platforms [004-2] (second part of 011 warehouses): per platform and SKU
 * the version of the stock the hub wants the platform to show and the version last pushed, with
 * what was pushed, so one push job per platform and SKU catches up with every change and none is
 * lost between a push and the next change.
 */
export const warehouseStockPushes = (dialect: DialectName): Migration => ({
  up: async (db: Kysely<unknown>) => {
    const ms = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('stock_pushes')
      .addColumn('platform_id', 'text', (c) => c.notNull())
      .addColumn('sku', 'text', (c) => c.notNull())
      .addColumn('wanted_version', 'integer', (c) => c.notNull())
      .addColumn('pushed_version', 'integer', (c) => c.notNull())
      .addColumn('pushed_available', 'integer')
      .addColumn('pushed_source', 'text')
      .addColumn('pushed_at', ms)
      .addColumn('updated_at', ms, (c) => c.notNull())
      .addPrimaryKeyConstraint('stock_pushes_pk', ['platform_id', 'sku'])
      .execute();
  },
  down: async (db: Kysely<unknown>) => {
    await db.schema.dropTable('stock_pushes').ifExists().execute();
  },
});
