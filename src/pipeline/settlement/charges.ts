/**
 * Expected charges of shipments: computed from the order's lines and destination under the
 * carrier's rate card in force on the shipment's day — when the waybill is stored (the
 * `shipment.create` job writes it in the waybill's own transaction) — and recomputed when the
 * carrier's measured weight or dimensions arrive (a tracking event that carries them, or a
 * weighing report posted to the API). Stored per shipment with the card's id and version, the
 * declared and the measured figures, so a bill months later is judged by what applied then.
 */
import {
  formatAmount,
  computeExpectedCharge,
  parcelWeightGrams,
  type ExpectedCharge,
  type ChargeRefusal,
  type ShipmentFacts,
} from '../../domain/settlement/index.js';
import type { TrackingEvent } from '../../domain/index.js';
import type { Store } from '../../store/db.js';
import type { Executor } from '../../store/transaction.js';
import { readOrder, type OrderRecord } from '../../store/orders.js';
import {
  chargeOfShipment,
  chargesForWaybills,
  shipmentIdOfWaybill,
  shipmentWithOrder,
  unpricedShipments,
  upsertCharge,
} from '../../store/settlement.js';
import type { SettlementChargesTable } from '../../store/settlement.js';
import type { RateCardBook } from './cards.js';

export interface Dims {
  length: number;
  width: number;
  height: number;
}

export interface Measured {
  weightGrams?: number;
  dimsCm?: Dims;
  /** Where the figures came from (`tracking:<event id>`, `api:<actor>`). */
  source?: string;
}

export type PriceResult =
  | { ok: true; charge: ExpectedCharge }
  | { ok: false; refusal: ChargeRefusal | { reason: 'no_card' | 'no_shipment' } };

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** What the charge computation needs from an order, and what it may learn from a measurement. */
export function shipmentFacts(
  order: Pick<OrderRecord, 'recipient' | 'items'>,
  measured?: Measured,
): ShipmentFacts {
  return {
    country: order.recipient.country,
    ...(order.recipient.postalCode ? { postalCode: order.recipient.postalCode } : {}),
    lines: order.items.map((i) => ({ quantity: i.quantity, weightGrams: i.weightGrams ?? 0 })),
    ...(measured?.weightGrams !== undefined ? { actualWeightGrams: measured.weightGrams } : {}),
    ...(measured?.dimsCm ? { dimsCm: measured.dimsCm } : {}),
  };
}

/**
 * The expected charge of a new shipment and the row that stores it, or undefined when no card
 * prices it (no card for the carrier on that day, a destination outside its zones, a parcel
 * beyond its breaks): the shipment still ships, and reconciliation reports the line `not_priced`.
 */
export function chargeForNewShipment(
  book: RateCardBook,
  s: { shipmentId: string; carrier: string; waybillNo: string; createdAt: number },
  order: Pick<OrderRecord, 'recipient' | 'items'>,
  nowMs: number,
): SettlementChargesTable | undefined {
  const card = book.carrierCard(s.carrier, day(s.createdAt));
  if (!card) return undefined;
  const facts = shipmentFacts(order);
  let r: ReturnType<typeof computeExpectedCharge>;
  try {
    r = computeExpectedCharge(card, facts);
  } catch {
    // A weight the card cannot price (out of range): the shipment still ships, unpriced.
    return undefined;
  }
  if (!r.ok) return undefined;
  return toRow(s.shipmentId, s.carrier, s.waybillNo, r.charge, 'declared', nowMs, {
    cardVersion: card.version,
    declaredGrams: parcelWeightGrams(facts),
  });
}

/** Stores a new shipment's expected charge inside the caller's transaction (the waybill's). */
export async function storeChargeForNewShipment(
  ex: Executor,
  book: RateCardBook | undefined,
  s: { shipmentId: string; carrier: string; waybillNo: string; createdAt: number },
  order: Pick<OrderRecord, 'recipient' | 'items'>,
  nowMs: number,
): Promise<boolean> {
  const row = book ? chargeForNewShipment(book, s, order, nowMs) : undefined;
  if (row) await upsertCharge(ex, row);
  return Boolean(row);
}

