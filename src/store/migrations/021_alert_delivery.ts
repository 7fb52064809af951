import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Alerting on several hub nodes and notifications held through quiet hours (issue 15):
 * - `op_leases`: a named lease a node holds until it expires, so one node at a time evaluates the
 *   alert rules and the delay checks (single writer across nodes);
 * - at most one firing alert per rule and subject, enforced by a partial unique index, so even
 *   two evaluators racing cannot fire the same alert twice;
 * - a held notification keeps what it would have sent (`payload`) and when it finally went out
 *   (`delivered_at`), so it is delivered when its recipient's quiet hours end.
 */
export const alertDelivery = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('op_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('op_alerts_one_firing')
    .on('op_alerts')
    .columns(['rule', 'subject'])
    .unique()
    .where(sql.ref('status'), '=', sql.lit('firing'))
    .execute();
  await db.schema.alterTable('op_notifications').addColumn('payload', 'text').execute();
  await db.schema.alterTable('op_notifications').addColumn('delivered_at', ms).execute();
  await db.schema
    .createIndex('op_notifications_held')
    .on('op_notifications')
    .columns(['status', 'at'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('op_notifications_held').ifExists().execute();
  await db.schema.alterTable('op_notifications').dropColumn('delivered_at').execute();
  await db.schema.alterTable('op_notifications').dropColumn('payload').execute();
  await db.schema.dropIndex('op_alerts_one_firing').ifExists().execute();
  await db.schema.dropTable('op_leases').ifExists().execute();
}
