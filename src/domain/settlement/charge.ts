/**
 * The expected charge of a shipment under a rate card: zone by destination, chargeable weight
 * (the greater of actual and dimensional, rounded up to the card's step), the weight break's
 * freight, fuel surcharge as a percentage of freight, and the surcharges that are due. Pure and
 * exact: weights are whole grams, prices BigInt 1/10,000 units, each component rounded once to
 * the currency's minor units, and the total is the sum of the rounded components.
 */
import { roundToCurrency } from './currency.js';
import type { CarrierRateCard, WarehouseRateCard } from './rate-card.js';

export interface ShipmentFacts {
  country: string;
  postalCode?: string;
  /** The order's lines: the parcel weighs what they weigh unless it was weighed. */
  lines: readonly { quantity: number; weightGrams: number }[];
  /** The carrier's measured weight, when it arrives; replaces the lines' sum. */
  actualWeightGrams?: number;
  dimsCm?: { length: number; width: number; height: number };
}

export interface ChargeComponent {
  /** `freight`, `fuel`, a surcharge code, or for warehouses `handling`. */
  code: string;
  /** 1/10,000 units of the card's currency, already rounded to its minor units. */
  units: bigint;
}

export interface ExpectedCharge {
  cardId: string;
  currency: string;
  zone: string;
  /** The weight the freight is priced on (grams, rounded up to the card's step). */
  chargeableGrams: number;
  components: ChargeComponent[];
  totalUnits: bigint;
}

export type ChargeRefusal =
  | { reason: 'no_zone'; country: string }
  | { reason: 'beyond_breaks'; chargeableGrams: number; maxGrams: number };

export type ChargeResult = { ok: true; charge: ExpectedCharge } | { ok: false; refusal: ChargeRefusal };

function wholeNonNegative(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a whole number ≥ 0`);
  return n;
}

export function parcelWeightGrams(facts: ShipmentFacts): number {
  if (facts.actualWeightGrams !== undefined)
    return wholeNonNegative(facts.actualWeightGrams, 'actual weight');
  // Summed in BigInt-safe integers; order of the lines cannot matter.
  let grams = 0;
  for (const l of facts.lines)
    grams += wholeNonNegative(l.quantity, 'quantity') * wholeNonNegative(l.weightGrams, 'weight');
  if (!Number.isSafeInteger(grams)) throw new RangeError('the parcel weight is out of range');
  return grams;
}

/** Dimensional weight in grams: l × w × h (cm³) / divisor (cm³ per kg), rounded up. */
export function dimensionalGrams(dims: ShipmentFacts['dimsCm'], divisor: number): number {
  if (!dims) return 0;
  const volume =
    BigInt(wholeNonNegative(dims.length, 'length')) *
    BigInt(wholeNonNegative(dims.width, 'width')) *
    BigInt(wholeNonNegative(dims.height, 'height'));
  const d = BigInt(divisor);
  return Number((volume * 1000n + d - 1n) / d);
}

/** The zone, chargeable weight and freight for one zone (also used to price a billed zone/weight). */
export function freightFor(
  card: CarrierRateCard,
  zone: string,
  chargeableGrams: number,
): { units: bigint } | { beyond: number } {
  const brk = card.breaks.find((b) => chargeableGrams <= b.upToGrams);
  if (!brk) return { beyond: card.breaks.at(-1)?.upToGrams ?? 0 };
  const rate = brk.rates[zone] ?? 0n;
  const raw = brk.mode === 'flat' ? rate : (rate * BigInt(chargeableGrams)) / 1000n;
  return { units: roundToCurrency(raw, card.currency) };
}

export function fuelFor(card: CarrierRateCard, freightUnits: bigint): bigint {
  // fuelPercent is in 1/10,000 %: freight × pct / 100 / 10,000.
  return roundToCurrency((freightUnits * card.fuelPercent) / 1_000_000n, card.currency);
}

export function roundUpToStep(grams: number, stepGrams: number): number {
  return Math.ceil(grams / stepGrams) * stepGrams;
}

export function computeExpectedCharge(card: CarrierRateCard, facts: ShipmentFacts): ChargeResult {
  const zone = card.zones[facts.country];
  if (zone === undefined) return { ok: false, refusal: { reason: 'no_zone', country: facts.country } };
  const actual = parcelWeightGrams(facts);
  const chargeable = roundUpToStep(
    Math.max(actual, dimensionalGrams(facts.dimsCm, card.dimDivisor), 1),
    card.stepGrams,
  );
  const freight = freightFor(card, zone, chargeable);
  if ('beyond' in freight)
    return {
      ok: false,
      refusal: { reason: 'beyond_breaks', chargeableGrams: chargeable, maxGrams: freight.beyond },
    };
  const components: ChargeComponent[] = [{ code: 'freight', units: freight.units }];
  if (card.fuelPercent > 0n) components.push({ code: 'fuel', units: fuelFor(card, freight.units) });
  const postal = (facts.postalCode ?? '').toUpperCase().replace(/\s+/g, '');
  const longest = facts.dimsCm ? Math.max(facts.dimsCm.length, facts.dimsCm.width, facts.dimsCm.height) : 0;
  for (const s of card.surcharges) {
    if (s.postcodes) {
      const prefixes = s.postcodes[facts.country];
      if (!prefixes || !prefixes.some((p) => postal.startsWith(p))) continue;
    }
    if (s.minLongestSideCm !== undefined && longest < s.minLongestSideCm) continue;
    components.push({ code: s.code, units: s.amount });
  }
  return {
    ok: true,
    charge: {
      cardId: card.id,
      currency: card.currency,
      zone,
      chargeableGrams: chargeable,
      components,
      totalUnits: components.reduce((a, c) => a + c.units, 0n),
    },
  };
}

/**
 * A warehouse's charges for one order: handling per order, pick per unit, outbound per order,
 * and storage per unit per day for the days the warehouse states it held the goods (inventory is
 * the warehouse module's; the card's rate is what is checked here). Each component rounded once.
 */
export function computeWarehouseCharge(
  card: WarehouseRateCard,
  order: { units: number; storageDays?: number },
): ExpectedCharge {
  const units = BigInt(wholeNonNegative(order.units, 'units'));
  const days = BigInt(wholeNonNegative(order.storageDays ?? 0, 'storage days'));
  const r = (u: bigint) => roundToCurrency(u, card.currency);
  const components: ChargeComponent[] = [{ code: 'handling', units: r(card.perOrder) }];
  if (card.perUnit > 0n) components.push({ code: 'pick', units: r(card.perUnit * units) });
  if (card.outboundPerOrder > 0n) components.push({ code: 'outbound', units: r(card.outboundPerOrder) });
  if (card.storagePerUnitDay > 0n && days > 0n)
    components.push({ code: 'storage', units: r(card.storagePerUnitDay * units * days) });
  return {
    cardId: card.id,
    currency: card.currency,
    zone: '',
    chargeableGrams: 0,
    components,
    totalUnits: components.reduce((a, c) => a + c.units, 0n),
  };
}
