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
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
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

/** The sandbox's bill desk: the carriers' bills of a period, issued once and kept. */
export class SandboxBilling {
  readonly ledger = new ShipmentLedger();
  readonly #cards: Map<string, CarrierRateCard>;
  readonly #opts: BillingOptions;
  readonly #issued = new Map<string, SandboxBill>();
  /**
   * Each sandbox start is a new customer account at the carriers, so its bill numbers are its
   * own: a demo run again against the same database receives new bills, not a "different bill
   * under a number already received".
   */
  readonly #account = randomBytes(3).toString('hex').toUpperCase();
  constructor(cards: readonly CarrierRateCard[], opts: BillingOptions) {
    this.#cards = new Map(cards.map((c) => [c.partner, c]));
    this.#opts = opts;
  }

  /** The carrier's bill of `period` (issued on first request, today); undefined without a card. */
  bill(carrier: string, period: string, nowMs = Date.now()): SandboxBill | undefined {
    const key = `${carrier}/${period}`;
    const issued = this.#issued.get(key);
    if (issued) return issued;
    const card = this.#cards.get(carrier);
    if (!card) return undefined;
    const bill = issueSandboxBill(
      card,
      this.ledger.of(carrier, period),
      {
        billNo: `${carrier === 'carrier-alpha' ? 'ALP' : 'BET'}-${this.#account}-${period}`,
        period,
        issuedOn: new Date(nowMs).toISOString().slice(0, 10),
      },
      this.#opts,
    );
    this.#issued.set(key, bill);
    return bill;
  }

  /** Every bill issued so far with its planted lines (for tests and the demo). */
  issued(): SandboxBill[] {
    return [...this.#issued.values()];
  }
}

/**
 * Mounts the bill endpoints: `GET /alpha/v1/bills?period=` (JSON) and `GET /beta/bills.csv?period=`.
 * Served on loopback only, like the sandbox's credentials: the bills name real test waybills.
 */
export function registerBilling(app: FastifyInstance, billing: SandboxBilling): void {
  const period = (q: unknown) => {
    const p = (q as { period?: unknown } | undefined)?.period;
    return typeof p === 'string' && /^\d{4}-(0[1-9]|1[0-2])$/.test(p) ? p : undefined;
  };
  const loopback = (ip: string) => ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
  app.get('/alpha/v1/bills', async (req, reply) => {
    if (!loopback(req.ip))
      return reply.code(403).send({ errors: [{ code: 'forbidden', message: 'loopback only' }] });
    const p = period(req.query);
    if (!p)
      return reply
        .code(400)
        .send({ errors: [{ code: 'invalid_period', message: 'period must be YYYY-MM' }] });
    const bill = billing.bill('carrier-alpha', p);
    if (!bill) return reply.code(404).send({ errors: [{ code: 'not_found', message: 'no tariff' }] });
    return reply.type('application/json').send(renderAlphaBill(bill));
  });
  app.get('/beta/bills.csv', async (req, reply) => {
    if (!loopback(req.ip)) return reply.code(403).send('loopback only\n');
    const p = period(req.query);
    if (!p) return reply.code(400).send('period must be YYYY-MM\n');
    const bill = billing.bill('carrier-beta', p);
    if (!bill) return reply.code(404).send('no tariff\n');
    return reply.type('text/csv; charset=utf-8').send(renderBetaBill(bill));
  });
  app.get('/__billing', async () => ({
    bills: billing.issued().map((b) => ({
      carrier: b.carrier,
      billNo: b.billNo,
      period: b.period,
      lines: b.lines.length,
      planted: b.planted,
    })),
  }));
}
