/**
 * Reconciling a stored bill [003-5.9]: each line is matched to its shipment's expected charge
 * (pricing shipments not priced yet), judged line by line (domain/settlement/reconcile.ts), and
 * stored with its discrepancies in the bill's currency and in the seller's reporting currency,
 * each converted line keeping the rate and day used. Re-running replaces the previous verdicts.
 */
import { WaygateError } from '../../domain/index.js';
import {
  convert,
  formatAmount,
  isPeriod,
  parseSignedAmount,
  reconcileLines,
  reconcileWarehouseLines,
  computeWarehouseCharge,
  type BilledLine,
  type ExpectedCharge,
  type FxRate,
  type LineVerdict,
} from '../../domain/settlement/index.js';
import type { Store } from '../../store/db.js';
import { recordAudit } from '../../store/audit.js';
import {
  billsOf,
  chargesForWaybills,
  getBill,
  linesOf,
  orderUnits,
  saveReconciliation,
  shipmentsForWaybills,
  unbilledWaybills,
  type SettlementBillsTable,
  type SettlementLinesTable,
} from '../../store/settlement.js';
import type { RateCardBook } from './cards.js';
import { fromRow, priceShipment } from './charges.js';
import { resolveRate, type FxSource } from './fx.js';

export const DEFAULT_REPORTING_CURRENCY = 'CNY';

export interface ReconcileOptions {
  reportingCurrency?: string;
  fx?: FxSource;
  actor: string;
  nowMs?: number;
}

export interface ReconcileSummary {
  billId: string;
  billNo: string;
  partnerId: string;
  currency: string;
  reportingCurrency: string;
  lines: number;
  ok: number;
  flagged: number;
  byStatus: Record<string, number>;
  byComponent: Record<string, number>;
  billed: string;
  expected: string;
  /** Billed minus expected over the flagged lines, in the bill's currency and the reporting one. */
  overcharged: string;
  overchargedReporting: string | null;
  fx: { rate: string; day: string; source: string } | null;
}

const parse = parseSignedAmount;

function billedLineOf(row: SettlementLinesTable, currency: string): BilledLine {
  const d = JSON.parse(row.detail) as {
    weightGrams?: number;
    zone?: string;
    storageDays?: number;
    charges: { code: string; amount: string }[];
  };
  void currency;
  return {
    lineNo: row.line_no,
    waybillNo: row.waybill_no,
    ...(d.weightGrams !== undefined ? { weightGrams: d.weightGrams } : {}),
    ...(d.zone !== undefined ? { zone: d.zone } : {}),
    ...(d.storageDays !== undefined ? { storageDays: d.storageDays } : {}),
    charges: d.charges.map((c) => ({ code: c.code, units: parse(c.amount) })),
    totalUnits: parse(row.billed),
  };
}

export async function reconcileBill(
  store: Store,
  book: RateCardBook,
  billId: string,
  opts: ReconcileOptions,
): Promise<ReconcileSummary> {
  const nowMs = opts.nowMs ?? Date.now();
  const bill = await getBill(store.db, billId);
  if (!bill) throw new WaygateError('settlement_bill_not_found');
  const reporting = opts.reportingCurrency ?? DEFAULT_REPORTING_CURRENCY;
  const rows = await linesOf(store.db, billId);
  const lines = rows.map((r) => billedLineOf(r, bill.currency));
  const waybills = [...new Set(lines.map((l) => l.waybillNo))];
  const rates = new Map<string, FxRate | undefined>();
  const rate = async (base: string, quote: string) => {
    const key = `${base}/${quote}`;
    if (!rates.has(key))
      rates.set(key, await resolveRate(store, base, quote, bill.issued_on, opts.fx, nowMs));
    return rates.get(key);
  };
  const verdicts =
    book.anyCard(bill.partner_id)?.kind === 'warehouse'
      ? await warehouseVerdicts(store, book, bill, lines, rate)
      : await carrierVerdicts(store, book, bill, lines, waybills, rate, nowMs);
  const toReporting = await rate(bill.currency, reporting);
  return saveVerdicts(store, bill, rows, verdicts, reporting, toReporting, opts.actor, nowMs);
}

