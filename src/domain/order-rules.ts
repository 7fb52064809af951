/**
 * An order's own rules, written once: what its total is and which lines it may not have.
 * Accepting an order and editing one before a dead-letter replay both run them, so an edited
 * order is held to exactly the rules a new one is.
 */
import { multiply, sum } from './money.js';
import type { OrderItem } from './schemas.js';

/** The order's value: the sum of its lines' unit price × quantity, exact to 1/10,000. */
export function orderTotal(items: readonly Pick<OrderItem, 'unitPrice' | 'quantity'>[]): string {
  return sum(items.map((i) => multiply(i.unitPrice, i.quantity)));
}

/** A line that breaks an order rule, with the JSON pointer of the offending value. */
export interface OrderLineIssue {
  code: 'duplicate_sku';
  index: number;
  sku: string;
  field: string;
  message: string;
}

/** Each line repeating an earlier line's SKU: one SKU is one line, so quantities are never split. */
export function orderLineIssues(items: readonly Pick<OrderItem, 'sku'>[]): OrderLineIssue[] {
  const seen = new Set<string>();
  const issues: OrderLineIssue[] = [];
  items.forEach((item, index) => {
    if (seen.has(item.sku)) {
      issues.push({
        code: 'duplicate_sku',
        index,
        sku: item.sku,
        field: `/items/${index}/sku`,
        message: `repeats ${item.sku}`,
      });
    }
    seen.add(item.sku);
  });
  return issues;
}
