/** Order rows: insert, read with their logistics data, search with cursor pagination. */
import { sql, type SqlBool } from 'kysely';
import type {
  Address,
  Buyer,
  Charges,
  OrderInput,
  OrderLine,
  OrderStatus,
  Payment,
} from '../domain/index.js';
import type { KeyRing } from './data-keys.js';
import type { FieldSealer } from './sealing.js';
import type { Executor } from './transaction.js';
import type { OrdersTable } from './schema.js';
import { compiled } from './compiled.js';
import { dialectOf, type DialectName } from './dialect.js';

export const RECIPIENT_CONTEXT = 'orders.recipient';
export const CUSTOMS_DATA_CONTEXT = 'orders.customs';
export const NOTES_CONTEXT = 'orders.notes';

/** The buyer and payment of an order (customs data), sealed like the recipient; null without them. */
export function sealCustomsData(
  cipher: FieldSealer,
  data: { buyer?: Buyer | undefined; payment?: Payment | undefined },
): string | null {
  if (!data.buyer && !data.payment) return null;
  const plain = {
    ...(data.buyer ? { buyer: data.buyer } : {}),
    ...(data.payment ? { payment: data.payment } : {}),
  };
  return cipher.seal(JSON.stringify(plain), CUSTOMS_DATA_CONTEXT);
}

/** The recipient as stored: sealed, with blind indexes to find it by e-mail or phone. */
export function sealRecipient(cipher: FieldSealer, recipient: Address) {
  return {
    recipient: cipher.seal(JSON.stringify(recipient), RECIPIENT_CONTEXT),
    recipient_email_bidx: cipher.index('email', recipient.email),
    recipient_phone_bidx: cipher.index('phone', recipient.phone),
  };
}

/** Blind indexes for a recipient JSON read back (used when re-sealing rows). */
export function recipientIndexes(cipher: FieldSealer, recipientJson: string) {
  const r = JSON.parse(recipientJson) as Partial<Address>;
  return { email: cipher.index('email', r.email), phone: cipher.index('phone', r.phone) };
}

