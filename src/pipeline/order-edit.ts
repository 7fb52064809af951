/**
 * Editing an order before its shipment job is replayed from the dead-letter queue: the operator
 * fixes what made the carrier refuse it (a merge patch on the recipient, or new lines). The
 * edited order is held to the rules a new one is — the canonical schemas and
 * `domain/order-rules.ts`, which acceptOrder runs too — and its total comes from the same
 * function, so an edit can never store an order that acceptOrder would have refused.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  Address,
  OrderItem,
  type OrderLine,
  WaygateError,
  orderLineIssues,
  orderTotal,
  type OrderStatus,
} from '../domain/index.js';
import { getOrderRow, readOrder, updateOrderContents, type OrderRecord } from '../store/orders.js';
import { invalidEdit, type EditContext } from './jobs/kind.js';
import { mergePatch } from './merge-patch.js';
import { checker } from './validation.js';

export const OrderEdit = Type.Object(
  {
    recipient: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description: 'a JSON merge patch (RFC 7396) on the order recipient; null removes a field',
        },
      ),
    ),
    items: Type.Optional(
      Type.Array(OrderItem, {
        minItems: 1,
        maxItems: 500,
        description: 'the complete new order lines (they replace the old ones)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type OrderEdit = Static<typeof OrderEdit>;

/** Order statuses in which the order may still be edited: no carrier has it yet. */
const EDITABLE: ReadonlySet<string> = new Set<OrderStatus>(['accepted', 'failed']);

const address = checker(Address);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function changedFields(prefix: string, before: object, after: object): string[] {
  const b = new Map(Object.entries(before));
  const a = new Map(Object.entries(after));
  const keys = [...new Set([...b.keys(), ...a.keys()])].sort();
  return keys.filter((k) => !same(b.get(k), a.get(k))).map((k) => `${prefix}/${k}`);
}

export interface EditedOrder {
  recipient: Address;
  items: OrderLine[];
  totalValue: string;
  /** JSON pointers of the order fields the edit changed. */
  changed: string[];
}

/** The order's recipient and lines after `edit`, checked against the order rules. */
export function applyOrderEdit(
  order: Pick<OrderRecord, 'recipient' | 'items'>,
  edit: OrderEdit,
): EditedOrder {
  const recipient =
    edit.recipient === undefined ? order.recipient : mergePatch(order.recipient, edit.recipient);
  const items = edit.items ?? order.items;
  if (!address.is(recipient)) invalidEdit(address.issues(recipient, '/recipient'));
  const lineIssues = orderLineIssues(items);
  if (lineIssues.length > 0) invalidEdit(lineIssues.map(({ field, message }) => ({ field, message })));

  const changed = changedFields('/recipient', order.recipient, recipient);
  const count = Math.max(order.items.length, items.length);
  for (let i = 0; i < count; i++) {
    const before = order.items[i];
    const after = items[i];
    if (!before || !after) changed.push(`/items/${i}`);
    else changed.push(...changedFields(`/items/${i}`, before, after));
  }
  return { recipient, items, totalValue: orderTotal(items), changed };
}

/** Applies `edit` to the order in the replay's transaction; returns what changed. */
export async function editOrder(ctx: EditContext, orderId: string, edit: OrderEdit): Promise<string[]> {
  const row = await getOrderRow(ctx.trx, orderId);
  if (!row) throw new WaygateError('order_not_found', `order ${orderId} of this job no longer exists`);
  if (!EDITABLE.has(row.status)) {
    throw new WaygateError(
      'order_not_editable',
      `order ${orderId} is ${row.status}; only a failed order can be edited`,
      {
        status: row.status,
      },
    );
  }
  const next = applyOrderEdit(await readOrder(ctx.keys, row), edit);
  await updateOrderContents(ctx.trx, ctx.keys.cipher, orderId, next, ctx.nowMs);
  return next.changed;
}
