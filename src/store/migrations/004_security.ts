import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Issue 4's data layer: the data-key ring for field encryption, blind-index columns for finding
 * a consignee's orders by phone or e-mail, and scoped, allow-listed, rate-limited, rotatable
 * API keys. Existing plaintext rows are sealed by `waygate keys rotate` (the migration has no
 * access to the master key).
 */
export const security = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('data_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull().unique())
    .addColumn('wrapped', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('retired_at', ms)
    .execute();

  await db.schema.alterTable('orders').addColumn('recipient_email_bidx', 'text').execute();
  await db.schema.alterTable('orders').addColumn('recipient_phone_bidx', 'text').execute();
  await db.schema.createIndex('orders_email_bidx').on('orders').column('recipient_email_bidx').execute();
  await db.schema.createIndex('orders_phone_bidx').on('orders').column('recipient_phone_bidx').execute();

  // One ALTER per column: SQLite adds a single column per statement.
  const keyColumns: [string, 'text' | 'integer' | 'bigint', boolean][] = [
    ['scopes', 'text', true],
    ['partner_id', 'text', false],
    ['allow_cidrs', 'text', true],
    ['rate_per_minute', 'integer', false],
    ['expires_at', ms, false],
    ['prev_secret_enc', 'text', false],
    ['prev_valid_until', ms, false],
    ['rotated_at', ms, false],
  ];
  for (const [name, type, hasDefault] of keyColumns) {
    await db.schema
      .alterTable('api_keys')
      .addColumn(name, type, (c) => (hasDefault ? c.notNull().defaultTo('[]') : c))
      .execute();
  }
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('data_keys').ifExists().execute();
}