export interface OrderRecord {
  id: string;
  source: string;
  externalId: string;
  status: OrderStatus;
  currency: string;
  totalValue: string;
  destinationCountry: string;
  recipient: Address;
  /** As enriched from the catalogue; a `needs_data` order's lines may lack customs fields. */
  items: OrderLine[];
  buyer?: Buyer;
  payment?: Payment;
  charges?: Charges;
  notes?: string;
  placedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewOrderRow {
  id: string;
  input: OrderInput;
  totalValue: string;
  status: OrderStatus;
  /** The first history line (default "order accepted"). */
  note?: string;
  nowMs: number;
}

const insertOrderRow = compiled((ex, row: OrdersTable) =>
  ex
    .insertInto('orders')
    .values(row)
    .onConflict((oc) => oc.columns(['source', 'external_id']).doNothing()),
);

/**
 * Stores a new order with its first history line. False, and nothing written, when the source
 * already has an order with this external id (the caller then reads that one).
 */
export async function insertOrder(ex: Executor, cipher: FieldSealer, row: NewOrderRow): Promise<boolean> {
  const { input } = row;
  const res = await insertOrderRow(ex, {
    id: row.id,
    source: input.source,
    external_id: input.externalId,
    status: row.status,
    currency: input.currency,
    total_value: row.totalValue,
    destination_country: input.recipient.country,
    ...sealRecipient(cipher, input.recipient),
    items: JSON.stringify(input.items),
    customs_sealed: sealCustomsData(cipher, input),
    charges: input.charges ? JSON.stringify(input.charges) : null,
    notes_sealed: input.notes ? cipher.seal(input.notes, NOTES_CONTEXT) : null,
    placed_at: input.placedAt ? Date.parse(input.placedAt) : null,
    created_at: row.nowMs,
    updated_at: row.nowMs,
  });
  if (!res.numAffectedRows) return false;
  await appendHistory(ex, row.id, row.status, row.note ?? 'order accepted', row.nowMs);
  return true;
}

const insertHistory = compiled((ex, a: { order_id: string; at: number; status: string; note: string }) =>
  ex.insertInto('order_history').values(a),
);

export async function appendHistory(
  ex: Executor,
  orderId: string,
  status: string,
  note: string,
  nowMs: number,
) {
  await insertHistory(ex, { order_id: orderId, at: nowMs, status, note });
}

const orderIdByExternal = compiled((ex, a: { source: string; externalId: string }) =>
  ex.selectFrom('orders').select('id').where('source', '=', a.source).where('external_id', '=', a.externalId),
);

export async function findOrderIdByExternal(
  ex: Executor,
  source: string,
  externalId: string,
): Promise<string | undefined> {
  const { rows } = await orderIdByExternal(ex, { source, externalId });
  return rows[0]?.id;
}

/** The order with its recipient unsealed. */
export async function readOrder(keys: KeyRing, row: OrdersTable): Promise<OrderRecord> {
  const customs = row.customs_sealed
    ? (JSON.parse(await keys.open(row.customs_sealed, CUSTOMS_DATA_CONTEXT)) as {
        buyer?: Buyer;
        payment?: Payment;
      })
    : {};
  return {
    ...orderFields(row),
    recipient: JSON.parse(await keys.open(row.recipient, RECIPIENT_CONTEXT)) as Address,
    items: JSON.parse(row.items) as OrderLine[],
    ...(customs.buyer ? { buyer: customs.buyer } : {}),
    ...(customs.payment ? { payment: customs.payment } : {}),
    ...(row.charges ? { charges: JSON.parse(row.charges) as Charges } : {}),
    ...(row.notes_sealed ? { notes: await keys.open(row.notes_sealed, NOTES_CONTEXT) } : {}),
    placedAt: row.placed_at === null ? null : new Date(row.placed_at).toISOString(),
  };
}

/** The order's non-personal summary fields: no key needed. */
export function orderFields(row: OrdersTable) {
  return {
    id: row.id,
    source: row.source,
    externalId: row.external_id,
    status: row.status as OrderStatus,
    currency: row.currency,
    totalValue: row.total_value,
    destinationCountry: row.destination_country,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const orderById = compiled((ex, a: { id: string }) =>
  ex.selectFrom('orders').selectAll().where('id', '=', a.id),
);

/** The order's source (its platform partner), or undefined when there is no such order. */
export async function orderSource(ex: Executor, id: string): Promise<string | undefined> {
  const row = await ex.selectFrom('orders').select('source').where('id', '=', id).executeTakeFirst();
  return row?.source;
}

/** The order a source already holds under this external id (to compare a re-post with it). */
export async function getOrderRowByExternal(
  ex: Executor,
  source: string,
  externalId: string,
): Promise<OrdersTable | undefined> {
  return ex
    .selectFrom('orders')
    .selectAll()
    .where('source', '=', source)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}

export async function getOrderRow(ex: Executor, id: string): Promise<OrdersTable | undefined> {
  return (await orderById(ex, { id })).rows[0];
}

const updateStatus = compiled((ex, a: { id: string; status: string; nowMs: number }) =>
  ex
    .updateTable('orders')
    .set({ status: a.status, updated_at: a.nowMs })
    .where('id', '=', a.id)
    .where('status', '!=', a.status),
);

/** Moves an order to a new status with a history line; no-op when the status is unchanged. */
export async function setOrderStatus(
  ex: Executor,
  orderId: string,
  status: OrderStatus,
  note: string,
  nowMs: number,
): Promise<boolean> {
  const res = await updateStatus(ex, { id: orderId, status, nowMs });
  if (!res.numAffectedRows) return false;
  await appendHistory(ex, orderId, status, note, nowMs);
  return true;
}

export interface OrderFilter {
  status?: string;
  source?: string;
  destinationCountry?: string;
  createdFrom?: number;
  createdTo?: number;
  text?: string;
  /** Return orders with ids below this one (newest first). */
  beforeId?: string;
  limit: number;
}

/** `%`, `_` and the escape character itself, escaped for `LIKE … ESCAPE '\\'`. */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * `external_id` contains `text`, character for character. SQLite's LIKE has no escape character
 * unless one is named (so `%` and `_` in a search were wildcards) and ignores ASCII case, while
 * PostgreSQL's is exact: the LIKE names its ESCAPE on both, and the `replace` test (which has no
 * wildcards and is case-sensitive on both) makes the answer the same exact one everywhere.
 */
function containsLiterally(text: string) {
  return sql<SqlBool>`(external_id like ${`%${escapeLike(text)}%`} escape '\\' and replace(external_id, ${text}, '') <> external_id)`;
}

/**
 * The orders a search text names: the order id itself, orders whose external id contains it, and
 * the order of a shipment with that waybill number, each branch read through its own index
 * (migrations 014 and 022) rather than one OR that reads every order. PostgreSQL's LIKE uses the
 * `pg_trgm` index where the extension exists (else a scan, same answer). SQLite's trigram index
 * needs three characters: a shorter text keeps the one-pass OR, which stops at the first page of
 * matches (a text that short matches many orders).
 */
function matchingText(dialect: DialectName, text: string) {
  const waybill = sql`select order_id from shipments where waybill_no = ${text}`;
  if (dialect === 'sqlite' && [...text].length < 3)
    return sql<SqlBool>`(id = ${text} or ${containsLiterally(text)} or id in (${waybill}))`;
  const externalIds =
    dialect === 'sqlite'
      ? // A quoted FTS5 string is one phrase: the text's trigrams in a row, i.e. a substring.
        sql`select order_id from orders_text where orders_text match ${`"${text.replace(/"/g, '""')}"`}`
      : sql`select id from orders where ${containsLiterally(text)}`;
  return sql<SqlBool>`id in (select ${text} union all ${externalIds} union all ${waybill})`;
}

