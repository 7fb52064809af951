/**
 * Accepting an order: one transaction stores the raw inbound message (when there is one), the
 * canonical order, its history line and the outbox job that will create the shipment. Only
 * then does the gateway answer 202. The same source + external id always yields the same order.
 */
import { createHash } from 'node:crypto';
import { orderLineIssues, orderTotal, WaygateError, type OrderInput } from '../domain/index.js';
import type { Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import { findIdempotencyKey, recordIdempotencyKey } from '../store/idempotency.js';
import { insertInboundMessage } from '../store/inbound-messages.js';
import type { FieldSealer } from '../store/sealing.js';
import type { Executor } from '../store/transaction.js';
import { findOrderIdByExternal, insertOrder } from '../store/orders.js';
import { shipmentCreate } from './jobs/shipment-create.js';

export interface RawInbound {
  partnerId: string;
  kind: string;
  /** The partner's delivery id (webhook id), or a hash of the body when it has none. */
  dedupeKey: string;
  body: string;
}

export interface AcceptContext {
  caller: string;
  idempotencyKey?: string;
  raw?: RawInbound;
  nowMs?: number;
  /**
   * Runs first in the order's own transaction; a throw stores nothing. The gateway claims the
   * request's nonce here, so accepting an order costs one commit, not two.
   */
  first?: (trx: Executor) => Promise<void>;
}

export interface AcceptResult {
  id: string;
  created: boolean;
}

export function requestHash(input: OrderInput): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

/** The order rules (domain/order-rules.ts, which a dead-letter edit runs too); returns the total. */
function checkBusinessRules(input: OrderInput): string {
  const total = orderTotal(input.items);
  const [repeat] = orderLineIssues(input.items);
  if (repeat) {
    throw new WaygateError(
      'duplicate_sku',
      `items[${repeat.index}].sku repeats ${repeat.sku}; merge the lines`,
      {
        field: repeat.field,
      },
    );
  }
  return total;
}

export async function acceptOrder(
  store: Store,
  input: OrderInput,
  ctx: AcceptContext,
): Promise<AcceptResult> {
  const nowMs = ctx.nowMs ?? Date.now();
  const totalValue = checkBusinessRules(input);
  const hash = ctx.idempotencyKey ? requestHash(input) : '';
  try {
    return await store.write((trx) =>
      acceptInTx(trx, store.keys.cipher, input, ctx, totalValue, hash, nowMs),
    );
  } catch (err) {
    // Two nodes inserting the same order at once: the loser re-reads the winner's order.
    if (isUniqueViolation(err)) {
      const id = await findOrderIdByExternal(store.db, input.source, input.externalId);
      if (id) return { id, created: false };
    }
    throw err;
  }
}

async function acceptInTx(
  trx: Executor,
  cipher: FieldSealer,
  input: OrderInput,
  ctx: AcceptContext,
  totalValue: string,
  hash: string,
  nowMs: number,
): Promise<AcceptResult> {
  await ctx.first?.(trx);
  if (ctx.raw) {
    const stored = await insertInboundMessage(trx, cipher, ctx.raw, nowMs);
    if (!stored) {
      // A re-delivery of a message already stored: the order it carried is the answer.
      const id = await findOrderIdByExternal(trx, input.source, input.externalId);
      if (id) return { id, created: false };
    }
  }
  if (ctx.idempotencyKey) {
    const prior = await findIdempotencyKey(trx, ctx.caller, ctx.idempotencyKey);
    if (prior) {
      if (prior.requestHash !== hash) {
        throw new WaygateError(
          'idempotency_key_reused',
          'this Idempotency-Key was used with a different request body',
          {
            orderId: prior.orderId,
          },
        );
      }
      return { id: prior.orderId, created: false };
    }
  }
  // Insert first and look only on a clash: a new order (nearly every call) costs no read.
  let id = newId('ord', nowMs);
  const created = await insertOrder(trx, cipher, { id, input, totalValue, status: 'accepted', nowMs });
  if (created) {
    await shipmentCreate.enqueue(trx, { orderId: id }, nowMs);
  } else {
    const existing = await findOrderIdByExternal(trx, input.source, input.externalId);
    if (!existing) throw new Error(`order ${input.source}/${input.externalId} clashed but cannot be read`);
    id = existing;
  }
  if (ctx.idempotencyKey) {
    await recordIdempotencyKey(trx, {
      caller: ctx.caller,
      key: ctx.idempotencyKey,
      requestHash: hash,
      orderId: id,
      nowMs,
    });
  }
  return { id, created };
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
