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
  type InboundsTable,
} from '../store/warehouse-orders.js';
import { expectInbound } from './inventory.js';
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
  /** `queued` (not yet announced), `sent`, `partial`, `received`, or `failed` (dead-lettered). */
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
      inTransit: Math.max(0, l.expected - l.received),
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
