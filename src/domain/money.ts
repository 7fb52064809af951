/**
 * Money is a decimal string plus an ISO 4217 currency. Amounts are never floats in the hub:
 * partners round differently, and customs values must add up exactly.
 */

export const DECIMAL_PATTERN = '^(0|[1-9]\\d{0,14})(\\.\\d{1,4})?$';
const decimalRe = new RegExp(DECIMAL_PATTERN);

export interface Money {
  amount: string;
  currency: string;
}

export function isDecimalAmount(value: string): boolean {
  return decimalRe.test(value);
}

const SCALE = 4;
const SCALE_FACTOR = 10n ** BigInt(SCALE);

/** Parses a decimal string into an integer count of 1/10,000 units. */
export function toMinorUnits(amount: string): bigint {
  if (!isDecimalAmount(amount)) throw new RangeError(`not a decimal amount: ${amount}`);
  const [whole = '0', frac = ''] = amount.split('.');
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

export function multiply(amount: string, quantity: number): string {
  return fromMinorUnits(toMinorUnits(amount) * BigInt(quantity));
}

export function sum(amounts: readonly string[]): string {
  return fromMinorUnits(amounts.reduce((acc, a) => acc + toMinorUnits(a), 0n));
}
