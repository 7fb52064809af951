import type { Kysely, Migration } from 'kysely';

/**
 * Indexes for the console's statistics on stores of millions of orders [003-6.2]: each
 * aggregate reads a time range of one index that holds every column it needs (no table rows),
 * so a month of orders or shipments is counted without touching the orders' sealed columns.
 */
export const consoleIndexes = (): Migration => ({ up, down });

async function up(db: Kysely<unknown>): Promise<void> {
  // Orders per bucket, status and sales channel (service quality, failed orders per channel).
  await db.schema
    .createIndex('orders_created_status_source')
    .on('orders')
    .columns(['created_at', 'status', 'source'])
    .execute();
  // Shipments per bucket, carrier and status; order_id for the wait from order to waybill.
  await db.schema
    .createIndex('shipments_created_carrier')
    .on('shipments')
    .columns(['created_at', 'carrier', 'status', 'order_id'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('shipments_created_carrier').execute();
  await db.schema.dropIndex('orders_created_status_source').execute();
}
