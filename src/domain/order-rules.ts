/**
 * An order's own rules, written once: what its total is and which lines it may not have.
 * Accepting an order and editing one before a dead-letter replay both run them, so an edited
 * order is held to exactly the rules a new one is.
 */
import { WaygateError } from './errors.js';
import { fromMinorUnits, MAX_AMOUNT_UNITS, multiplyUnits } from './money.js';
import type { OrderItem } from './schemas.js';

/**
 * The order's value: the sum of its lines' unit price × quantity, exact to 1/10,000 (BigInt all
 * the way, rounded nowhere). A total beyond the largest amount the hub and its partners carry
 * (money.ts, MAX_AMOUNT_UNITS) is refused as `order_total_too_large` — each line can be valid
 * while their sum is not, and such a total could not be declared to a carrier or customs.
 */
export function orderTotal(items: readonly Pick<OrderItem, 'unitPrice' | 'quantity'>[]): string {
  const units = items.reduce((acc, i) => acc + multiplyUnits(i.unitPrice, i.quantity), 0n);
  if (units > MAX_AMOUNT_UNITS) {
    throw new WaygateError(
      'order_total_too_large',
      `the order's total ${fromMinorUnits(units)} exceeds the largest amount, ${fromMinorUnits(MAX_AMOUNT_UNITS)}`,
      { field: '/items', max: fromMinorUnits(MAX_AMOUNT_UNITS) },
    );
  }
  return fromMinorUnits(units);
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