export async function listOrders(ex: Executor, f: OrderFilter): Promise<OrdersTable[]> {
  return ordersQuery(ex, f).execute();
}

/** The query `listOrders` runs, for its plan to be read (test/store/order-search-plan.test.ts). */
export function ordersQuery(ex: Executor, f: OrderFilter) {
  let q = ex.selectFrom('orders').selectAll();
  if (f.status) q = q.where('status', '=', f.status);
  if (f.source) q = q.where('source', '=', f.source);
  if (f.destinationCountry) q = q.where('destination_country', '=', f.destinationCountry);
  if (f.createdFrom !== undefined) q = q.where('created_at', '>=', f.createdFrom);
  if (f.createdTo !== undefined) q = q.where('created_at', '<', f.createdTo);
  if (f.beforeId) q = q.where('id', '<', f.beforeId);
  if (f.text) q = q.where(matchingText(dialectOf(ex), f.text));
  return q.orderBy('id', 'desc').limit(f.limit);
}

export async function historyForOrder(ex: Executor, orderId: string) {
  const rows = await ex
    .selectFrom('order_history')
    .select(['at', 'status', 'note'])
    .where('order_id', '=', orderId)
    .orderBy('id', 'asc')
    .execute();
  return rows.map((r) => ({ at: new Date(r.at).toISOString(), status: r.status, note: r.note }));
}

/** Replaces an order's recipient and lines (a dead-letter edit), with the total they give. */
export async function updateOrderContents(
  ex: Executor,
  cipher: FieldSealer,
  orderId: string,
  next: { recipient: Address; items: readonly OrderLine[]; totalValue: string },
  nowMs: number,
): Promise<void> {
  await ex
    .updateTable('orders')
    .set({
      ...sealRecipient(cipher, next.recipient),
      items: JSON.stringify(next.items),
      total_value: next.totalValue,
      destination_country: next.recipient.country,
      updated_at: nowMs,
    })
    .where('id', '=', orderId)
    .execute();
}

/** Replaces an order's lines (their customs data filled from the catalogue); the total is unchanged. */
export async function updateOrderItems(
  ex: Executor,
  orderId: string,
  items: readonly OrderLine[],
  nowMs: number,
): Promise<void> {
  await ex
    .updateTable('orders')
    .set({ items: JSON.stringify(items), updated_at: nowMs })
    .where('id', '=', orderId)
    .execute();
}

/** Orders whose recipient e-mail or phone has these blind indexes (a data subject's orders). */
export async function ordersByRecipientIndex(
  ex: Executor,
  idx: { email: string | null; phone: string | null },
): Promise<OrdersTable[]> {
  const { email, phone } = idx;
  if (!email && !phone) return [];
  return ex
    .selectFrom('orders')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(email ? [eb('recipient_email_bidx', '=', email)] : []),
        ...(phone ? [eb('recipient_phone_bidx', '=', phone)] : []),
      ]),
    )
    .orderBy('id', 'asc')
    .execute();
}

/**
 * Erasure of an order's personal data: the recipient replaced, the buyer and the notes removed.
 * The payment stays (amounts and the payment company's reference are finance records, not the
 * person's), re-sealed without the buyer beside it.
 */
export async function erasePersonalData(
  ex: Executor,
  cipher: FieldSealer,
  order: Pick<OrderRecord, 'id' | 'payment'>,
  recipient: Address,
  nowMs: number,
): Promise<void> {
  await ex
    .updateTable('orders')
    .set({
      ...sealRecipient(cipher, recipient),
      customs_sealed: sealCustomsData(cipher, order.payment ? { payment: order.payment } : {}),
      notes_sealed: null,
      updated_at: nowMs,
    })
    .where('id', '=', order.id)
    .execute();
}
