/** Idempotency keys: which order a caller's `Idempotency-Key` created, and the hash of that request. */
import type { Executor } from './transaction.js';

export interface IdempotencyRecord {
  orderId: string;
  requestHash: string;
}

export async function findIdempotencyKey(
  ex: Executor,
  caller: string,
  key: string,
): Promise<IdempotencyRecord | undefined> {
  const row = await ex
    .selectFrom('idempotency_keys')
    .select(['order_id', 'request_hash'])
    .where('caller', '=', caller)
    .where('key', '=', key)
    .executeTakeFirst();
  return row ? { orderId: row.order_id, requestHash: row.request_hash } : undefined;
}

export async function recordIdempotencyKey(
  ex: Executor,
  r: IdempotencyRecord & { caller: string; key: string; nowMs: number },
): Promise<void> {
  await ex
    .insertInto('idempotency_keys')
    .values({
      caller: r.caller,
      key: r.key,
      request_hash: r.requestHash,
      order_id: r.orderId,
      created_at: r.nowMs,
    })
    .execute();
}
