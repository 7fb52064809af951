/**
 * A sandbox warehouse's monthly statement: one row per order it shipped — handling, pick per
 * unit, outbound and storage for the days it held the goods — priced by its rate card, with a
 * configurable share of planted over-charges: storage at a higher rate, a unit too many picked,
 * a fee the card does not have, an order billed twice. Written apart from the hub's settlement
 * code: it prices with the domain's charge function and renders the warehouse's own JSON.
 */
import { computeWarehouseCharge, formatAmount, type WarehouseRateCard } from '../domain/settlement/index.js';

export const WAREHOUSE_PLANTED_KINDS = ['storage_rate', 'pick_units', 'fee_not_due', 'duplicate'] as const;
export type WarehousePlantedKind = (typeof WAREHOUSE_PLANTED_KINDS)[number];

export interface WarehouseShipped {
  /** The hub's order id: the reference the warehouse was given with the outbound order. */
  orderRef: string;
  units: number;
  storageDays: number;
}

export interface WarehouseBillRow {
  no: number;
  orderRef: string;
  storageDays: number;
  /** Fee code → 1/10,000 units of the card's currency. */
  fees: Record<string, bigint>;
  totalUnits: bigint;
}

export interface WarehouseBill {
  statementNo: string;
  warehouse: string;
  currency: string;
  month: string;
  statementDate: string;
  rows: WarehouseBillRow[];
  planted: { no: number; orderRef: string; kind: WarehousePlantedKind }[];
}

export function issueWarehouseBill(
  card: WarehouseRateCard,
  shipped: readonly WarehouseShipped[],
  meta: { statementNo: string; month: string; statementDate: string },
  opts: { overchargeShare: number; random?: () => number },
): WarehouseBill {
  const random = opts.random ?? Math.random;
  const rows: WarehouseBillRow[] = [];
  const planted: WarehouseBill['planted'] = [];
  const add = (orderRef: string, storageDays: number, fees: Record<string, bigint>) => {
    const row = {
      no: rows.length + 1,
      orderRef,
      storageDays,
      fees,
      totalUnits: Object.values(fees).reduce((a, b) => a + b, 0n),
    };
    rows.push(row);
    return row;
  };
  for (const s of shipped) {
    const due = computeWarehouseCharge(card, { units: s.units, storageDays: s.storageDays });
    const fees = Object.fromEntries(due.components.map((c) => [c.code, c.units]));
    if (random() >= opts.overchargeShare) {
      add(s.orderRef, s.storageDays, fees);
      continue;
    }
    const kind = WAREHOUSE_PLANTED_KINDS[Math.floor(random() * WAREHOUSE_PLANTED_KINDS.length)]!;
    if (kind === 'storage_rate' && s.storageDays > 0 && card.storagePerUnitDay > 0n) {
      // Last year's storage tariff, half as dear again.
      const storage = computeWarehouseCharge(
        { ...card, storagePerUnitDay: (card.storagePerUnitDay * 3n) / 2n },
        { units: s.units, storageDays: s.storageDays },
      ).components.find((c) => c.code === 'storage')!.units;
      planted.push({
        no: add(s.orderRef, s.storageDays, { ...fees, storage }).no,
        orderRef: s.orderRef,
        kind,
      });
    } else if (kind === 'pick_units' && card.perUnit > 0n) {
      const pick = computeWarehouseCharge(card, { units: s.units + 1 }).components.find(
        (c) => c.code === 'pick',
      )!;
      planted.push({
        no: add(s.orderRef, s.storageDays, { ...fees, pick: pick.units }).no,
        orderRef: s.orderRef,
        kind,
      });
    } else if (kind === 'duplicate') {
      add(s.orderRef, s.storageDays, fees);
      planted.push({ no: add(s.orderRef, s.storageDays, fees).no, orderRef: s.orderRef, kind });
    } else {
      // A packaging fee the card does not have: 2 units of the currency.
      const row = add(s.orderRef, s.storageDays, { ...fees, packaging: 20_000n });
      planted.push({ no: row.no, orderRef: s.orderRef, kind: 'fee_not_due' });
    }
  }
  return {
    statementNo: meta.statementNo,
    warehouse: card.partner,
    currency: card.currency,
    month: meta.month,
    statementDate: meta.statementDate,
    rows,
    planted,
  };
}

/** The warehouse's statement as it sends it: its own JSON field names. */
export function renderWarehouseBill(b: WarehouseBill): string {
  const amount = (u: bigint | undefined) => (u === undefined ? undefined : formatAmount(u, b.currency));
  return JSON.stringify({
    statement_no: b.statementNo,
    currency: b.currency,
    statement_date: b.statementDate,
    month: b.month,
    rows: b.rows.map((r) => ({
      no: r.no,
      order_ref: r.orderRef,
      storage_days: r.storageDays,
      handling_fee: amount(r.fees.handling),
      pick_fee: amount(r.fees.pick),
      outbound_fee: amount(r.fees.outbound),
      storage_fee: amount(r.fees.storage),
      packaging_fee: amount(r.fees.packaging),
      line_total: amount(r.totalUnits),
    })),
  });
}
