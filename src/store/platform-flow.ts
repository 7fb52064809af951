/**
 * Platform flow state: each pulled platform's feed position, what was told back to the platform
 * an order came from, and the carriers' labels (sealed). Writes take the caller's transaction, so
 * a page of orders and the cursor past it commit together, as do a waybill and its label.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';
import type { FieldSealer } from './sealing.js';
import type {
  PlatformFlowTables,
  PlatformFulfilmentsTable,
  PlatformPullCursorsTable,
} from './platform-flow-schema.js';

export type * from './platform-flow-schema.js';

function fdb(ex: Executor): Kysely<Database & PlatformFlowTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<PlatformFlowTables>();
}

const num = (v: number | null) => (v === null ? null : Number(v));

// ---------------------------------------------------------------------------------------------
// Pull cursors
// ---------------------------------------------------------------------------------------------

export interface PullCursor {
  partnerId: string;
  since: string;
  pageCursor: string | null;
  windowStartedAt: number | null;
  ordersSeen: number;
  ordersAccepted: number;
  ordersRefused: number;
  lastError: string | null;
  updatedAt: number;
}

function toCursor(r: PlatformPullCursorsTable): PullCursor {
  return {
    partnerId: r.partner_id,
    since: r.since,
    pageCursor: r.page_cursor,
    windowStartedAt: num(r.window_started_at),
    ordersSeen: Number(r.orders_seen),
    ordersAccepted: Number(r.orders_accepted),
    ordersRefused: Number(r.orders_refused),
    lastError: r.last_error,
    updatedAt: Number(r.updated_at),
  };
}

export async function readPullCursor(ex: Executor, partnerId: string): Promise<PullCursor | undefined> {
  const row = await fdb(ex)
    .selectFrom('platform_pull_cursors')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
  return row ? toCursor(row) : undefined;
}

export async function listPullCursors(ex: Executor): Promise<PullCursor[]> {
  const rows = await fdb(ex).selectFrom('platform_pull_cursors').selectAll().orderBy('partner_id').execute();
  return rows.map(toCursor);
}

/** Where a pulled page leaves the feed, and what it held (counts are added to the stored ones). */
export interface CursorAdvance {
  since: string;
  pageCursor: string | null;
  windowStartedAt: number | null;
  seen: number;
  accepted: number;
  refused: number;
  lastError: string | null;
}

export async function writePullCursor(
  ex: Executor,
  partnerId: string,
  a: CursorAdvance,
  nowMs: number,
): Promise<void> {
  await fdb(ex)
    .insertInto('platform_pull_cursors')
    .values({
      partner_id: partnerId,
      since: a.since,
      page_cursor: a.pageCursor,
      window_started_at: a.windowStartedAt,
      orders_seen: a.seen,
      orders_accepted: a.accepted,
      orders_refused: a.refused,
      last_error: a.lastError,
      updated_at: nowMs,
    })
    .onConflict((oc) =>
      oc.column('partner_id').doUpdateSet((eb) => ({
        since: a.since,
        page_cursor: a.pageCursor,
        window_started_at: a.windowStartedAt,
        orders_seen: eb('platform_pull_cursors.orders_seen', '+', a.seen),
        orders_accepted: eb('platform_pull_cursors.orders_accepted', '+', a.accepted),
        orders_refused: eb('platform_pull_cursors.orders_refused', '+', a.refused),
        last_error: a.lastError,
        updated_at: nowMs,
      })),
    )
    .execute();
}

