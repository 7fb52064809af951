import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Scheduled run reports on several hub nodes (issue 15): `op_report_runs` records each report
 * (period, first day, language) once it is written, by which node and where, so a period's
 * report is generated once for the cluster — the node holding the `reports` lease writes it, and
 * any node that takes the lease later finds it done.
 */
export const reportRuns = (dialect: DialectName): Migration => ({
  up: async (db: Kysely<unknown>) => {
    const ms = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('op_report_runs')
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('date', 'text', (c) => c.notNull())
      .addColumn('lang', 'text', (c) => c.notNull())
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('html', 'text', (c) => c.notNull())
      .addColumn('csv', 'text', (c) => c.notNull())
      .addColumn('written_at', ms, (c) => c.notNull())
      .addPrimaryKeyConstraint('op_report_runs_pk', ['period', 'date', 'lang'])
      .execute();
  },
  down: async (db: Kysely<unknown>) => {
    await db.schema.dropTable('op_report_runs').ifExists().execute();
  },
});