type RateOf = (base: string, quote: string) => Promise<FxRate | undefined>;

/** A warehouse bill: each line is an order (its reference), priced by the warehouse card. */
async function warehouseVerdicts(
  store: Store,
  book: RateCardBook,
  bill: SettlementBillsTable,
  lines: BilledLine[],
  rate: RateOf,
): Promise<LineVerdict[]> {
  const card = book.warehouseCard(bill.partner_id, bill.issued_on);
  if (!card) throw new WaygateError('settlement_no_rate_card');
  const units = new Map(
    (await orderUnits(store.db, [...new Set(lines.map((l) => l.waybillNo))])).map((o) => [o.id, o.units]),
  );
  const fx = await rate(card.currency, bill.currency);
  return reconcileWarehouseLines(
    lines,
    (line) => {
      const u = units.get(line.waybillNo);
      return u === undefined
        ? undefined
        : computeWarehouseCharge(card, {
            units: u,
            ...(line.storageDays !== undefined ? { storageDays: line.storageDays } : {}),
          });
    },
    { billCurrency: bill.currency, fxFor: () => fx, tolerance: card.tolerance },
  );
}

async function carrierVerdicts(
  store: Store,
  book: RateCardBook,
  bill: SettlementBillsTable,
  lines: BilledLine[],
  waybills: string[],
  rate: RateOf,
  nowMs: number,
): Promise<LineVerdict[]> {
  // Expected charges: stored ones, and shipments priced now when their charge is missing.
  const shipments = await shipmentsForWaybills(store.db, bill.partner_id, waybills);
  const charges = new Map(
    (await chargesForWaybills(store.db, bill.partner_id, waybills)).map((c) => [c.waybill_no, c]),
  );
  const expected = new Map<string, ExpectedCharge>();
  for (const s of shipments) {
    const c = charges.get(s.waybill_no);
    if (c) expected.set(s.waybill_no, fromRow(c, parse));
    else {
      const r = await priceShipment(store, book, s.id, undefined, nowMs);
      if (r.ok) expected.set(s.waybill_no, r.charge);
    }
  }
  const known = new Set(shipments.map((s) => s.waybill_no));
  const cardFor = book.carrierCard(bill.partner_id, bill.issued_on) ?? book.anyCard(bill.partner_id);
  if (!cardFor || cardFor.kind !== 'carrier') throw new WaygateError('settlement_no_rate_card');

  // Rates of the bill's day: card currency → bill currency (bill → reporting: the caller's).
  const fxOf = new Map<string, FxRate | undefined>();
  for (const e of expected.values())
    if (!fxOf.has(e.currency)) fxOf.set(e.currency, await rate(e.currency, bill.currency));

  return reconcileLines(
    lines,
    (w) => {
      if (!known.has(w)) return undefined;
      const e = expected.get(w);
      const card = (e && book.cards.find((c) => c.id === e.cardId)) || cardFor;
      return card.kind === 'carrier' ? { card, ...(e ? { expected: e } : {}) } : undefined;
    },
    { billCurrency: bill.currency, fxFor: (from) => fxOf.get(from) },
  );
}

