/**
 * Line-by-line reconciliation [003-5.9]: every billed line is matched to its shipment's expected
 * charge, and each difference beyond the partner's tolerance is explained by its component:
 * `zone` (priced for another zone), `weight` (priced at another weight break or step), `rate`
 * (right zone and weight, wrong price), `fx` (a converted bill whose freight matches no zone or
 * weight: the conversion), `fuel`, `surcharge` (not due, or the wrong amount), `total` (the
 * line's total is not the sum of its charges). Pure: the caller loads expected charges and rates.
 */
import { convert, type FxRate } from './currency.js';
import { freightFor, fuelFor, type ExpectedCharge } from './charge.js';
import type { CarrierRateCard } from './rate-card.js';

export interface BilledLine {
  lineNo: number;
  waybillNo: string;
  /** The weight the partner says it charged, when the bill states it. */
  weightGrams?: number;
  zone?: string;
  /** Warehouse bills: the days the warehouse says it stored the order's goods. */
  storageDays?: number;
  /** In 1/10,000 units of the bill's currency. */
  charges: { code: string; units: bigint }[];
  totalUnits: bigint;
}

export const DISCREPANCY_COMPONENTS = [
  'zone',
  'weight',
  'rate',
  'fx',
  'fuel',
  'surcharge',
  'total',
  // Warehouse bills: each fee of the warehouse card.
  'handling',
  'pick',
  'outbound',
  'storage',
] as const;
export type DiscrepancyComponent = (typeof DISCREPANCY_COMPONENTS)[number];

export interface Discrepancy {
  component: DiscrepancyComponent;
  /** The charge code concerned (`freight` for zone/weight/rate/fx, the surcharge's code…). */
  code: string;
  /** Bill currency, 1/10,000 units. */
  expectedUnits: bigint;
  billedUnits: bigint;
  differenceUnits: bigint;
  /** What the partner's price corresponds to, when it was inferred (`zone C`, `2.5 kg`). */
  note?: string;
}

export type LineStatus = 'ok' | 'discrepancy' | 'unknown_waybill' | 'duplicate' | 'not_priced';

export interface LineVerdict {
  lineNo: number;
  waybillNo: string;
  status: LineStatus;
  /** Bill currency; absent when there is nothing to compare with. */
  expectedUnits?: bigint;
  billedUnits: bigint;
  /** billed − expected; for an unknown or duplicate line, the whole billed amount is in question. */
  differenceUnits: bigint;
  discrepancies: Discrepancy[];
  /** The first line that billed the same waybill, for duplicates. */
  duplicateOf?: number;
}

export interface LineContext {
  card: CarrierRateCard;
  expected: ExpectedCharge;
  billCurrency: string;
  /** card currency → bill currency; required when they differ. */
  fx?: FxRate;
  tolerance: bigint;
}

const abs = (n: bigint) => (n < 0n ? -n : n);

