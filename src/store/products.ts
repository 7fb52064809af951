/**
 * The product catalogue (SKU master data for customs) and the SKUs each `needs_data` order is
 * waiting for. Writes take the caller's transaction, so a batch of products and the orders they
 * release are committed together or not at all.
 */
import type { Kysely } from 'kysely';
import type { Product } from '../domain/index.js';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';
import type { CatalogueTables, ProductsTable } from './products-schema.js';

export type * from './products-schema.js';

function cdb(ex: Executor): Kysely<Database & CatalogueTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<CatalogueTables>();
}

export interface ProductRecord extends Product {
  createdAt: string;
  updatedAt: string;
}

function toRecord(r: ProductsTable): ProductRecord {
  return {
    sku: r.sku,
    hsCode: r.hs_code,
    originCountry: r.origin_country,
    nameEn: r.name_en,
    nameZh: r.name_zh,
    weightGrams: Number(r.weight_grams),
    declaredValue: r.declared_value,
    currency: r.currency,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    updatedAt: new Date(Number(r.updated_at)).toISOString(),
  };
}

export interface UpsertOutcome {
  created: number;
  updated: number;
  unchanged: number;
}

/** Inserts or replaces products by SKU; a product given twice keeps its last version. */
export async function upsertProducts(
  ex: Executor,
  products: readonly Product[],
  nowMs: number,
): Promise<UpsertOutcome> {
  const out: UpsertOutcome = { created: 0, updated: 0, unchanged: 0 };
  const last = new Map(products.map((p) => [p.sku, p]));
  const existing = await productsBySku(ex, [...last.keys()]);
  for (const p of last.values()) {
    const row = {
      hs_code: p.hsCode,
      origin_country: p.originCountry,
      name_en: p.nameEn,
      name_zh: p.nameZh,
      weight_grams: p.weightGrams,
      declared_value: p.declaredValue,
      currency: p.currency,
    };
    const before = existing.get(p.sku);
    if (!before) {
      await cdb(ex)
        .insertInto('products')
        .values({ sku: p.sku, ...row, created_at: nowMs, updated_at: nowMs })
        .execute();
      out.created++;
    } else if (sameProduct(before, p)) {
      out.unchanged++;
    } else {
      await cdb(ex)
        .updateTable('products')
        .set({ ...row, updated_at: nowMs })
        .where('sku', '=', p.sku)
        .execute();
      out.updated++;
    }
  }
  return out;
}

function sameProduct(a: Product, b: Product): boolean {
  return (
    a.hsCode === b.hsCode &&
    a.originCountry === b.originCountry &&
    a.nameEn === b.nameEn &&
    a.nameZh === b.nameZh &&
    a.weightGrams === b.weightGrams &&
    a.declaredValue === b.declaredValue &&
    a.currency === b.currency
  );
}

const LOOKUP_CHUNK = 500;

/** The catalogue's products for these SKUs (those it has). */
export async function productsBySku(
  ex: Executor,
  skus: readonly string[],
): Promise<Map<string, ProductRecord>> {
  const out = new Map<string, ProductRecord>();
  const unique = [...new Set(skus)];
  for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) {
    const chunk = unique.slice(i, i + LOOKUP_CHUNK);
    const rows = await cdb(ex).selectFrom('products').selectAll().where('sku', 'in', chunk).execute();
    for (const r of rows) out.set(r.sku, toRecord(r));
  }
  return out;
}

export async function getProduct(ex: Executor, sku: string): Promise<ProductRecord | undefined> {
  return (await productsBySku(ex, [sku])).get(sku);
}

export interface ProductFilter {
  /** SKUs starting with this text. */
  skuPrefix?: string;
  /** Products with SKUs after this one (ascending). */
  afterSku?: string;
  limit: number;
}

export async function listProducts(ex: Executor, f: ProductFilter): Promise<ProductRecord[]> {
  let q = cdb(ex).selectFrom('products').selectAll();
  if (f.skuPrefix) {
    // A range, not LIKE: exact and case-sensitive on both dialects, and it uses the key.
    q = q.where('sku', '>=', f.skuPrefix).where('sku', '<', `${f.skuPrefix}\uffff`);
  }
  if (f.afterSku !== undefined) q = q.where('sku', '>', f.afterSku);
  const rows = await q.orderBy('sku', 'asc').limit(f.limit).execute();
  return rows.map(toRecord);
}

export async function countProducts(ex: Executor): Promise<number> {
  const row = await cdb(ex)
    .selectFrom('products')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

// Orders waiting for catalogue data

/** Records the SKUs an order waits for (replacing what it waited for before). */
export async function setMissingSkus(
  ex: Executor,
  orderId: string,
  skus: readonly string[],
  nowMs: number,
): Promise<void> {
  await cdb(ex).deleteFrom('order_missing_skus').where('order_id', '=', orderId).execute();
  const unique = [...new Set(skus)];
  if (unique.length === 0) return;
  await cdb(ex)
    .insertInto('order_missing_skus')
    .values(unique.map((sku) => ({ order_id: orderId, sku, since: nowMs })))
    .execute();
}

export async function missingSkusOf(ex: Executor, orderId: string): Promise<string[]> {
  const rows = await cdb(ex)
    .selectFrom('order_missing_skus')
    .select('sku')
    .where('order_id', '=', orderId)
    .orderBy('sku', 'asc')
    .execute();
  return rows.map((r) => r.sku);
}

/** The orders waiting for any of these SKUs, oldest first. */
export async function ordersWaitingFor(ex: Executor, skus: readonly string[]): Promise<string[]> {
  const ids = new Set<string>();
  const unique = [...new Set(skus)];
  for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) {
    const rows = await cdb(ex)
      .selectFrom('order_missing_skus')
      .select('order_id')
      .where('sku', 'in', unique.slice(i, i + LOOKUP_CHUNK))
      .execute();
    for (const r of rows) ids.add(r.order_id);
  }
  return [...ids].sort();
}

/** How many orders wait for catalogue data, and for how many distinct SKUs. */
export async function waitingSummary(ex: Executor): Promise<{ orders: number; skus: number }> {
  const row = await cdb(ex)
    .selectFrom('order_missing_skus')
    .select((eb) => [
      eb.fn.count<string | number>('order_id').distinct().as('orders'),
      eb.fn.count<string | number>('sku').distinct().as('skus'),
    ])
    .executeTakeFirst();
  return { orders: Number(row?.orders ?? 0), skus: Number(row?.skus ?? 0) };
}