/**
 * Prices (or re-prices) one shipment and stores the result. With `measured`, the carrier's
 * figures replace the declared weight (and add dimensions); figures it does not give are kept
 * from an earlier measurement, so a weight today and dimensions tomorrow both count.
 */
export async function priceShipment(
  store: Store,
  book: RateCardBook,
  shipmentId: string,
  measured?: Measured,
  nowMs = Date.now(),
): Promise<PriceResult> {
  const found = await shipmentWithOrder(store.db, shipmentId);
  if (!found) return { ok: false, refusal: { reason: 'no_shipment' } };
  const { shipment, order } = found;
  const card = book.carrierCard(shipment.carrier, day(shipment.created_at));
  if (!card) return { ok: false, refusal: { reason: 'no_card' } };
  const record = await readOrder(store.keys, order);
  const before = await chargeOfShipment(store.db, shipment.id);
  let m: Measured | undefined;
  if (measured) {
    const dims =
      measured.dimsCm ?? (before?.measured_dims ? (JSON.parse(before.measured_dims) as Dims) : undefined);
    const grams = measured.weightGrams ?? before?.measured_grams ?? undefined;
    m = {
      ...(grams !== undefined && grams !== null ? { weightGrams: grams } : {}),
      ...(dims ? { dimsCm: dims } : {}),
      ...(measured.source ? { source: measured.source } : {}),
    };
  } else if (before?.basis === 'measured') {
    // Priced again (a new card, a replay): the carrier's figures still beat the declared ones.
    m = {
      ...(before.measured_grams !== null ? { weightGrams: before.measured_grams } : {}),
      ...(before.measured_dims ? { dimsCm: JSON.parse(before.measured_dims) as Dims } : {}),
      ...(before.measured_source ? { source: before.measured_source } : {}),
    };
  }
  const declared = shipmentFacts(record);
  const r = computeExpectedCharge(card, shipmentFacts(record, m));
  if (!r.ok) return r;
  await store.write((trx) =>
    upsertCharge(
      trx,
      toRow(
        shipment.id,
        shipment.carrier,
        shipment.waybill_no,
        r.charge,
        m ? 'measured' : 'declared',
        nowMs,
        {
          cardVersion: card.version,
          declaredGrams: parcelWeightGrams(declared),
          ...(m ? { measured: m, measuredAt: measured ? nowMs : (before?.measured_at ?? nowMs) } : {}),
        },
      ),
    ),
  );
  return r;
}

export function toRow(
  shipmentId: string,
  carrier: string,
  waybillNo: string,
  c: ExpectedCharge,
  basis: 'declared' | 'measured',
  nowMs: number,
  extra: { cardVersion?: string; declaredGrams?: number; measured?: Measured; measuredAt?: number } = {},
): SettlementChargesTable {
  return {
    shipment_id: shipmentId,
    carrier,
    waybill_no: waybillNo,
    card_id: c.cardId,
    currency: c.currency,
    zone: c.zone,
    chargeable_grams: c.chargeableGrams,
    components: JSON.stringify(
      c.components.map((x) => ({ code: x.code, amount: formatAmount(x.units, c.currency) })),
    ),
    total: formatAmount(c.totalUnits, c.currency),
    basis,
    computed_at: nowMs,
    card_version: extra.cardVersion ?? null,
    declared_grams: extra.declaredGrams ?? null,
    measured_grams: extra.measured?.weightGrams ?? null,
    measured_dims: extra.measured?.dimsCm ? JSON.stringify(extra.measured.dimsCm) : null,
    measured_source: extra.measured?.source ?? null,
    measured_at: extra.measured ? (extra.measuredAt ?? nowMs) : null,
  };
}

/** The stored expected charge back in domain form. */
export function fromRow(r: SettlementChargesTable, parse: (amount: string) => bigint): ExpectedCharge {
  const components = (JSON.parse(r.components) as { code: string; amount: string }[]).map((x) => ({
    code: x.code,
    units: parse(x.amount),
  }));
  return {
    cardId: r.card_id,
    currency: r.currency,
    zone: r.zone,
    chargeableGrams: r.chargeable_grams,
    components,
    totalUnits: components.reduce((a, x) => a + x.units, 0n),
  };
}

