/**
 * Rate cards [003-5.9]: what a carrier service or a warehouse charges, as data. A card is read
 * from YAML (or built in code), validated field by field, and turned into the exact form the
 * charge computation uses: weights in grams, prices in 1/10,000 units of the card's currency.
 *
 * Carrier card (YAML):
 * ```yaml
 * id: carrier-alpha-express
 * partner: carrier-alpha
 * partnerName: 阿尔法快递
 * kind: carrier
 * service: express
 * currency: USD
 * validFrom: "2026-01-01"
 * validTo: "2027-12-31"
 * tolerance: "0.05"          # per line, in the bill's currency
 * dimDivisor: 5000           # cm³ per kg
 * weightStep: "0.5"          # chargeable weight rounded up to this step (kg)
 * fuelSurchargePercent: "12.5"
 * zones: { A: [US, CA], B: [GB, DE] }
 * breaks:
 *   - { upToKg: "0.5", flat: { A: "8.00", B: "9.50" } }
 *   - { upToKg: "30", perKg: { A: "4.20", B: "5.10" } }
 * surcharges:
 *   - { code: remote_area, amount: "6.00", postcodes: { US: ["995", "996"] } }
 * ```
 * Warehouse card: `kind: warehouse` with `handling: { perOrder: "1.20", perUnit: "0.30" }`, and
 * optionally `outbound: { perOrder: "0.80" }` and `storage: { perUnitDay: "0.02" }`.
 */
import { createHash } from 'node:crypto';
import { isCountryCode, isCurrencyCode } from '../codes.js';
import { minorDigits, parseAmount } from './currency.js';
import { validateBillMapping, type BillMapping } from './bill.js';

export interface RateBreak {
  /** Chargeable weights up to and including this many grams fall in the break. */
  upToGrams: number;
  /** `flat`: the price for any weight in the break; `perKg`: the price per kg of chargeable weight. */
  mode: 'flat' | 'perKg';
  /** Per zone, in 1/10,000 units. */
  rates: Record<string, bigint>;
}

export interface Surcharge {
  code: string;
  amount: bigint;
  /** Due only for these postcode prefixes per destination country; absent: always due. */
  postcodes?: Record<string, readonly string[]>;
  /** Due only when the parcel's longest side is at least this many cm. */
  minLongestSideCm?: number;
}

interface CardBase {
  id: string;
  /**
   * Which edition of the card: the file's `version` when it gives one, else a digest of its
   * content — stored with every expected charge, so a later edit of a card under the same id is
   * told apart from the one that priced the shipment.
   */
  version: string;
  partner: string;
  /** The partner's display name (statements), any script. */
  partnerName: string;
  currency: string;
  validFrom: string;
  validTo: string;
  /** The largest per-line difference, in 1/10,000 units of the bill's currency, not flagged. */
  tolerance: bigint;
  /** How the partner's bills read into the canonical bill, when they are fetched or uploaded. */
  bills?: BillMapping;
}

export interface CarrierRateCard extends CardBase {
  kind: 'carrier';
  service: string;
  dimDivisor: number;
  stepGrams: number;
  /** Percent in 1/10,000 units (12.5 % → 125000). */
  fuelPercent: bigint;
  /** Country → zone. */
  zones: Record<string, string>;
  zoneNames: string[];
  breaks: RateBreak[];
  surcharges: Surcharge[];
}

export interface WarehouseRateCard extends CardBase {
  kind: 'warehouse';
  service: string;
  /** Handling per order and pick per unit shipped (1/10,000 units). */
  perOrder: bigint;
  perUnit: bigint;
  /** Outbound (hand-over to the carrier) per order; 0 when the card has none. */
  outboundPerOrder: bigint;
  /** Storage per unit per day; 0 when the card has none. */
  storagePerUnitDay: bigint;
}

export type RateCard = CarrierRateCard | WarehouseRateCard;

export interface CardIssue {
  /** Path of the offending field, e.g. `['breaks', 1, 'perKg', 'B']`. */
  path: (string | number)[];
  message: string;
}

const ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const CODE_RE = /^[a-z][a-z0-9_]{0,31}$/;
const ZONE_RE = /^[A-Za-z0-9_-]{1,16}$/;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const KG_RE = /^\d{1,4}(\.\d{1,3})?$/;
const PRICE_RE = /^\d{1,9}(\.\d{1,4})?$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isDay(v: unknown): v is string {
  if (typeof v !== 'string' || !DAY_RE.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** Kilograms as a decimal string → whole grams (`"0.5"` → 500). */
function kgToGrams(v: string): number {
  const [whole = '0', frac = ''] = v.split('.');
  return Number(whole) * 1000 + Number(frac.padEnd(3, '0'));
}

/**
 * Validates a parsed card (YAML or JSON), reporting every issue; returns the card only when there
 * are none.
 */
export function validateRateCard(raw: unknown): { card?: RateCard; issues: CardIssue[] } {
  const issues: CardIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  if (!isObject(raw)) return { issues: [{ path: [], message: 'must be a mapping' }] };

  const str = (key: string, re: RegExp, what: string): string => {
    const v = raw[key];
    if (typeof v !== 'string' || !re.test(v)) {
      add([key], `must be ${what}`);
      return '';
    }
    return v;
  };
  const price = (path: (string | number)[], v: unknown): bigint => {
    if (typeof v !== 'string' || !PRICE_RE.test(v)) {
      add(path, 'must be a decimal string such as "12.50"');
      return 0n;
    }
    return parseAmount(v);
  };

  const id = str('id', ID_RE, 'a lower-case id (letters, digits, -)');
  const partner = str('partner', ID_RE, 'a partner id');
  const partnerName =
    raw.partnerName === undefined
      ? partner
      : typeof raw.partnerName === 'string' && raw.partnerName.trim() !== '' && raw.partnerName.length <= 100
        ? raw.partnerName
        : (add(['partnerName'], 'must be text of 1 to 100 characters'), partner);
  const kind = raw.kind;
  if (kind !== 'carrier' && kind !== 'warehouse') add(['kind'], 'must be carrier or warehouse');
  const service = str('service', ID_RE, 'a service id');
  const currency = typeof raw.currency === 'string' && isCurrencyCode(raw.currency) ? raw.currency : '';
  if (!currency) add(['currency'], 'must be an ISO 4217 currency code');
  const validFrom = isDay(raw.validFrom)
    ? raw.validFrom
    : (add(['validFrom'], 'must be a date YYYY-MM-DD'), '');
  const validTo = isDay(raw.validTo) ? raw.validTo : (add(['validTo'], 'must be a date YYYY-MM-DD'), '');
  if (validFrom && validTo && validTo < validFrom) add(['validTo'], 'must not be before validFrom');
  const tolerance = raw.tolerance === undefined ? 0n : price(['tolerance'], raw.tolerance);

  let version = `sha256:${createHash('sha256').update(JSON.stringify(raw)).digest('hex').slice(0, 16)}`;
  if (raw.version !== undefined) {
    if (typeof raw.version === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(raw.version)) version = raw.version;
    else add(['version'], 'must be 1 to 64 letters, digits, ., _, : or -');
  }
  const base: CardBase = { id, version, partner, partnerName, currency, validFrom, validTo, tolerance };
  if (raw.bills !== undefined) {
    const m = validateBillMapping(raw.bills);
    for (const issue of m.issues) add(['bills', ...issue.path], issue.message);
    if (m.mapping) base.bills = m.mapping;
  }
  if (kind === 'warehouse') {
    const h = raw.handling;
    if (!isObject(h)) {
      add(['handling'], 'must be a mapping with perOrder and perUnit');
      return { issues };
    }
    const card: WarehouseRateCard = {
      ...base,
      kind: 'warehouse',
      service,
      perOrder: price(['handling', 'perOrder'], h.perOrder),
      perUnit: price(['handling', 'perUnit'], h.perUnit),
      outboundPerOrder: 0n,
      storagePerUnitDay: 0n,
    };
    if (raw.outbound !== undefined) {
      if (!isObject(raw.outbound)) add(['outbound'], 'must be a mapping with perOrder');
      else card.outboundPerOrder = price(['outbound', 'perOrder'], raw.outbound.perOrder);
    }
    if (raw.storage !== undefined) {
      if (!isObject(raw.storage)) add(['storage'], 'must be a mapping with perUnitDay');
      else card.storagePerUnitDay = price(['storage', 'perUnitDay'], raw.storage.perUnitDay);
    }
    return issues.length ? { issues } : { card, issues };
  }

  const dimDivisor = raw.dimDivisor;
  if (
    typeof dimDivisor !== 'number' ||
    !Number.isInteger(dimDivisor) ||
    dimDivisor < 1000 ||
    dimDivisor > 10000
  )
    add(['dimDivisor'], 'must be a whole number of cm³ per kg from 1000 to 10000 (commonly 5000 or 6000)');
  const step = raw.weightStep;
  let stepGrams = 0;
  if (typeof step !== 'string' || !KG_RE.test(step) || kgToGrams(step) < 1)
    add(['weightStep'], 'must be a weight in kg such as "0.5" or "1"');
  else stepGrams = kgToGrams(step);
  const fuel = raw.fuelSurchargePercent ?? '0';
  let fuelPercent = 0n;
  if (typeof fuel !== 'string' || !PRICE_RE.test(fuel) || parseAmount(fuel) > 1000000n)
    add(['fuelSurchargePercent'], 'must be a percentage from "0" to "100"');
  else fuelPercent = parseAmount(fuel);

  const zones: Record<string, string> = {};
  const zoneNames: string[] = [];
  if (!isObject(raw.zones) || Object.keys(raw.zones).length === 0) {
    add(['zones'], 'must map each zone name to a list of country codes');
  } else {
    for (const [zone, countries] of Object.entries(raw.zones)) {
      if (!ZONE_RE.test(zone)) add(['zones', zone], 'zone names are 1 to 16 letters, digits, _ or -');
      zoneNames.push(zone);
      if (!Array.isArray(countries) || countries.length === 0) {
        add(['zones', zone], 'must list ISO 3166-1 alpha-2 country codes');
        continue;
      }
      countries.forEach((c, i) => {
        if (typeof c !== 'string' || !isCountryCode(c))
          add(['zones', zone, i], 'must be an ISO 3166-1 alpha-2 code');
        else if (zones[c] !== undefined) add(['zones', zone, i], `${c} is already in zone ${zones[c]}`);
        else zones[c] = zone;
      });
    }
  }

  const breaks: RateBreak[] = [];
  if (!Array.isArray(raw.breaks) || raw.breaks.length === 0) {
    add(['breaks'], 'must list weight breaks in ascending upToKg');
  } else {
    raw.breaks.forEach((b: unknown, i) => {
      if (!isObject(b)) return add(['breaks', i], 'must be a mapping with upToKg and flat or perKg');
      let upToGrams = 0;
      if (typeof b.upToKg !== 'string' || !KG_RE.test(b.upToKg) || kgToGrams(b.upToKg) < 1)
        add(['breaks', i, 'upToKg'], 'must be a weight in kg such as "2"');
      else upToGrams = kgToGrams(b.upToKg);
      const prev = breaks.at(-1);
      if (prev && upToGrams && upToGrams <= prev.upToGrams)
        add(['breaks', i, 'upToKg'], 'must be above the previous break');
      if ((b.flat === undefined) === (b.perKg === undefined))
        return add(['breaks', i], 'needs exactly one of flat or perKg');
      const mode = b.flat !== undefined ? 'flat' : 'perKg';
      const table = b[mode];
      if (!isObject(table)) return add(['breaks', i, mode], 'must map every zone to a price');
      const rates: Record<string, bigint> = {};
      for (const zone of zoneNames) {
        if (table[zone] === undefined) add(['breaks', i, mode], `has no price for zone ${zone}`);
        else rates[zone] = price(['breaks', i, mode, zone], table[zone]);
      }
      for (const zone of Object.keys(table))
        if (!zoneNames.includes(zone)) add(['breaks', i, mode, zone], `${zone} is not a zone of this card`);
      breaks.push({ upToGrams, mode, rates });
    });
  }

  const surcharges: Surcharge[] = [];
  if (raw.surcharges !== undefined) {
    if (!Array.isArray(raw.surcharges)) add(['surcharges'], 'must be a list');
    else
      raw.surcharges.forEach((s: unknown, i) => {
        if (!isObject(s)) return add(['surcharges', i], 'must be a mapping with code and amount');
        const code = typeof s.code === 'string' && CODE_RE.test(s.code) ? s.code : '';
        if (!code) add(['surcharges', i, 'code'], 'must be a lower-case code such as remote_area');
        if (code === 'freight' || code === 'fuel') add(['surcharges', i, 'code'], `${code} is reserved`);
        if (surcharges.some((o) => o.code === code)) add(['surcharges', i, 'code'], `${code} repeats`);
        const sur: Surcharge = { code, amount: price(['surcharges', i, 'amount'], s.amount) };
        if (s.postcodes !== undefined) {
          if (!isObject(s.postcodes))
            add(['surcharges', i, 'postcodes'], 'must map country codes to postcode prefixes');
          else {
            const pc: Record<string, string[]> = {};
            for (const [country, prefixes] of Object.entries(s.postcodes)) {
              if (!isCountryCode(country))
                add(['surcharges', i, 'postcodes', country], 'must be an ISO 3166-1 alpha-2 code');
              if (
                !Array.isArray(prefixes) ||
                prefixes.some((p) => typeof p !== 'string' || !/^[A-Z0-9]{1,10}$/i.test(p))
              )
                add(['surcharges', i, 'postcodes', country], 'must list postcode prefixes');
              else pc[country] = prefixes.map((p: string) => p.toUpperCase());
            }
            sur.postcodes = pc;
          }
        }
        if (s.minLongestSideCm !== undefined) {
          if (
            typeof s.minLongestSideCm !== 'number' ||
            !Number.isInteger(s.minLongestSideCm) ||
            s.minLongestSideCm < 1
          )
            add(['surcharges', i, 'minLongestSideCm'], 'must be a whole number of cm');
          else sur.minLongestSideCm = s.minLongestSideCm;
        }
        surcharges.push(sur);
      });
  }
  // Prices finer than the currency can bill are allowed (per-kg rates); flat amounts are not.
  for (const [i, s] of surcharges.entries())
    if (currency && s.amount % 10n ** BigInt(4 - minorDigits(currency)) !== 0n)
      add(['surcharges', i, 'amount'], `has more decimals than ${currency} has`);

  if (issues.length) return { issues };
  return {
    card: {
      ...base,
      kind: 'carrier',
      service,
      dimDivisor: dimDivisor as number,
      stepGrams,
      fuelPercent,
      zones,
      zoneNames,
      breaks,
      surcharges,
    },
    issues,
  };
}

/** Whether the card is in force on `day` (YYYY-MM-DD). */
export function cardValidOn(card: RateCard, day: string): boolean {
  return card.validFrom <= day && day <= card.validTo;
}
