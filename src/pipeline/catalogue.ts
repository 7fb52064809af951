/**
 * Adding products to the catalogue, and the orders that waited for them moving on. One
 * transaction writes the products, completes every `needs_data` order they finish, and queues
 * those orders' shipments: a product is never saved without releasing what waited for it, and a
 * batch with one invalid product saves nothing (its error names every bad row and field).
 */
import {
  enrichLines,
  Product,
  skusOf,
  WaygateError,
  type MissingData,
  type OrderLine,
} from '../domain/index.js';
import type { Store } from '../store/db.js';
import { audited } from '../store/dlq.js';
import { getOrderRow, setOrderStatus, updateOrderItems } from '../store/orders.js';
import { productsBySku, setMissingSkus, upsertProducts, ordersWaitingFor } from '../store/products.js';
import type { Executor } from '../store/transaction.js';
import { shipmentCreate } from './jobs/shipment-create.js';
import { checker, type FieldIssue } from './validation.js';

/** Largest batch one call saves (an import of more is split by the CLI into batches). */
export const MAX_PRODUCTS_PER_CALL = 1000;

const productCheck = checker(Product);

export function describeMissing(missing: readonly MissingData[]): string {
  return missing.map((m) => `${m.sku} (${m.fields.join(', ')})`).join('; ');
}

/** Every offending field of every product, as `/{index}/{field}` pointers under `prefix`. */
export function productIssues(products: readonly unknown[], prefix = '', repeats = true): FieldIssue[] {
  const issues: FieldIssue[] = [];
  products.forEach((p, i) => issues.push(...productCheck.issues(p, `${prefix}/${i}`)));
  if (!repeats) return issues;
  const seen = new Map<string, number>();
  products.forEach((p, i) => {
    const sku = productCheck.is(p) ? p.sku : undefined;
    if (sku === undefined) return;
    const first = seen.get(sku);
    if (first !== undefined) {
      issues.push({ field: `${prefix}/${i}/sku`, message: `repeats the SKU of ${prefix}/${first}` });
    } else seen.set(sku, i);
  });
  return issues;
}

export interface ProductsSaved {
  created: number;
  updated: number;
  unchanged: number;
  /** Orders that had waited in `needs_data` and are now accepted (their shipments queued). */
  released: string[];
  /** Orders this batch touched that still wait for other SKUs. */
  stillWaiting: string[];
}

export interface SaveOptions {
  nowMs?: number;
  /** Largest batch accepted (default MAX_PRODUCTS_PER_CALL; a file import lifts it). */
  maxProducts?: number;
  /** Called as products are written (inside the one transaction). */
  onProgress?: (done: number, total: number) => void;
}

const WRITE_CHUNK = 250;

export async function saveProducts(
  store: Store,
  products: readonly unknown[],
  actor: string,
  opts: SaveOptions = {},
): Promise<ProductsSaved> {
  const nowMs = opts.nowMs ?? Date.now();
  const max = opts.maxProducts ?? MAX_PRODUCTS_PER_CALL;
  const audit = {
    actor,
    action: 'products.save',
    target: 'catalogue',
    detail: { count: products.length },
  };
  return audited(store, audit, nowMs, async (trx) => {
    if (products.length === 0 || products.length > max) {
      throw new WaygateError('products_invalid', `send 1 to ${max} products per call`, [
        { field: '/products', message: `must hold 1 to ${max} products` },
      ]);
    }
    const issues = productIssues(products, '/products');
    if (issues.length > 0) {
      throw new WaygateError(
        'products_invalid',
        `${issues.length} problem(s) in the products; none was saved (first: ${issues[0]?.field} ${issues[0]?.message})`,
        issues,
      );
    }
    const valid = products as Product[];
    const outcome = { created: 0, updated: 0, unchanged: 0 };
    for (let i = 0; i < valid.length; i += WRITE_CHUNK) {
      const part = await upsertProducts(trx, valid.slice(i, i + WRITE_CHUNK), nowMs);
      outcome.created += part.created;
      outcome.updated += part.updated;
      outcome.unchanged += part.unchanged;
      opts.onProgress?.(Math.min(i + WRITE_CHUNK, valid.length), valid.length);
    }
    const { released, stillWaiting } = await releaseWaitingOrders(
      trx,
      valid.map((p) => p.sku),
      nowMs,
    );
    return {
      result: { ...outcome, released, stillWaiting },
      detail: { ...outcome, released: released.length },
    };
  });
}

/**
 * Re-enriches every `needs_data` order waiting for one of `skus`; each order the catalogue now
 * completes becomes `accepted` and its shipment job is queued, in the caller's transaction.
 */
export async function releaseWaitingOrders(
  trx: Executor,
  skus: readonly string[],
  nowMs: number,
): Promise<{ released: string[]; stillWaiting: string[] }> {
  const released: string[] = [];
  const stillWaiting: string[] = [];
  for (const orderId of await ordersWaitingFor(trx, skus)) {
    const row = await getOrderRow(trx, orderId);
    if (!row || row.status !== 'needs_data') {
      // Cancelled (or gone) meanwhile: it waits for nothing any more.
      await setMissingSkus(trx, orderId, [], nowMs);
      continue;
    }
    const stored = JSON.parse(row.items) as OrderLine[];
    const { lines, missing } = enrichLines(stored, await productsBySku(trx, skusOf(stored)));
    await updateOrderItems(trx, orderId, lines, nowMs);
    await setMissingSkus(
      trx,
      orderId,
      missing.map((m) => m.sku),
      nowMs,
    );
    if (missing.length > 0) {
      stillWaiting.push(orderId);
      continue;
    }
    await setOrderStatus(trx, orderId, 'accepted', 'customs data completed from the catalogue', nowMs);
    await shipmentCreate.enqueue(trx, { orderId }, nowMs);
    released.push(orderId);
  }
  return { released, stillWaiting };
}