/** Prices every shipment that has a waybill and no expected charge yet; returns how many. */
export async function priceUnpriced(store: Store, book: RateCardBook, limit = 10_000): Promise<number> {
  let priced = 0;
  for (const s of await unpricedShipments(store.db, limit)) {
    const r = await priceShipment(store, book, s.id);
    if (r.ok) priced++;
  }
  return priced;
}

export { chargesForWaybills };

export interface Measurement {
  carrier: string;
  waybillNo: string;
  weightGrams?: number;
  dimsCm?: Dims;
  /** `tracking:<event id>`, `api:<actor>`: kept with the charge. */
  source: string;
}

export type MeasurementOutcome =
  | { waybillNo: string; status: 'repriced'; total: string; currency: string; chargeableGrams: number }
  | { waybillNo: string; status: 'unknown_waybill' | 'not_priced'; reason?: string };

const inRange = (n: unknown, max: number) =>
  Number.isSafeInteger(n) && (n as number) >= 1 && (n as number) <= max;

/**
 * Re-prices shipments from the carrier's weighing (a tracking scan that carries it, or a weighing
 * report). Each measurement stands alone: a waybill the hub does not know or a figure out of
 * range is reported for that waybill, the others are still applied.
 */
export async function recordMeasurements(
  store: Store,
  book: RateCardBook,
  measurements: readonly Measurement[],
  nowMs = Date.now(),
): Promise<MeasurementOutcome[]> {
  const out: MeasurementOutcome[] = [];
  for (const m of measurements) {
    const dims = m.dimsCm;
    if (
      (m.weightGrams === undefined && !dims) ||
      (m.weightGrams !== undefined && !inRange(m.weightGrams, 1_000_000)) ||
      (dims && ![dims.length, dims.width, dims.height].every((d) => inRange(d, 1000)))
    ) {
      out.push({ waybillNo: m.waybillNo, status: 'not_priced', reason: 'measurement_out_of_range' });
      continue;
    }
    const shipmentId = await shipmentIdOfWaybill(store.db, m.carrier, m.waybillNo);
    if (!shipmentId) {
      out.push({ waybillNo: m.waybillNo, status: 'unknown_waybill' });
      continue;
    }
    const r = await priceShipment(
      store,
      book,
      shipmentId,
      {
        ...(m.weightGrams !== undefined ? { weightGrams: m.weightGrams } : {}),
        ...(dims ? { dimsCm: dims } : {}),
        source: m.source,
      },
      nowMs,
    );
    out.push(
      r.ok
        ? {
            waybillNo: m.waybillNo,
            status: 'repriced',
            total: formatAmount(r.charge.totalUnits, r.charge.currency),
            currency: r.charge.currency,
            chargeableGrams: r.charge.chargeableGrams,
          }
        : { waybillNo: m.waybillNo, status: 'not_priced', reason: r.refusal.reason },
    );
  }
  return out;
}

/** The measurements tracking events carry, for recordMeasurements. */
export function measurementsOf(events: readonly TrackingEvent[]): Measurement[] {
  return events.flatMap((e) =>
    e.measured
      ? [
          {
            carrier: e.carrier,
            waybillNo: e.waybillNo,
            ...(e.measured.weightGrams !== undefined ? { weightGrams: e.measured.weightGrams } : {}),
            ...(e.measured.dimsCm ? { dimsCm: e.measured.dimsCm } : {}),
            source: `tracking:${e.eventId}`,
          },
        ]
      : [],
  );
}

/** Re-prices the shipments whose tracking events carried a measurement (no cards: nothing to do). */
export async function repriceFromTracking(
  store: Store,
  book: RateCardBook | undefined,
  events: readonly TrackingEvent[],
  nowMs = Date.now(),
): Promise<MeasurementOutcome[]> {
  if (!book || events.length === 0) return [];
  return recordMeasurements(store, book, measurementsOf(events), nowMs);
}
