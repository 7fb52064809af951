import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Customs declarations [000-2] (issue 12): the order's customs data (buyer and payment sealed,
 * charges plain), one row per declaration message of an order (CEB311, CEB511, CEB621, …) with
 * its status, the message as sent (sealed: it names the buyer and consignee) and its history.
 */
export const customs = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const isPg = dialect === 'postgres';
  await db.schema.alterTable('orders').addColumn('customs_sealed', 'text').execute();
  await db.schema.alterTable('orders').addColumn('charges', 'text').execute();
  await db.schema
    .createTable('customs_declarations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('message_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    /** The message's own 36-character guid: customs' receipts name it. */
    .addColumn('guid', 'text', (c) => c.notNull())
    .addColumn('order_no', 'text', (c) => c.notNull())
    .addColumn('logistics_no', 'text')
    /** Customs' numbers from its receipts (pre-entry, inventory list). */
    .addColumn('customs_no', 'text')
    .addColumn('last_code', 'text')
    /** Customs' last text, sealed: receipts echo names and addresses. */
    .addColumn('last_info_sealed', 'text')
    /** JSON discrepancies of the three-document match while the list is held. */
    .addColumn('discrepancies', 'text')
    .addColumn('override_by', 'text')
    /** The signed message as written to the outbox, sealed. */
    .addColumn('message_sealed', 'text')
    .addColumn('sent_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('customs_declarations_order_doc')
    .on('customs_declarations')
    .columns(['order_id', 'message_type'])
    .unique()
    .execute();
  await db.schema
    .createIndex('customs_declarations_guid')
    .on('customs_declarations')
    .column('guid')
    .unique()
    .execute();
  await db.schema
    .createIndex('customs_declarations_status')
    .on('customs_declarations')
    .columns(['status', 'id'])
    .execute();
  await db.schema
    .createTable('customs_history')
    .addColumn('id', isPg ? 'bigserial' : 'integer', (c) =>
      isPg ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('declaration_id', 'text', (c) => c.notNull())
    .addColumn('at', ms, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    /** Masked: customs' full text is sealed on the declaration. */
    .addColumn('note', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('customs_history_declaration')
    .on('customs_history')
    .columns(['declaration_id', 'id'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('customs_history').execute();
  await db.schema.dropTable('customs_declarations').execute();
  await db.schema.alterTable('orders').dropColumn('charges').execute();
  await db.schema.alterTable('orders').dropColumn('customs_sealed').execute();
}
