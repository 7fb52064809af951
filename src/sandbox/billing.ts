/**
 * Sandbox carrier bills [003-5.9]: each sandbox carrier keeps a ledger of the parcels it took
 * and bills them per month under its rate card, the way a real carrier would — and, at a
 * configurable share, with the over-charges sellers meet in practice: a wrong weight break, a
 * wrong zone, a duplicate line, a surcharge that is not due. What was planted is recorded so a
 * test or the demo can check the hub finds exactly those lines.
 *
 * Carrier Alpha serves its bill as JSON (`GET /alpha/v1/bills?period=YYYY-MM`), Carrier Beta as
 * CSV (`GET /beta/bills.csv?period=YYYY-MM`), each in its own field names.
 */
import {
  computeExpectedCharge,
  formatAmount,
  freightFor,
  fuelFor,
  type CarrierRateCard,
  type ChargeComponent,
} from '../domain/settlement/index.js';

export interface LedgerEntry {
  carrier: string;
  waybillNo: string;
  country: string;
  postalCode?: string;
  weightGrams: number;
  atMs: number;
}

/** What a sandbox carrier remembers of every parcel it accepted, for its bills. */
export class ShipmentLedger {
  readonly #entries: LedgerEntry[] = [];
  record(entry: LedgerEntry): void {
    this.#entries.push(entry);
  }
  of(carrier: string, period?: string): LedgerEntry[] {
    return this.#entries.filter(
      (e) => e.carrier === carrier && (!period || new Date(e.atMs).toISOString().slice(0, 7) === period),
    );
  }
}

export const PLANTED_KINDS = ['weight_break', 'zone', 'duplicate', 'surcharge'] as const;
export type PlantedKind = (typeof PLANTED_KINDS)[number];

export interface SandboxBillLine {
  lineNo: number;
  waybillNo: string;
  weightGrams: number;
  zone: string;
  /** Code → amount, 1/10,000 units of the card's currency. */
  charges: ChargeComponent[];
  totalUnits: bigint;
}

export interface PlantedLine {
  lineNo: number;
  waybillNo: string;
  kind: PlantedKind;
}

export interface SandboxBill {
  billNo: string;
  carrier: string;
  currency: string;
  period: string;
  issuedOn: string;
  lines: SandboxBillLine[];
  planted: PlantedLine[];
}

export interface BillingOptions {
  /** Share of parcels billed with a planted over-charge, 0 to 1 (default 0.1). */
  overchargeShare: number;
  /** Deterministic randomness for which lines and which kind (default Math.random). */
  random?: () => number;
}

const total = (charges: readonly ChargeComponent[]) => charges.reduce((a, c) => a + c.units, 0n);

function withFreight(card: CarrierRateCard, charges: ChargeComponent[], freight: bigint): ChargeComponent[] {
  const out = charges.map((c) =>
    c.code === 'freight'
      ? { ...c, units: freight }
      : c.code === 'fuel'
        ? { ...c, units: fuelFor(card, freight) }
        : c,
  );
  return out;
}

/**
 * Bills every ledger entry of the period under `card`; a planted line's kind is the first of a
 * random start in PLANTED_KINDS that can apply to it (a parcel in the heaviest break cannot be
 * moved up a break, a card of one zone has no wrong zone).
 */