/** Stores the verdicts in both currencies with the rate and day used, audited, and sums them up. */
async function saveVerdicts(
  store: Store,
  bill: SettlementBillsTable,
  rows: SettlementLinesTable[],
  verdicts: LineVerdict[],
  reporting: string,
  toReporting: FxRate | undefined,
  actor: string,
  nowMs: number,
): Promise<ReconcileSummary> {
  const billId = bill.id;

  const rep = (u: bigint) => (toReporting ? formatAmount(convert(u, toReporting), reporting) : null);
  const out: SettlementLinesTable[] = verdicts.map((v, i) => {
    const row = rows[i]!;
    return {
      ...row,
      status: v.status,
      expected: v.expectedUnits !== undefined ? formatAmount(v.expectedUnits, bill.currency) : null,
      difference: formatAmount(v.differenceUnits, bill.currency),
      discrepancies: JSON.stringify([
        ...v.discrepancies.map((d) => ({
          component: d.component,
          code: d.code,
          expected: formatAmount(d.expectedUnits, bill.currency),
          billed: formatAmount(d.billedUnits, bill.currency),
          difference: formatAmount(d.differenceUnits, bill.currency),
          differenceReporting: rep(d.differenceUnits),
          ...(d.note ? { note: d.note } : {}),
        })),
        ...(v.duplicateOf !== undefined ? [{ component: 'duplicate', duplicateOf: v.duplicateOf }] : []),
      ]),
      reporting_currency: toReporting ? reporting : null,
      billed_reporting: rep(v.billedUnits),
      difference_reporting: rep(v.differenceUnits),
      fx_rate: toReporting?.rate ?? null,
      fx_day: toReporting ? toReporting.day : null,
      fx_source: toReporting?.source ?? null,
    };
  });
  const summary = summarise(bill, verdicts, reporting, toReporting);
  await store.write(async (trx) => {
    await saveReconciliation(trx, billId, out, nowMs);
    await recordAudit(
      trx,
      {
        actor,
        action: 'settlement.reconcile',
        target: billId,
        detail: {
          partner: bill.partner_id,
          lines: summary.lines,
          flagged: summary.flagged,
          byComponent: summary.byComponent,
        },
        outcome: 'ok',
      },
      nowMs,
    );
  });
  return summary;
}

function summarise(
  bill: SettlementBillsTable,
  verdicts: readonly LineVerdict[],
  reporting: string,
  toReporting: FxRate | undefined,
): ReconcileSummary {
  const byStatus: Record<string, number> = {};
  const byComponent: Record<string, number> = {};
  let billed = 0n;
  let expected = 0n;
  let over = 0n;
  for (const v of verdicts) {
    byStatus[v.status] = (byStatus[v.status] ?? 0) + 1;
    billed += v.billedUnits;
    expected += v.expectedUnits ?? 0n;
    if (v.status !== 'ok') over += v.differenceUnits;
    if (v.status === 'duplicate') byComponent.duplicate = (byComponent.duplicate ?? 0) + 1;
    if (v.status === 'unknown_waybill') byComponent.unknown_waybill = (byComponent.unknown_waybill ?? 0) + 1;
    for (const d of v.discrepancies) byComponent[d.component] = (byComponent[d.component] ?? 0) + 1;
  }
  return {
    billId: bill.id,
    billNo: bill.bill_no,
    partnerId: bill.partner_id,
    currency: bill.currency,
    reportingCurrency: reporting,
    lines: verdicts.length,
    ok: byStatus.ok ?? 0,
    flagged: verdicts.length - (byStatus.ok ?? 0),
    byStatus,
    byComponent,
    billed: formatAmount(billed, bill.currency),
    expected: formatAmount(expected, bill.currency),
    overcharged: formatAmount(over, bill.currency),
    overchargedReporting: toReporting ? formatAmount(convert(over, toReporting), reporting) : null,
    fx: toReporting ? { rate: toReporting.rate, day: toReporting.day, source: toReporting.source } : null,
  };
}

/** Reconciles every bill of a partner's period, and lists its shipments no bill has charged. */
export async function reconcilePeriod(
  store: Store,
  book: RateCardBook,
  partnerId: string,
  period: string,
  opts: ReconcileOptions,
): Promise<{ bills: ReconcileSummary[]; neverBilled: string[] }> {
  if (!isPeriod(period)) throw new WaygateError('settlement_period_invalid');
  const bills = [];
  for (const b of await billsOf(store.db, partnerId, period))
    bills.push(await reconcileBill(store, book, b.id, opts));
  const [y, m] = period.split('-').map(Number) as [number, number];
  const neverBilled = await unbilledWaybills(store.db, partnerId, Date.UTC(y, m - 1, 1), Date.UTC(y, m, 1));
  return { bills, neverBilled };
}
