import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Fee settlement, second part [003-5.9]: an expected charge keeps the version of the rate card
 * that priced it, the weight the order declared and — once the carrier weighed or measured the
 * parcel — the measured weight and dimensions it was recomputed from, with where they came from.
 */
export const settlementMeasured = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  await db.schema.alterTable('settlement_charges').addColumn('card_version', 'text').execute();
  await db.schema.alterTable('settlement_charges').addColumn('declared_grams', 'integer').execute();
  await db.schema.alterTable('settlement_charges').addColumn('measured_grams', 'integer').execute();
  await db.schema.alterTable('settlement_charges').addColumn('measured_dims', 'text').execute();
  await db.schema.alterTable('settlement_charges').addColumn('measured_source', 'text').execute();
  await db.schema.alterTable('settlement_charges').addColumn('measured_at', ms).execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  for (const c of [
    'measured_at',
    'measured_source',
    'measured_dims',
    'measured_grams',
    'declared_grams',
    'card_version',
  ])
    await db.schema.alterTable('settlement_charges').dropColumn(c).execute();
}
