/**
 * Data-subject rights [001-7.3]: export everything personal the hub holds about a consignee,
 * found by e-mail or phone, and erase it. Orders are found through the blind indexes; raw
 * partner messages of the same sales channels are opened and searched for the same e-mail or
 * phone. Erasure keeps each order's non-personal data (items, amounts, country, statuses,
 * shipments, tracking) so finance, customs and statistics still add up, and replaces the
 * personal fields. It is refused while an order is still on its way: the carrier still needs
 * the address to deliver it.
 */
import {
  isFinalOrderStatus,
  type Address,
  type Buyer,
  type OrderStatus,
  WaygateError,
} from '../domain/index.js';
import { normaliseForIndex } from '../security/field-cipher.js';
import type { Store } from '../store/db.js';
import { recordAudit } from '../store/audit.js';
import { INBOUND_BODY_CONTEXT, inboundMessagesPage, replaceInboundBody } from '../store/inbound-messages.js';
import { appendHistory, erasePersonalData, ordersByRecipientIndex, readOrder } from '../store/orders.js';
import type { Executor } from '../store/transaction.js';
import type { OrdersTable } from '../store/schema.js';
import { shipmentsForOrder } from '../store/shipments.js';

export interface SubjectQuery {
  email?: string;
  phone?: string;
}

export interface SubjectExport {
  subject: { email: string | null; phone: string | null };
  generatedAt: string;
  orders: {
    id: string;
    source: string;
    externalId: string;
    status: string;
    createdAt: string;
    recipient: Address;
    buyer?: Buyer;
    notes?: string;
    shipments: { carrier: string; waybillNo: string; status: string }[];
  }[];
  partnerMessages: { id: string; partnerId: string; kind: string; receivedAt: string; body: string }[];
}

export interface ErasureResult {
  /** A masked reference to whom was erased: the blind index, never the e-mail or phone. */
  subjectRef: string;
  ordersErased: string[];
  partnerMessagesErased: number;
}

const ERASED = '[erased]';

function checkQuery(q: SubjectQuery): void {
  if (!q.email && !q.phone) {
    throw new WaygateError('subject_required', 'name the data subject by email or phone', [
      { field: 'email', message: 'give email and/or phone' },
    ]);
  }
}

async function subjectOrders(store: Store, q: SubjectQuery): Promise<OrdersTable[]> {
  const { cipher } = store.keys;
  const email = q.email ? cipher.index('email', q.email) : null;
  const phone = q.phone ? cipher.index('phone', q.phone) : null;
  return ordersByRecipientIndex(store.db, { email, phone });
}

/** Whether a raw partner message mentions the subject (e-mail as written, phone by its digits). */
function mentions(body: string, q: SubjectQuery): boolean {
  if (q.email && body.toLowerCase().includes(normaliseForIndex('email', q.email))) return true;
  if (!q.phone) return false;
  const wanted = normaliseForIndex('phone', q.phone);
  if (wanted.length < 6) return false;
  // Partners write numbers with or without country code and separators: compare digit runs,
  // and a partial match (one side without country code) only on 8 or more digits, so an order
  // number that happens to end like the phone does not count.
  for (const m of body.matchAll(/\+?\d[\d ().-]{4,}\d/g)) {
    const digits = normaliseForIndex('phone', m[0]);
    if (digits === wanted) return true;
    if (digits.length >= 8 && (digits.endsWith(wanted) || wanted.endsWith(digits))) return true;
  }
  return false;
}

async function subjectMessages(store: Store, sources: string[], q: SubjectQuery) {
  if (sources.length === 0) return [];
  const found: { id: string; partnerId: string; kind: string; receivedAt: number; body: string }[] = [];
  let after = '';
  for (;;) {
    const page = await inboundMessagesPage(store.db, sources, after, 500);
    if (page.length === 0) return found;
    after = page[page.length - 1]?.id ?? after;
    for (const m of page) {
      const body = await store.keys.open(m.sealedBody, INBOUND_BODY_CONTEXT);
      if (mentions(body, q)) {
        found.push({ id: m.id, partnerId: m.partnerId, kind: m.kind, receivedAt: m.receivedAt, body });
      }
    }
  }
}

