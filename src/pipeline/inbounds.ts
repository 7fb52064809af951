/**
 * Inbound receipts (ASN, first-mile replenishment) created over the API: the receipt and its
 * lines are stored, their quantities put in transit, and the job that announces it to the
 * warehouse queued — all in one transaction, so a receipt is never half-written nor lost. The
 * warehouse's received quantities (which may differ from those announced) arrive as its stock
 * changes and move the units from in transit to on hand (pipeline/inventory.ts).
 */
import { WaygateError } from '../domain/index.js';
import type { Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import { receiptLines } from '../store/inventory.js';
import type { Executor } from '../store/transaction.js';
import {
  inboundById,
  inboundByReference,
  insertInbound,
  listInbounds,
  lockInbound,
  updateInbound,
  type InboundsTable,
} from '../store/warehouse-orders.js';
import { closeReceiptLines, expectInbound } from './inventory.js';
import { inboundSend } from './jobs/inbound-send.js';
import { linesBySku } from './warehouse-fulfilment.js';

export interface NewInbound {
  warehouse: string;
  /** The caller's own reference (PO, container or shipment number); the hub id when absent. */
  reference?: string;
  lines: ReadonlyArray<{ sku: string; quantity: number }>;
  /** When the goods are expected at the warehouse (ISO 8601). */
  expectedAt?: string;
}

export interface InboundView {
  id: string;
  warehouse: string;
  reference: string;
  /**
   * `queued` (not yet announced), `sent`, `partial`, `received`, `failed` (dead-lettered), or
   * `closed` (by hand: what did not arrive left transit).
   */
  status: string;
  asnNo: string | null;
  expectedAt: string | null;
  lines: Array<{ sku: string; expected: number; received: number; inTransit: number; status: string }>;
  createdAt: string;
  updatedAt: string;
}

/** The receipt as the API shows it; its status follows the lines once the warehouse has it. */
export async function inboundView(ex: Executor, id: string): Promise<InboundView | undefined> {
  const row = await inboundById(ex, id);
  if (!row) return undefined;
  const lines = await receiptLines(ex, row.warehouse_id, row.id);
  let status = row.status;
  if (status === 'sent') {
    const received = lines.filter((l) => l.received > 0).length;
    if (lines.length > 0 && lines.every((l) => l.received >= l.expected)) status = 'received';
    else if (received > 0) status = 'partial';
  }
  return {
    id: row.id,
    warehouse: row.warehouse_id,
    reference: row.reference,
    status,
    asnNo: row.asn_no,
    expectedAt: row.expected_at === null ? null : new Date(row.expected_at).toISOString(),
    lines: lines.map((l) => ({
      sku: l.sku,
      expected: l.expected,
      received: l.received,
      inTransit: l.status === 'closed' ? 0 : Math.max(0, l.expected - l.received),
      status: l.status === 'sent' ? 'expected' : l.status,
    })),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(Math.max(row.updated_at, ...lines.map((l) => l.updated_at))).toISOString(),
  };
}

/**
 * Stores a receipt and queues its announcement (`inbound.send`, in the same transaction). The same
 * reference again with the same lines answers the stored receipt (`created: false`); with other
 * lines it is refused (`inbound_conflict`), the stored one unchanged.
 */
export async function createInbound(
  store: Store,
  input: NewInbound,
  actor: string,
  nowMs = Date.now(),
): Promise<{ created: boolean; inbound: InboundView }> {
  const lines = linesBySku(input.lines);
  const id = newId('inb', nowMs);
  const reference = input.reference ?? id;
  const expectedAt = input.expectedAt === undefined ? null : Date.parse(input.expectedAt);
  if (expectedAt !== null && !Number.isFinite(expectedAt))
    throw new WaygateError('validation_failed', 'expectedAt is not an ISO 8601 time', [
      { field: '/expectedAt', message: 'must be an ISO 8601 date-time' },
    ]);
  // Several writes share one PostgreSQL transaction (group commit); under contention on a SKU
  // such a batch may lose a deadlock three times over. The receipt is new and written whole or
  // not at all, so trying again is safe and spares the caller a 500 for the store's conflict.
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeInbound();
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (attempt >= 5 || (code !== '40P01' && code !== '40001')) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt + Math.floor(Math.random() * 30)));
    }
  }

  function writeInbound() {
    return store.write(async (trx) => {
      const row: InboundsTable = {
        id,
        warehouse_id: input.warehouse,
        reference,
        status: 'queued',
        asn_no: null,
        expected_at: expectedAt,
        created_by: actor,
        created_at: nowMs,
        updated_at: nowMs,
      };
      if (!(await insertInbound(trx, row))) {
        const prior = (await inboundByReference(trx, input.warehouse, reference))!;
        const view = (await inboundView(trx, prior.id))!;
        const same =
          view.lines.length === lines.length &&
          view.lines.every((l, i) => l.sku === lines[i]!.sku && l.expected === lines[i]!.quantity);
        if (!same)
          throw new WaygateError(
            'inbound_conflict',
            `inbound receipt ${reference} at ${input.warehouse} already exists with other lines (${prior.id})`,
            { id: prior.id, reference },
          );
        return { created: false, inbound: view };
      }
      await expectInbound(trx, input.warehouse, id, lines, nowMs);
      await inboundSend.enqueue(trx, { inboundId: id }, nowMs);
      return { created: true, inbound: (await inboundView(trx, id))! };
    });
  }
}

