import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Parquet snapshots and the reconciliations after a warehouse outage [004-3.2]: one row per
 * snapshot taken (its day, folder and manifest), and one per reconciliation report (the
 * warehouse, the outage it follows, the differences found and where the report files are).
 */
export const snapshots = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('snapshots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('taken_at', ms, (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('dir', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    /** The manifest as written beside the files (JSON): files, row counts, checksums, schema. */
    .addColumn('manifest', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('snapshots_taken').on('snapshots').column('taken_at').execute();
  await db.schema
    .createTable('stock_reconciliations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('warehouse_id', 'text', (c) => c.notNull())
    .addColumn('snapshot_id', 'text')
    .addColumn('unreachable_since', ms, (c) => c.notNull())
    .addColumn('fallback_from', ms, (c) => c.notNull())
    .addColumn('recovered_at', ms, (c) => c.notNull())
    .addColumn('differences', 'integer', (c) => c.notNull())
    .addColumn('oversold_skus', 'integer', (c) => c.notNull())
    /** The report's lines (JSON), as in the JSON file. */
    .addColumn('lines', 'text', (c) => c.notNull())
    .addColumn('json_path', 'text')
    .addColumn('csv_path', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('stock_reconciliations_warehouse')
    .on('stock_reconciliations')
    .columns(['warehouse_id', 'created_at'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('stock_reconciliations').ifExists().execute();
  await db.schema.dropTable('snapshots').ifExists().execute();
}
