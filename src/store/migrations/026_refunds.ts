import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Refunds in the settlement ledger: a refunded return is money the seller pays back to a buyer
 * through the sales platform, so finance sees it beside the carriers' and warehouses' bills — one
 * entry per return (its id is the key: a retried settle writes nothing twice), with the platform,
 * the amount in the order's currency, the month it falls in and what was paid back per line.
 */
export const refunds = (dialect: DialectName): Migration => ({
  up: async (db: Kysely<unknown>) => {
    const ms = dialect === 'postgres' ? 'bigint' : 'integer';
    await db.schema
      .createTable('settlement_refunds')
      .addColumn('return_id', 'text', (c) => c.primaryKey())
      .addColumn('order_id', 'text', (c) => c.notNull())
      /** The sales platform the order came from (who passes the refund on to the buyer). */
      .addColumn('platform', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('amount', 'text', (c) => c.notNull())
      /** `YYYY-MM` (UTC) of the refund: the month finance books it in. */
      .addColumn('period', 'text', (c) => c.notNull())
      /** JSON `[{sku, units, unitPrice, amount}]`: what each line paid back. */
      .addColumn('lines', 'text', (c) => c.notNull())
      .addColumn('refunded_at', ms, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('settlement_refunds_period')
      .on('settlement_refunds')
      .columns(['period', 'platform'])
      .execute();
  },
  down: async (db: Kysely<unknown>) => {
    await db.schema.dropTable('settlement_refunds').ifExists().execute();
  },
});