/** The statuses a listing can ask for, and the stored ones each is derived from. */
export const INBOUND_STATUSES = ['queued', 'sent', 'partial', 'received', 'failed', 'closed'] as const;
export type InboundStatus = (typeof INBOUND_STATUSES)[number];
const STORED: Record<InboundStatus, string> = {
  queued: 'queued',
  sent: 'sent',
  partial: 'sent',
  received: 'sent',
  failed: 'failed',
  closed: 'closed',
};

/**
 * Receipts newest first, by warehouse and status. `partial` and `received` are read from the
 * lines, so a page may hold fewer than `limit`; `next` (the `before` of the next page) is set
 * while more receipts remain to look at.
 */
export async function listInboundViews(
  ex: Executor,
  f: { warehouseId?: string; status?: InboundStatus; beforeId?: string; limit: number },
): Promise<{ items: InboundView[]; next?: string }> {
  const rows = await listInbounds(ex, {
    limit: f.limit + 1,
    ...(f.warehouseId !== undefined ? { warehouseId: f.warehouseId } : {}),
    ...(f.status !== undefined ? { statuses: [STORED[f.status]] } : {}),
    ...(f.beforeId !== undefined ? { beforeId: f.beforeId } : {}),
  });
  const page = rows.slice(0, f.limit);
  const items: InboundView[] = [];
  for (const r of page) {
    const v = await inboundView(ex, r.id);
    if (v && (f.status === undefined || v.status === f.status)) items.push(v);
  }
  return { items, ...(rows.length > f.limit ? { next: page.at(-1)!.id } : {}) };
}

/**
 * Closes a short-received receipt by hand (the rest will not come): every line still expecting
 * units takes its remainder out of transit (`asn_closed` in the SKU's history), the lines and the
 * receipt are `closed`, in one transaction under the receipt's lock. Only a receipt the warehouse
 * has (`sent`, not received in full) or one that failed to reach it; otherwise
 * `inbound_not_closable` (409). A unit the warehouse still reports later is on hand, never in
 * transit again.
 */
export async function closeInbound(
  trx: Executor,
  id: string,
  reason: string,
  nowMs = Date.now(),
): Promise<InboundView | undefined> {
  const row = await lockInbound(trx, id);
  if (!row) return undefined;
  const view = (await inboundView(trx, id))!;
  if (!['sent', 'partial', 'failed'].includes(view.status))
    throw new WaygateError(
      'inbound_not_closable',
      `inbound receipt ${id} is ${view.status}: only a sent, partially received or failed receipt can be closed`,
      { id, status: view.status },
    );
  await closeReceiptLines(trx, row.warehouse_id, id, `${id} closed: ${reason}`, nowMs);
  await updateInbound(trx, id, { status: 'closed', updated_at: nowMs });
  return inboundView(trx, id);
}