export function compareLine(line: BilledLine, ctx: LineContext): LineVerdict {
  const { card, expected, tolerance } = ctx;
  const converted = ctx.billCurrency !== expected.currency;
  if (converted && !ctx.fx) throw new RangeError(`no ${expected.currency}→${ctx.billCurrency} rate`);
  const conv = (u: bigint) => (converted && ctx.fx ? convert(u, ctx.fx) : u);
  const exp = new Map<string, bigint>();
  for (const c of expected.components) exp.set(c.code, conv(c.units));
  const billed = new Map<string, bigint>();
  for (const c of line.charges) billed.set(c.code, (billed.get(c.code) ?? 0n) + c.units);
  const expectedTotal = [...exp.values()].reduce((a, b) => a + b, 0n);
  const discrepancies: Discrepancy[] = [];
  const push = (component: DiscrepancyComponent, code: string, e: bigint, b: bigint, note?: string) =>
    discrepancies.push({
      component,
      code,
      expectedUnits: e,
      billedUnits: b,
      differenceUnits: b - e,
      ...(note ? { note } : {}),
    });

  // Freight and fuel together: fuel is a percentage of freight, so a freight error carries into it.
  const expFF = (exp.get('freight') ?? 0n) + (exp.get('fuel') ?? 0n);
  const billFF = (billed.get('freight') ?? 0n) + (billed.get('fuel') ?? 0n);
  if (abs(billFF - expFF) > tolerance) {
    const priced = (zone: string, grams: number): bigint | undefined => {
      const f = freightFor(card, zone, grams);
      if ('beyond' in f) return undefined;
      return conv(f.units) + (card.fuelPercent > 0n ? conv(fuelFor(card, f.units)) : 0n);
    };
    const near = (v: bigint | undefined) => v !== undefined && abs(v - billFF) <= tolerance;
    let explained = false;
    if (line.zone !== undefined && line.zone !== expected.zone) {
      push('zone', 'freight', expFF, billFF, `billed as zone ${line.zone}, due zone ${expected.zone}`);
      explained = true;
    } else if (line.weightGrams !== undefined && line.weightGrams !== expected.chargeableGrams) {
      push(
        'weight',
        'freight',
        expFF,
        billFF,
        `billed ${kg(line.weightGrams)} kg, due ${kg(expected.chargeableGrams)} kg`,
      );
      explained = true;
    }
    if (!explained) {
      const zone = card.zoneNames.find(
        (z) => z !== expected.zone && near(priced(z, expected.chargeableGrams)),
      );
      if (zone !== undefined) {
        push('zone', 'freight', expFF, billFF, `priced as zone ${zone}, due zone ${expected.zone}`);
        explained = true;
      }
    }
    if (!explained) {
      const max = card.breaks.at(-1)?.upToGrams ?? 0;
      for (let g = card.stepGrams; g <= max && !explained; g += card.stepGrams) {
        if (g !== expected.chargeableGrams && near(priced(expected.zone, g))) {
          push(
            'weight',
            'freight',
            expFF,
            billFF,
            `priced at ${kg(g)} kg, due ${kg(expected.chargeableGrams)} kg`,
          );
          explained = true;
        }
      }
    }
    if (!explained) {
      const billFreight = billed.get('freight') ?? 0n;
      const expFreight = exp.get('freight') ?? 0n;
      if (abs(billFreight - expFreight) <= tolerance)
        push('fuel', 'fuel', exp.get('fuel') ?? 0n, billed.get('fuel') ?? 0n);
      else push(converted ? 'fx' : 'rate', 'freight', expFF, billFF);
    }
  }

  const codes = new Set([...exp.keys(), ...billed.keys()]);
  for (const code of codes) {
    if (code === 'freight' || code === 'fuel') continue;
    const e = exp.get(code) ?? 0n;
    const b = billed.get(code) ?? 0n;
    if (abs(b - e) > tolerance)
      push('surcharge', code, e, b, e === 0n ? 'not due' : b === 0n ? 'not billed' : undefined);
  }

  const chargesSum = [...billed.values()].reduce((a, b) => a + b, 0n);
  if (abs(line.totalUnits - chargesSum) > tolerance) push('total', 'total', chargesSum, line.totalUnits);

  return {
    lineNo: line.lineNo,
    waybillNo: line.waybillNo,
    status: discrepancies.length ? 'discrepancy' : 'ok',
    expectedUnits: expectedTotal,
    billedUnits: line.totalUnits,
    differenceUnits: line.totalUnits - expectedTotal,
    discrepancies,
  };
}

function kg(grams: number): string {
  return (grams / 1000).toString();
}

export interface ExpectedLookup {
  /** The shipment's expected charge and its card, or undefined when the waybill is unknown. */
  (waybillNo: string): { card: CarrierRateCard; expected?: ExpectedCharge } | undefined;
}

/**
 * Reconciles a bill's lines: the first line of a waybill is compared, any later line billing the
 * same waybill is a duplicate, a waybill the hub never shipped is unknown.
 */
