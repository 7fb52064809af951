/**
 * Currency arithmetic for settlement. Amounts are BigInt counts of 1/10,000 units (money.ts's
 * scale) so rate-card prices with more decimals than a currency has (a per-kg rate of 4.125)
 * stay exact until a charge is rounded, once, to the currency's ISO 4217 minor units.
 */
import { fromMinorUnits, toMinorUnits } from '../money.js';

const SCALE_DIGITS = 4;

/**
 * ISO 4217 exponents that are not 2 (the table, not Intl's CLDR digits: CLDR shows e.g. IDR and
 * HUF with 0 digits for cash, while bills and banks settle them in the ISO minor unit).
 */
const EXPONENTS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** The currency's minor-unit exponent (2 for most, 0 for JPY, 3 for KWD). */
export function minorDigits(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

/** Rounds 1/10,000 units to the currency's minor units, half away from zero. */
export function roundToCurrency(units: bigint, currency: string): bigint {
  const step = 10n ** BigInt(SCALE_DIGITS - minorDigits(currency));
  if (step === 1n) return units;
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const rounded = ((abs + step / 2n) / step) * step;
  return negative ? -rounded : rounded;
}

/** Parses a non-negative decimal amount into 1/10,000 units (throws RangeError when it is not one). */
export function parseAmount(amount: string): bigint {
  return toMinorUnits(amount);
}

/** Parses a possibly negative decimal amount (differences, credit notes). */
export function parseSignedAmount(amount: string): bigint {
  return amount.startsWith('-') ? -toMinorUnits(amount.slice(1)) : toMinorUnits(amount);
}

/** Formats 1/10,000 units with exactly the currency's minor digits (JPY `1200`, USD `12.50`). */
export function formatAmount(units: bigint, currency: string): string {
  const digits = minorDigits(currency);
  const rounded = roundToCurrency(units, currency);
  const text = fromMinorUnits(rounded);
  const [whole = '0', frac = ''] = text.split('.');
  if (digits === 0) return whole;
  return `${whole}.${frac.padEnd(digits, '0').slice(0, digits)}`;
}

/** An exchange rate: how many units of `quote` one unit of `base` buys, as a decimal string. */
export interface FxRate {
  base: string;
  quote: string;
  /** Decimal, at most 10 decimals, above 0. */
  rate: string;
  /** The day the rate is for (YYYY-MM-DD). */
  day: string;
  source: string;
}

const RATE_DIGITS = 10;
const RATE_RE = /^(0|[1-9]\d{0,9})(\.\d{1,10})?$/;

export function isFxRate(rate: string): boolean {
  return RATE_RE.test(rate) && /[1-9]/.test(rate);
}

function rateUnits(rate: string): bigint {
  if (!isFxRate(rate)) throw new RangeError(`not an exchange rate: ${rate}`);
  const [whole = '0', frac = ''] = rate.split('.');
  return BigInt(whole) * 10n ** BigInt(RATE_DIGITS) + BigInt(frac.padEnd(RATE_DIGITS, '0'));
}

/**
 * Converts 1/10,000 units of `rate.base` into `rate.quote`, rounded to the quote currency's minor
 * units, half away from zero.
 */
export function convert(units: bigint, rate: Pick<FxRate, 'rate' | 'quote'>): bigint {
  const scale = 10n ** BigInt(RATE_DIGITS);
  const product = units * rateUnits(rate.rate);
  const negative = product < 0n;
  const abs = negative ? -product : product;
  const raw = (abs + scale / 2n) / scale;
  return roundToCurrency(negative ? -raw : raw, rate.quote);
}

/** The inverse rate (quote → base) to 10 decimals, for a source that quotes only one way. */
export function invertRate(rate: FxRate): FxRate {
  const scale = 10n ** BigInt(RATE_DIGITS);
  const inv = (scale * scale + rateUnits(rate.rate) / 2n) / rateUnits(rate.rate);
  const whole = inv / scale;
  const frac = (inv % scale).toString().padStart(RATE_DIGITS, '0').replace(/0+$/, '');
  return {
    base: rate.quote,
    quote: rate.base,
    rate: frac ? `${whole}.${frac}` : `${whole}`,
    day: rate.day,
    source: rate.source,
  };
}
