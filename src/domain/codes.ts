/**
 * Reference-code helpers (ISO 4217 currencies, ISO 3166-1 alpha-2 countries, HS codes).
 * The code lists come from the ICU data that ships inside Node.js, so they follow the
 * runtime's CLDR release instead of a hand-kept copy that silently goes stale.
 */

const currencies = new Set(Intl.supportedValuesOf('currency'));
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
const countryCache = new Map<string, boolean>();

export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && currencies.has(code);
}

export function isCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code)) return false;
  let known = countryCache.get(code);
  if (known === undefined) {
    const name = regionNames.of(code);
    // ICU answers the code itself (fallback) or "Unknown Region" (ZZ) for codes it does not know.
    known = name !== undefined && name !== code && name !== 'Unknown Region';
    countryCache.set(code, known);
  }
  return known;
}

/** An HS code as declared on a commercial invoice: 6 digits (WCO), up to 10 national digits. */
export function isHsCode(code: string): boolean {
  return /^\d{6}(\d{2}){0,2}$/.test(code);
}