export function reconcileLines(
  lines: readonly BilledLine[],
  lookup: ExpectedLookup,
  opts: { billCurrency: string; fxFor: (from: string) => FxRate | undefined; tolerance?: bigint },
): LineVerdict[] {
  const firstLine = new Map<string, number>();
  return lines.map((line) => {
    const seen = firstLine.get(line.waybillNo);
    const whole = { billedUnits: line.totalUnits, differenceUnits: line.totalUnits, discrepancies: [] };
    if (seen !== undefined)
      return {
        lineNo: line.lineNo,
        waybillNo: line.waybillNo,
        status: 'duplicate',
        duplicateOf: seen,
        ...whole,
      };
    firstLine.set(line.waybillNo, line.lineNo);
    const found = lookup(line.waybillNo);
    if (!found)
      return { lineNo: line.lineNo, waybillNo: line.waybillNo, status: 'unknown_waybill', ...whole };
    if (!found.expected)
      return { lineNo: line.lineNo, waybillNo: line.waybillNo, status: 'not_priced', ...whole };
    const fx =
      found.expected.currency === opts.billCurrency ? undefined : opts.fxFor(found.expected.currency);
    // Without the day's rate a converted line cannot be judged: it waits for one, unflagged.
    if (found.expected.currency !== opts.billCurrency && !fx)
      return { lineNo: line.lineNo, waybillNo: line.waybillNo, status: 'not_priced', ...whole };
    return compareLine(line, {
      card: found.card,
      expected: found.expected,
      billCurrency: opts.billCurrency,
      ...(fx ? { fx } : {}),
      tolerance: opts.tolerance ?? found.card.tolerance,
    });
  });
}

const WAREHOUSE_CODES = new Set<string>(['handling', 'pick', 'outbound', 'storage']);

/**
 * Reconciles a warehouse's bill: each line bills one order (its reference is the order id), and
 * each fee is compared with the warehouse card's; a fee the card does not have is `surcharge`
 * (not due). The first line of an order is compared, later ones are duplicates; an order the hub
 * does not know is unknown. `expectedFor` gives the order's expected charge for the line (the
 * storage days are the line's own), or undefined when the hub has no such order.
 */
export function reconcileWarehouseLines(
  lines: readonly BilledLine[],
  expectedFor: (line: BilledLine) => ExpectedCharge | undefined,
  opts: { billCurrency: string; fxFor: (from: string) => FxRate | undefined; tolerance: bigint },
): LineVerdict[] {
  const firstLine = new Map<string, number>();
  return lines.map((line) => {
    const whole = { billedUnits: line.totalUnits, differenceUnits: line.totalUnits, discrepancies: [] };
    const head = { lineNo: line.lineNo, waybillNo: line.waybillNo };
    const seen = firstLine.get(line.waybillNo);
    if (seen !== undefined) return { ...head, status: 'duplicate', duplicateOf: seen, ...whole };
    firstLine.set(line.waybillNo, line.lineNo);
    const expected = expectedFor(line);
    if (!expected) return { ...head, status: 'unknown_waybill', ...whole };
    const converted = expected.currency !== opts.billCurrency;
    const fx = converted ? opts.fxFor(expected.currency) : undefined;
    if (converted && !fx) return { ...head, status: 'not_priced', ...whole };
    const conv = (u: bigint) => (fx ? convert(u, fx) : u);
    const exp = new Map(expected.components.map((c) => [c.code, conv(c.units)]));
    const billed = new Map<string, bigint>();
    for (const c of line.charges) billed.set(c.code, (billed.get(c.code) ?? 0n) + c.units);
    const discrepancies: Discrepancy[] = [];
    for (const code of new Set([...exp.keys(), ...billed.keys()])) {
      const e = exp.get(code) ?? 0n;
      const b = billed.get(code) ?? 0n;
      if (abs(b - e) <= opts.tolerance) continue;
      const note = e === 0n ? 'not due' : b === 0n ? 'not billed' : undefined;
      discrepancies.push({
        component: WAREHOUSE_CODES.has(code) ? (code as DiscrepancyComponent) : 'surcharge',
        code,
        expectedUnits: e,
        billedUnits: b,
        differenceUnits: b - e,
        ...(note ? { note } : {}),
      });
    }
    const chargesSum = [...billed.values()].reduce((a, b) => a + b, 0n);
    if (abs(line.totalUnits - chargesSum) > opts.tolerance)
      discrepancies.push({
        component: 'total',
        code: 'total',
        expectedUnits: chargesSum,
        billedUnits: line.totalUnits,
        differenceUnits: line.totalUnits - chargesSum,
      });
    const expectedTotal = [...exp.values()].reduce((a, b) => a + b, 0n);
    return {
      ...head,
      status: discrepancies.length ? 'discrepancy' : 'ok',
      expectedUnits: expectedTotal,
      billedUnits: line.totalUnits,
      differenceUnits: line.totalUnits - expectedTotal,
      discrepancies,
    };
  });
}
