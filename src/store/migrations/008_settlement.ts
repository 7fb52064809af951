import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Fee settlement [003-5.9] [001-6.3.2]: each shipment's expected charge, partners' bills and
 * their lines as reconciled, the FX rates used (rate and day recorded), and disputes. Amounts are
 * decimal strings (never floats); every line keeps the rate and day of its conversion.
 */
export const settlement = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('settlement_charges')
    .addColumn('shipment_id', 'text', (c) => c.primaryKey())
    .addColumn('carrier', 'text', (c) => c.notNull())
    .addColumn('waybill_no', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('zone', 'text', (c) => c.notNull())
    .addColumn('chargeable_grams', 'integer', (c) => c.notNull())
    .addColumn('components', 'text', (c) => c.notNull())
    .addColumn('total', 'text', (c) => c.notNull())
    .addColumn('basis', 'text', (c) => c.notNull())
    .addColumn('computed_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('settlement_charges_waybill')
    .on('settlement_charges')
    .columns(['carrier', 'waybill_no'])
    .execute();
  await db.schema
    .createTable('settlement_bills')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('bill_no', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('issued_on', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('line_count', 'integer', (c) => c.notNull())
    .addColumn('total', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('paid', 'text', (c) => c.notNull())
    .addColumn('received_at', ms, (c) => c.notNull())
    .addColumn('reconciled_at', ms)
    .addUniqueConstraint('settlement_bills_partner_no', ['partner_id', 'bill_no'])
    .execute();
  await db.schema
    .createIndex('settlement_bills_period')
    .on('settlement_bills')
    .columns(['partner_id', 'period'])
    .execute();
  await db.schema
    .createTable('settlement_lines')
    .addColumn('bill_id', 'text', (c) => c.notNull())
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('waybill_no', 'text', (c) => c.notNull())
    .addColumn('billed', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('expected', 'text')
    .addColumn('difference', 'text')
    .addColumn('discrepancies', 'text', (c) => c.notNull())
    .addColumn('reporting_currency', 'text')
    .addColumn('billed_reporting', 'text')
    .addColumn('difference_reporting', 'text')
    .addColumn('fx_rate', 'text')
    .addColumn('fx_day', 'text')
    .addColumn('fx_source', 'text')
    .addPrimaryKeyConstraint('settlement_lines_pk', ['bill_id', 'line_no'])
    .execute();
  await db.schema
    .createIndex('settlement_lines_waybill')
    .on('settlement_lines')
    .column('waybill_no')
    .execute();
  await db.schema
    .createTable('fx_rates')
    .addColumn('base', 'text', (c) => c.notNull())
    .addColumn('quote', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('rate', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('recorded_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('fx_rates_pk', ['base', 'quote', 'day'])
    .execute();
  await db.schema
    .createTable('settlement_disputes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('bill_id', 'text', (c) => c.notNull())
    .addColumn('line_no', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('amount', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('deadline', 'text', (c) => c.notNull())
    .addColumn('resolution', 'text')
    .addColumn('credit_note_no', 'text')
    .addColumn('credit_amount', 'text')
    .addColumn('comments', 'text', (c) => c.notNull())
    .addColumn('attachments', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('settlement_disputes_bill')
    .on('settlement_disputes')
    .columns(['bill_id', 'line_no'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'settlement_disputes',
    'fx_rates',
    'settlement_lines',
    'settlement_bills',
    'settlement_charges',
  ])
    await db.schema.dropTable(t).ifExists().execute();
}
