/**
 * Accepting an order: one transaction stores the raw inbound message (when there is one), the
 * canonical order, its history line and the outbox job that will create the shipment. Only
 * then does the gateway answer 202. The same source + external id always yields the same order;
 * a re-post says whether it matched the stored one (a duplicate) or differed from it (a conflict).
 */
import { createHash } from 'node:crypto';
import {
  enrichLines,
  orderLineIssues,
  orderTotal,
  skusOf,
  WaygateError,
  type MissingData,
  type OrderInput,
  type OrderStatus,
} from '../domain/index.js';
import type { Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import { findIdempotencyKey, recordIdempotencyKey } from '../store/idempotency.js';
import { insertInboundMessage } from '../store/inbound-messages.js';
import type { FieldSealer } from '../store/sealing.js';
import type { Executor } from '../store/transaction.js';
import {
  findOrderIdByExternal,
  getOrderRowByExternal,
  insertOrder,
  CUSTOMS_DATA_CONTEXT,
  NOTES_CONTEXT,
  RECIPIENT_CONTEXT,
} from '../store/orders.js';
import { productsBySku, setMissingSkus } from '../store/products.js';
import { shipmentCreate } from './jobs/shipment-create.js';
import { describeMissing } from './catalogue.js';

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
  /**
   * `refuse`: an order with this source + external id that differs from the stored one throws
   * `order_conflict` naming the fields, and nothing is written. Otherwise (partner pushes, file
   * imports) the stored order simply stands.
   */
  conflicts?: 'refuse';
}

export interface AcceptResult {
  id: string;
  created: boolean;
  /**
   * Why nothing was created: `idempotency-key` (a retry of a request already answered) or
   * `external-id` (the source already has this order; `status` is its status now).
   */
  replay?: 'idempotency-key' | 'external-id' | 'redelivery';
  status?: OrderStatus;
  /** A new order that waits in `needs_data`: what the catalogue must supply. */
  missing?: MissingData[];
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
      const existing = await compareWithStored(store.db, store.keys.cipher, input);
      if (existing) return settleExisting(existing, input, ctx);
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
      if (id) return { id, created: false, replay: 'redelivery' };
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
      return { id: prior.orderId, created: false, replay: 'idempotency-key' };
    }
  }
  // Lines missing customs data are filled from the catalogue; an order it cannot complete waits.
  // Looked up for every order (one keyed read): a line that carries its customs data still gets
  // the catalogue's declared names and value.
  const catalogue = await productsBySku(trx, skusOf(input.items));
  const { lines, missing } = enrichLines(input.items, catalogue);
  const status: OrderStatus = missing.length > 0 ? 'needs_data' : 'accepted';
  const note =
    missing.length > 0 ? `waiting for catalogue data: ${describeMissing(missing)}` : 'order accepted';
  // Insert first and look only on a clash: a new order (nearly every call) costs no read.
  let id = newId('ord', nowMs);
  let result: AcceptResult = { id, created: true, ...(missing.length > 0 ? { status, missing } : {}) };
  const created = await insertOrder(trx, cipher, {
    id,
    input: { ...input, items: lines },
    totalValue,
    status,
    note,
    nowMs,
  });
  if (created && missing.length > 0) {
    await setMissingSkus(
      trx,
      id,
      missing.map((m) => m.sku),
      nowMs,
    );
  } else if (created) {
    await shipmentCreate.enqueue(trx, { orderId: id }, nowMs);
  } else {
    const existing = await compareWithStored(trx, cipher, input);
    if (!existing) throw new Error(`order ${input.source}/${input.externalId} clashed but cannot be read`);
    // Thrown inside the transaction: a conflicting re-post claims no nonce and no Idempotency-Key.
    result = settleExisting(existing, input, ctx);
    id = result.id;
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
  return result;
}

interface StoredComparison {
  id: string;
  status: OrderStatus;
  /** JSON pointers of the fields where the stored order differs from the one posted. */
  differs: string[];
}

/**
 * The stored order with the same source + external id, compared field by field with `input`:
 * every field the order keeps, personal ones (recipient, buyer, notes) opened to compare.
 */
async function compareWithStored(
  ex: Executor,
  cipher: FieldSealer,
  input: OrderInput,
): Promise<StoredComparison | undefined> {
  const row = await getOrderRowByExternal(ex, input.source, input.externalId);
  if (!row) return undefined;
  const differs: string[] = [];
  if (row.currency !== input.currency) differs.push('/currency');
  const placedAt = input.placedAt === undefined ? null : Date.parse(input.placedAt);
  if ((row.placed_at === null ? null : Number(row.placed_at)) !== placedAt) differs.push('/placedAt');
  diffJson(JSON.parse(cipher.open(row.recipient, RECIPIENT_CONTEXT)), input.recipient, '/recipient', differs);
  diffLines(JSON.parse(row.items) as unknown[], input.items, differs);
  const customs = row.customs_sealed
    ? (JSON.parse(cipher.open(row.customs_sealed, CUSTOMS_DATA_CONTEXT)) as Record<string, unknown>)
    : {};
  diffJson(customs.buyer, input.buyer, '/buyer', differs);
  diffJson(customs.payment, input.payment, '/payment', differs);
  diffJson(row.charges === null ? undefined : JSON.parse(row.charges), input.charges, '/charges', differs);
  const notes = row.notes_sealed === null ? undefined : cipher.open(row.notes_sealed, NOTES_CONTEXT);
  if ((notes ?? '') !== (input.notes ?? '')) differs.push('/notes');
  return { id: row.id, status: row.status as OrderStatus, differs };
}

/** Fields the catalogue may have filled in: a re-post that does not carry them does not differ. */
const ENRICHED = new Set([
  'hsCode',
  'originCountry',
  'weightGrams',
  'declaredNameEn',
  'declaredNameZh',
  'declaredValue',
]);

function diffLines(stored: unknown[], posted: OrderInput['items'], out: string[]): void {
  for (let i = 0; i < Math.max(stored.length, posted.length); i++) {
    const s = stored[i] as Record<string, unknown> | undefined;
    const p = posted[i] as Record<string, unknown> | undefined;
    if (!s || !p) {
      out.push(`/items/${i}`);
      continue;
    }
    const keys = new Set([...Object.keys(s), ...Object.keys(p)]);
    for (const k of [...keys].sort()) {
      if (p[k] === undefined && ENRICHED.has(k)) continue;
      diffJson(s[k], p[k], `/items/${i}/${k}`, out);
    }
  }
}

/** Appends the JSON pointer of every leaf where `a` and `b` differ (an added or missing line by its index). */
function diffJson(a: unknown, b: unknown, path: string, out: string[]): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffJson(a[i], b[i], `${path}/${i}`, out);
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      diffJson(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`,
        out,
      );
    }
    return;
  }
  if (a !== b) out.push(path);
}

function settleExisting(existing: StoredComparison, input: OrderInput, ctx: AcceptContext): AcceptResult {
  if (ctx.conflicts === 'refuse' && existing.differs.length > 0) {
    throw new WaygateError(
      'order_conflict',
      `order ${input.externalId} from ${input.source} exists as ${existing.id} with different ${existing.differs.join(', ')}; the stored order is unchanged`,
      existing.differs.map((field) => ({ field, message: 'differs from the stored order' })),
    );
  }
  return { id: existing.id, created: false, replay: 'external-id', status: existing.status };
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