/** Records a failed pull without moving the feed. */
export async function notePullError(ex: Executor, partnerId: string, error: string, nowMs: number) {
  await fdb(ex)
    .updateTable('platform_pull_cursors')
    .set({ last_error: error.slice(0, 500), updated_at: nowMs })
    .where('partner_id', '=', partnerId)
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Fulfilments told back to the platform
// ---------------------------------------------------------------------------------------------

export interface FulfilmentRecord {
  orderId: string;
  platformId: string;
  waybillNo: string;
  partnerRef: string | null;
  sentStatus: string | null;
  sends: number;
  sentAt: number | null;
}

function toFulfilment(r: PlatformFulfilmentsTable): FulfilmentRecord {
  return {
    orderId: r.order_id,
    platformId: r.platform_id,
    waybillNo: r.waybill_no,
    partnerRef: r.partner_ref,
    sentStatus: r.sent_status,
    sends: Number(r.sends),
    sentAt: num(r.sent_at),
  };
}

/** Marks an order as one whose platform is told about its shipment (idempotent). */
export async function insertFulfilment(
  ex: Executor,
  f: { orderId: string; platformId: string; waybillNo: string },
  nowMs: number,
): Promise<void> {
  await fdb(ex)
    .insertInto('platform_fulfilments')
    .values({
      order_id: f.orderId,
      platform_id: f.platformId,
      waybill_no: f.waybillNo,
      partner_ref: null,
      sent_status: null,
      sends: 0,
      sent_at: null,
      created_at: nowMs,
    })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .execute();
}

export async function readFulfilment(ex: Executor, orderId: string): Promise<FulfilmentRecord | undefined> {
  const row = await fdb(ex)
    .selectFrom('platform_fulfilments')
    .selectAll()
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  return row ? toFulfilment(row) : undefined;
}

export async function markFulfilmentSent(
  ex: Executor,
  orderId: string,
  sent: { partnerRef: string; status: string; waybillNo: string },
  nowMs: number,
): Promise<void> {
  await fdb(ex)
    .updateTable('platform_fulfilments')
    .set((eb) => ({
      partner_ref: sent.partnerRef,
      sent_status: sent.status,
      waybill_no: sent.waybillNo,
      sends: eb('sends', '+', 1),
      sent_at: nowMs,
    }))
    .where('order_id', '=', orderId)
    .execute();
}

/** Fulfilments per platform: created at the platform, and how many sends (creates + updates). */
export async function fulfilmentCounts(
  ex: Executor,
): Promise<
  Array<{ platformId: string; orders: number; sent: number; sends: number; deliveredTold: number }>
> {
  const rows = await fdb(ex)
    .selectFrom('platform_fulfilments')
    .select((eb) => [
      'platform_id',
      eb.fn.countAll<number>().as('orders'),
      eb.fn.count<number>('partner_ref').as('sent'),
      eb.fn.sum<number>('sends').as('sends'),
      eb.fn.sum<number>(eb.case().when('sent_status', '=', 'delivered').then(1).else(0).end()).as('told'),
    ])
    .groupBy('platform_id')
    .execute();
  return rows.map((r) => ({
    platformId: r.platform_id,
    orders: Number(r.orders),
    sent: Number(r.sent),
    sends: Number(r.sends ?? 0),
    deliveredTold: Number(r.told ?? 0),
  }));
}

// ---------------------------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------------------------

export const LABEL_CONTEXT = 'shipment_labels.data';

export interface StoredLabel {
  shipmentId: string;
  carrier: string;
  waybillNo: string;
  format: string;
  sizeBytes: number;
  data: Buffer;
  createdAt: number;
}

/** Stores a shipment's label, sealed; a second label for the shipment is ignored (the first stands). */
export async function insertLabel(
  ex: Executor,
  cipher: FieldSealer,
  l: { shipmentId: string; carrier: string; waybillNo: string; format: string; data: Buffer },
  nowMs: number,
): Promise<boolean> {
  const res = await fdb(ex)
    .insertInto('shipment_labels')
    .values({
      shipment_id: l.shipmentId,
      carrier: l.carrier,
      waybill_no: l.waybillNo,
      format: l.format,
      size_bytes: l.data.length,
      data_sealed: cipher.seal(l.data.toString('base64'), LABEL_CONTEXT),
      created_at: nowMs,
    })
    .onConflict((oc) => oc.column('shipment_id').doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function readLabel(
  ex: Executor,
  cipher: FieldSealer,
  shipmentId: string,
): Promise<StoredLabel | undefined> {
  const r = await fdb(ex)
    .selectFrom('shipment_labels')
    .selectAll()
    .where('shipment_id', '=', shipmentId)
    .executeTakeFirst();
  if (!r) return undefined;
  return {
    shipmentId: r.shipment_id,
    carrier: r.carrier,
    waybillNo: r.waybill_no,
    format: r.format,
    sizeBytes: Number(r.size_bytes),
    data: Buffer.from(cipher.open(r.data_sealed, LABEL_CONTEXT), 'base64'),
    createdAt: Number(r.created_at),
  };
}

export async function countLabels(ex: Executor): Promise<number> {
  const row = await fdb(ex)
    .selectFrom('shipment_labels')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
