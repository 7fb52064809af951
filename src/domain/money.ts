/**
 * Money is a decimal string plus an ISO 4217 currency. Amounts are never floats in the hub:
 * partners round differently, and customs values must add up exactly.
 *
 * Every amount the hub accepts or emits is bounded to 12 integer digits and 4 decimals
 * (`MAX_AMOUNT`): what carriers' and customs' declared-value fields hold, and small enough
 * that an order's total, computed in BigInt 1/10,000 units, is itself such an amount or is
 * refused as one (never an arithmetic or rendering failure further down).
 */

export const AMOUNT_INTEGER_DIGITS = 12;
export const AMOUNT_DECIMALS = 4;
export const DECIMAL_PATTERN = `^(0|[1-9]\\d{0,${AMOUNT_INTEGER_DIGITS - 1}})(\\.\\d{1,${AMOUNT_DECIMALS}})?$`;
const decimalRe = new RegExp(DECIMAL_PATTERN);
/** Any non-negative decimal, unbounded: what the internal arithmetic reads. */
const anyDecimalRe = /^\d+(\.\d+)?$/;

export interface Money {
  amount: string;
  currency: string;
}

/** Whether `value` is an amount the canonical schema accepts (bounded as above). */
export function isDecimalAmount(value: string): boolean {
  return decimalRe.test(value);
}

const SCALE = AMOUNT_DECIMALS;
const SCALE_FACTOR = 10n ** BigInt(SCALE);

/** The largest amount: 999 999 999 999.9999, in 1/10,000 units. */
export const MAX_AMOUNT_UNITS = 10n ** BigInt(AMOUNT_INTEGER_DIGITS) * SCALE_FACTOR - 1n;

/** Parses a decimal string (at most 4 decimals) into an integer count of 1/10,000 units. */
export function toMinorUnits(amount: string): bigint {
  if (!anyDecimalRe.test(amount)) throw new RangeError(`not a decimal amount: ${amount}`);
  const [whole = '0', frac = ''] = amount.split('.');
  if (frac.length > SCALE) throw new RangeError(`more than ${SCALE} decimals: ${amount}`);
  return BigInt(whole) * SCALE_FACTOR + BigInt(frac.padEnd(SCALE, '0'));
}

/** Formats 1/10,000 units back to a decimal string with at least two decimals. */
export function fromMinorUnits(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / SCALE_FACTOR;
  let frac = (abs % SCALE_FACTOR).toString().padStart(SCALE, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

/** `amount` × `quantity`, exact, in 1/10,000 units. */
export function multiplyUnits(amount: string, quantity: number): bigint {
  if (!Number.isSafeInteger(quantity)) throw new RangeError(`not a whole quantity: ${quantity}`);
  return toMinorUnits(amount) * BigInt(quantity);
}

export function multiply(amount: string, quantity: number): string {
  return fromMinorUnits(multiplyUnits(amount, quantity));
}

/** The exact sum of any decimal amounts (intermediate values are never re-checked or rounded). */
export function sum(amounts: readonly string[]): string {
  return fromMinorUnits(amounts.reduce((acc, a) => acc + toMinorUnits(a), 0n));
}
