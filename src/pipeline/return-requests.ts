/**
 * Authorising a return on an order, from the API or a platform's return request: checked against
 * what was shipped (and what earlier returns already took back), stored with its first event
 * and its order's history line, and its first step — telling the warehouse — queued in the same
 * transaction. A bad request is refused with a catalogue code and leaves nothing behind.
 */
import { WaygateError, type ErrorCode, type OrderStatus } from '../domain/index.js';
import { newId } from '../store/ids.js';
import { reservationsOf } from '../store/inventory.js';
import { getOrderRow } from '../store/orders.js';
import { insertReturn, returnByReference, returnsOfOrder, type ReturnsTable } from '../store/returns.js';
import type { Executor } from '../store/transaction.js';
import { returnAnnounce } from './jobs/return-announce.js';
import { linesOf, recordStep, type ReturnKind, type ReturnLine } from './returns.js';

/** Order statuses in which the goods have left (a carrier has them or delivered them). */
const SHIPPED: ReadonlySet<OrderStatus> = new Set<OrderStatus>([
  'in_transit',
  'customs_processing',
  'customs_held',
  'out_for_delivery',
  'delivery_failed',
  'available_for_pickup',
  'delivered',
  'exception',
]);

export interface ReturnRequest {
  orderId: string;
  /** `api`, or the platform the request came from. */
  origin: string;
  /** The requester's id of the return (the platform's return id; an API caller's reference). */
  reference?: string;
  kind: ReturnKind;
  reason: string;
  lines: ReadonlyArray<{ sku: string; quantity: number; exchangeSku?: string }>;
}

export interface ReturnAuthorised {
  returnId: string;
  /** false: the requester's reference already had this return (a platform's re-delivery). */
  created: boolean;
}

export interface AuthoriseOptions {
  /** Warehouses that take returns, in order of preference (used when the order reserved none). */
  warehouses: readonly string[];
  /** What a repeated reference means: `refuse` (409, the API) or `same` (a re-delivery). */
  duplicates: 'refuse' | 'same';
  nowMs?: number;
}

function refuse(code: ErrorCode, message: string, details: Record<string, unknown>): never {
  throw new WaygateError(code, message, details);
}

export async function authoriseReturn(
  trx: Executor,
  req: ReturnRequest,
  opts: AuthoriseOptions,
): Promise<ReturnAuthorised> {
  const nowMs = opts.nowMs ?? Date.now();
  const order = await getOrderRow(trx, req.orderId);
  if (!order) refuse('order_not_found', `no order ${req.orderId}`, { orderId: req.orderId });
  if (req.reference !== undefined) {
    const prior = await returnByReference(trx, order.id, req.origin, req.reference);
    if (prior) {
      if (opts.duplicates === 'same') return { returnId: prior.id, created: false };
      refuse(
        'return_duplicate',
        `order ${order.id} already has return ${prior.id} for reference ${req.reference}`,
        {
          field: '/reference',
          returnId: prior.id,
        },
      );
    }
  }
  if (!SHIPPED.has(order.status as OrderStatus)) {
    refuse(
      'return_order_not_shipped',
      `order ${order.id} is ${order.status}: nothing was shipped to return`,
      {
        orderId: order.id,
        status: order.status,
      },
    );
  }
  const seen = new Set<string>();
  req.lines.forEach((l, i) => {
    if (seen.has(l.sku)) {
      refuse('return_invalid', `lines[${i}].sku repeats ${l.sku}; merge the lines`, {
        field: `/lines/${i}/sku`,
      });
    }
    seen.add(l.sku);
  });
  const shipped = new Map<string, { quantity: number; unitPrice: string }>();
  for (const item of JSON.parse(order.items) as Array<{ sku: string; quantity: number; unitPrice: string }>)
    shipped.set(item.sku, { quantity: item.quantity, unitPrice: item.unitPrice });
  // What earlier returns (other than cancelled ones) already take back.
  const taken = new Map<string, number>();
  for (const r of await returnsOfOrder(trx, order.id)) {
    if (r.status === 'cancelled') continue;
    for (const l of linesOf(r)) taken.set(l.sku, (taken.get(l.sku) ?? 0) + l.quantity);
  }
  const lines: ReturnLine[] = req.lines.map((l, i) => {
    const item = shipped.get(l.sku);
    if (!item) {
      refuse('return_line_unknown', `lines[${i}].sku ${l.sku} is not a line of order ${order.id}`, {
        field: `/lines/${i}/sku`,
        sku: l.sku,
      });
    }
    const returnable = item.quantity - (taken.get(l.sku) ?? 0);
    if (l.quantity > returnable) {
      refuse(
        'return_quantity_exceeds_shipped',
        `lines[${i}] returns ${l.quantity} × ${l.sku}; ${returnable} of the ${item.quantity} shipped can still be returned`,
        {
          field: `/lines/${i}/quantity`,
          sku: l.sku,
          requested: l.quantity,
          shipped: item.quantity,
          returnable,
        },
      );
    }
    return {
      sku: l.sku,
      quantity: l.quantity,
      unitPrice: item.unitPrice,
      ...(req.kind === 'exchange' ? { exchangeSku: l.exchangeSku ?? l.sku } : {}),
      resellable: 0,
      damaged: 0,
      missing: 0,
    };
  });
  const reserved = (await reservationsOf(trx, order.id))[0]?.warehouse_id;
  const warehouseId = reserved ?? opts.warehouses[0];
  if (!warehouseId) {
    refuse('return_no_warehouse', 'no warehouse takes returns: configure a warehouse partner', {
      orderId: order.id,
    });
  }
  const row: ReturnsTable = {
    id: newId('rma', nowMs),
    order_id: order.id,
    origin: req.origin,
    reference: req.reference ?? null,
    kind: req.kind,
    status: 'requested',
    reason: req.reason,
    lines: JSON.stringify(lines),
    currency: order.currency,
    warehouse_id: warehouseId,
    warehouse_return_no: null,
    return_to: null,
    carrier: null,
    waybill_no: null,
    label_url: null,
    refund_amount: null,
    replacement_order_id: null,
    status_version: 1,
    pushed_version: 0,
    created_at: nowMs,
    updated_at: nowMs,
  };
  if (!(await insertReturn(trx, row))) {
    // Two requests with one reference at once: the loser is the duplicate.
    refuse(
      'return_duplicate',
      `order ${order.id} already has a return for reference ${req.reference ?? ''}`,
      {
        field: '/reference',
      },
    );
  }
  const what = lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ');
  await recordStep(trx, row, `${req.kind} of ${what} requested via ${req.origin} (${req.reason})`, nowMs);
  await returnAnnounce.enqueue(trx, { returnId: row.id, warehouse: warehouseId }, nowMs);
  return { returnId: row.id, created: true };
}
