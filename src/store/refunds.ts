/**
 * The refunds of the settlement ledger (migration 026_refunds): written with the return's
 * completion, read by finance. Every write runs inside the caller's transaction.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';

export interface SettlementRefundsTable {
  return_id: string;
  order_id: string;
  platform: string;
  currency: string;
  amount: string;
  period: string;
  /** JSON `[{sku, units, unitPrice, amount}]`. */
  lines: string;
  refunded_at: number;
}

// A type alias (not an interface): Kysely's withTables needs an index-compatible record.
export type RefundTables = { settlement_refunds: SettlementRefundsTable };

function fdb(ex: Executor): Kysely<Database & RefundTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<RefundTables>();
}

/** Records a return's refund; false (nothing written) when the return already has its entry. */
export async function insertRefund(ex: Executor, row: SettlementRefundsTable): Promise<boolean> {
  const res = await fdb(ex)
    .insertInto('settlement_refunds')
    .values(row)
    .onConflict((oc) => oc.column('return_id').doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export interface RefundFilter {
  platform?: string;
  period?: string;
  limit: number;
  /** Return ids below this one (the next page, newest first). */
  beforeId?: string;
}

export async function listRefunds(ex: Executor, f: RefundFilter): Promise<SettlementRefundsTable[]> {
  let q = fdb(ex).selectFrom('settlement_refunds').selectAll();
  if (f.platform !== undefined) q = q.where('platform', '=', f.platform);
  if (f.period !== undefined) q = q.where('period', '=', f.period);
  if (f.beforeId !== undefined) q = q.where('return_id', '<', f.beforeId);
  return q.orderBy('return_id', 'desc').limit(f.limit).execute();
}

/** Every refund amount of the filter, with its currency (the totals are summed as decimals). */
export async function refundAmounts(
  ex: Executor,
  f: Omit<RefundFilter, 'limit' | 'beforeId'>,
): Promise<Array<{ currency: string; amount: string }>> {
  let q = fdb(ex).selectFrom('settlement_refunds').select(['currency', 'amount']);
  if (f.platform !== undefined) q = q.where('platform', '=', f.platform);
  if (f.period !== undefined) q = q.where('period', '=', f.period);
  return q.execute();
}