export async function exportSubject(store: Store, q: SubjectQuery, actor: string): Promise<SubjectExport> {
  checkQuery(q);
  const rows = await subjectOrders(store, q);
  const orders = [];
  for (const row of rows) {
    const o = await readOrder(store.keys, row);
    const shipments = await shipmentsForOrder(store.db, o.id);
    orders.push({
      id: o.id,
      source: o.source,
      externalId: o.externalId,
      status: o.status,
      createdAt: o.createdAt,
      recipient: o.recipient,
      ...(o.buyer ? { buyer: o.buyer } : {}),
      ...(o.notes ? { notes: o.notes } : {}),
      shipments: shipments.map((s) => ({ carrier: s.carrier, waybillNo: s.waybillNo, status: s.status })),
    });
  }
  const messages = await subjectMessages(store, [...new Set(rows.map((r) => r.source))], q);
  await store.write((trx) =>
    recordAudit(trx, {
      actor,
      action: 'dsr.exported',
      target: subjectRef(store, q),
      detail: { orders: orders.length, partnerMessages: messages.length },
      outcome: 'ok',
    }),
  );
  return {
    subject: { email: q.email ?? null, phone: q.phone ?? null },
    generatedAt: new Date().toISOString(),
    orders,
    partnerMessages: messages.map((m) => ({
      id: m.id,
      partnerId: m.partnerId,
      kind: m.kind,
      receivedAt: new Date(m.receivedAt).toISOString(),
      body: m.body,
    })),
  };
}

function subjectRef(store: Store, q: SubjectQuery): string {
  const { cipher } = store.keys;
  return q.email
    ? `email-bidx:${cipher.index('email', q.email)}`
    : `phone-bidx:${cipher.index('phone', q.phone)}`;
}

/** The erased address: only the country stays (customs and statistics need it). */
function erasedAddress(a: Address): Address {
  return { name: ERASED, line1: ERASED, city: ERASED, country: a.country };
}

export async function eraseSubject(store: Store, q: SubjectQuery, actor: string): Promise<ErasureResult> {
  checkQuery(q);
  const rows = await subjectOrders(store, q);
  const open = rows.filter((r) => !isFinalOrderStatus(r.status as OrderStatus));
  const ref = subjectRef(store, q);
  if (open.length > 0) {
    await store.write((trx) =>
      recordAudit(trx, {
        actor,
        action: 'dsr.erase_refused',
        target: ref,
        detail: { openOrders: open.map((r) => r.id) },
        outcome: 'rejected',
      }),
    );
    throw new WaygateError(
      'subject_has_open_orders',
      `${open.length} order(s) of this person are still on their way; erase after delivery, return or cancellation (a failed order: cancel it first)`,
      open.map((r) => ({ orderId: r.id, status: r.status })),
    );
  }
  const messages = await subjectMessages(store, [...new Set(rows.map((r) => r.source))], q);
  const nowMs = Date.now();
  await store.write(async (trx) => {
    for (const row of rows) await eraseOrder(store, trx, row, nowMs);
    for (const m of messages) {
      const tombstone = JSON.stringify({ erased: true, at: new Date(nowMs).toISOString() });
      await replaceInboundBody(trx, store.keys.cipher, m.id, tombstone);
    }
    await recordAudit(trx, {
      actor,
      action: 'dsr.erased',
      target: ref,
      detail: { orders: rows.map((r) => r.id), partnerMessages: messages.length },
      outcome: 'ok',
    });
  });
  return { subjectRef: ref, ordersErased: rows.map((r) => r.id), partnerMessagesErased: messages.length };
}

async function eraseOrder(store: Store, trx: Executor, row: OrdersTable, nowMs: number): Promise<void> {
  const order = await readOrder(store.keys, row);
  await erasePersonalData(trx, store.keys.cipher, order, erasedAddress(order.recipient), nowMs);
  await appendHistory(trx, row.id, row.status, 'personal data erased on request', nowMs);
}
