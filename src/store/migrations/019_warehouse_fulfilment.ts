import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Fulfilment from a warehouse (issue 13): the hub's record of each order routed to a warehouse
 * (held for stock, sent as the warehouse's outbound order, shipped with the last-mile waybill it
 * reported), and the inbound receipts (ASN) created over the API. The lines of a receipt and
 * their received quantities are the `inbound_receipts` rows of 011 (keyed by the receipt's id).
 */
export const warehouseFulfilment = (dialect: DialectName): Migration => ({
  up: async (db: Kysely<unknown>) => {
    const ms = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('warehouse_orders')
      .addColumn('order_id', 'text', (c) => c.primaryKey())
      .addColumn('warehouse_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('lines', 'text', (c) => c.notNull())
      .addColumn('outbound_no', 'text')
      .addColumn('reason', 'text')
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('updated_at', ms, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('warehouse_orders_status_idx')
      .on('warehouse_orders')
      .columns(['warehouse_id', 'status', 'created_at'])
      .execute();
    await db.schema
      .createTable('inbounds')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('warehouse_id', 'text', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('asn_no', 'text')
      .addColumn('expected_at', ms)
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('updated_at', ms, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('inbounds_reference_idx')
      .on('inbounds')
      .columns(['warehouse_id', 'reference'])
      .unique()
      .execute();
  },
  down: async (db: Kysely<unknown>) => {
    await db.schema.dropTable('inbounds').ifExists().execute();
    await db.schema.dropTable('warehouse_orders').ifExists().execute();
  },
});
