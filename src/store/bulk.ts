/**
 * Many rows in few statements: multi-row INSERTs sized under each dialect's limit on bound
 * parameters. For loading (imports, benchmark stores of millions of orders), where one INSERT
 * per row would spend its time on round trips; callers pass rows already in the stored form
 * (sealed fields sealed, times in epoch ms) and wrap the calls in a transaction as they see fit.
 */
import type { Insertable } from 'kysely';
import type { DialectName } from './dialect.js';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';

/** Tables loaded this way: the order journey's own. */
export type BulkTable = 'orders' | 'order_history' | 'shipments' | 'tracking_events' | 'jobs';

/** SQLite allows 32,766 bound parameters per statement, PostgreSQL 65,535; stay well under both. */
const MAX_PARAMETERS = { sqlite: 30_000, postgres: 60_000 } as const;

export async function insertBulk<T extends BulkTable>(
  ex: Executor,
  dialect: DialectName,
  table: T,
  rows: ReadonlyArray<Insertable<Database[T]>>,
): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const perRow = Object.keys(first).length;
  const batch = Math.max(1, Math.floor(MAX_PARAMETERS[dialect] / perRow));
  for (let i = 0; i < rows.length; i += batch) {
    // The generic table name defeats Kysely's per-table value typing; rows were typed by the caller.
    await ex
      .insertInto(table)
      .values(rows.slice(i, i + batch) as never)
      .execute();
  }
}
