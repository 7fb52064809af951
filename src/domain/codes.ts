/**
 * Reference-code helpers (ISO 4217 currencies, ISO 3166-1 alpha-2 countries, HS codes). The code
 * lists are the official ones, kept as data with their source (iso-codes.ts): the ICU data inside
 * Node.js also knows retired and reserved codes (UK, EU, SU, YU, HRK …), which are no country or
 * currency an order can name.
 */
import { ISO_3166_ALPHA2, ISO_4217_CURRENCIES } from './iso-codes.js';

const currencies: ReadonlySet<string> = new Set(ISO_4217_CURRENCIES);
const countries: ReadonlySet<string> = new Set(ISO_3166_ALPHA2);

export function isCurrencyCode(code: string): boolean {
  return currencies.has(code);
}

export function isCountryCode(code: string): boolean {
  return countries.has(code);
}

/** An HS code as declared on a commercial invoice: 6 digits (WCO), up to 10 national digits. */
export function isHsCode(code: string): boolean {
  return /^\d{6}(\d{2}){0,2}$/.test(code);
}