export function issueSandboxBill(
  card: CarrierRateCard,
  entries: readonly LedgerEntry[],
  meta: { billNo: string; period: string; issuedOn: string },
  opts: BillingOptions,
): SandboxBill {
  const random = opts.random ?? Math.random;
  const lines: SandboxBillLine[] = [];
  const planted: PlantedLine[] = [];
  const add = (l: Omit<SandboxBillLine, 'lineNo'>) => {
    const line = { ...l, lineNo: lines.length + 1 };
    lines.push(line);
    return line;
  };
  for (const e of entries) {
    const r = computeExpectedCharge(card, {
      country: e.country,
      ...(e.postalCode ? { postalCode: e.postalCode } : {}),
      lines: [{ quantity: 1, weightGrams: e.weightGrams }],
    });
    if (!r.ok) continue;
    const due = r.charge;
    const honest = {
      waybillNo: e.waybillNo,
      weightGrams: due.chargeableGrams,
      zone: due.zone,
      charges: due.components,
    };
    if (random() >= opts.overchargeShare) {
      add({ ...honest, totalUnits: due.totalUnits });
      continue;
    }
    const start = Math.floor(random() * PLANTED_KINDS.length);
    let done = false;
    for (let k = 0; k < PLANTED_KINDS.length && !done; k++) {
      const kind = PLANTED_KINDS[(start + k) % PLANTED_KINDS.length]!;
      const freight = due.components.find((c) => c.code === 'freight')?.units ?? 0n;
      if (kind === 'weight_break') {
        const idx = card.breaks.findIndex((b) => due.chargeableGrams <= b.upToGrams);
        const next = card.breaks[idx + 1];
        if (!next) continue;
        const grams = next.upToGrams;
        const f = freightFor(card, due.zone, grams);
        if ('beyond' in f || f.units <= freight) continue;
        const charges = withFreight(card, due.components, f.units);
        const line = add({ ...honest, weightGrams: grams, charges, totalUnits: total(charges) });
        planted.push({ lineNo: line.lineNo, waybillNo: e.waybillNo, kind });
        done = true;
      } else if (kind === 'zone') {
        const zone = card.zoneNames.find((z) => {
          const f = freightFor(card, z, due.chargeableGrams);
          return z !== due.zone && !('beyond' in f) && f.units > freight;
        });
        if (zone === undefined) continue;
        const f = freightFor(card, zone, due.chargeableGrams) as { units: bigint };
        const charges = withFreight(card, due.components, f.units);
        const line = add({ ...honest, zone, charges, totalUnits: total(charges) });
        planted.push({ lineNo: line.lineNo, waybillNo: e.waybillNo, kind });
        done = true;
      } else if (kind === 'duplicate') {
        add({ ...honest, totalUnits: due.totalUnits });
        const line = add({ ...honest, totalUnits: due.totalUnits });
        planted.push({ lineNo: line.lineNo, waybillNo: e.waybillNo, kind });
        done = true;
      } else {
        const extra = card.surcharges.find((s) => !due.components.some((c) => c.code === s.code));
        if (!extra) continue;
        const charges = [...due.components, { code: extra.code, units: extra.amount }];
        const line = add({ ...honest, charges, totalUnits: total(charges) });
        planted.push({ lineNo: line.lineNo, waybillNo: e.waybillNo, kind });
        done = true;
      }
    }
    if (!done) add({ ...honest, totalUnits: due.totalUnits });
  }
  return { ...meta, carrier: card.partner, currency: card.currency, lines, planted };
}

const amount = (units: bigint, currency: string) => formatAmount(units, currency);
const chargeOf = (l: SandboxBillLine, code: string) => l.charges.find((c) => c.code === code)?.units ?? 0n;

/** Carrier Alpha's bill format (JSON, its own field names). */
export function renderAlphaBill(bill: SandboxBill): string {
  return JSON.stringify({
    invoice_no: bill.billNo,
    billing_period: bill.period,
    issue_date: bill.issuedOn,
    currency: bill.currency,
    items: bill.lines.map((l) => ({
      seq: l.lineNo,
      awb: l.waybillNo,
      chargeable_weight_kg: (l.weightGrams / 1000).toString(),
      zone: l.zone,
      freight: amount(chargeOf(l, 'freight'), bill.currency),
      fuel_surcharge: amount(chargeOf(l, 'fuel'), bill.currency),
      remote_area_fee: amount(chargeOf(l, 'remote_area'), bill.currency),
      oversize_fee: amount(chargeOf(l, 'oversize'), bill.currency),
      amount: amount(l.totalUnits, bill.currency),
    })),
  });
}

/** Carrier Beta's bill format (CSV with a header row; it states no zone). */
export function renderBetaBill(bill: SandboxBill): string {
  const rows = [
    [
      'Bill No',
      'Bill Date',
      'Billing Month',
      'Currency',
      'Line',
      'Waybill No',
      'Weight (kg)',
      'Freight',
      'Fuel',
      'Oversize',
      'Total',
    ],
  ];
  for (const l of bill.lines) {
    rows.push([
      bill.billNo,
      bill.issuedOn,
      bill.period,
      bill.currency,
      String(l.lineNo),
      l.waybillNo,
      (l.weightGrams / 1000).toString(),
      amount(chargeOf(l, 'freight'), bill.currency),
      amount(chargeOf(l, 'fuel'), bill.currency),
      amount(chargeOf(l, 'oversize'), bill.currency),
      amount(l.totalUnits, bill.currency),
    ]);
  }
  return rows.map((r) => r.join(',')).join('\r\n') + '\r\n';
}
