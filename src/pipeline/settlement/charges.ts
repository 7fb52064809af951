/**
 * Expected charges of shipments: computed from the order's lines and destination under the
 * carrier's rate card in force on the shipment's day, and recomputed when the carrier's measured
 * weight or dimensions arrive. Stored per shipment, so a bill months later is judged by the card
 * that applied when the parcel left.
 */
import {
  formatAmount,
  computeExpectedCharge,
  type ExpectedCharge,
  type ChargeRefusal,
} from '../../domain/settlement/index.js';
import type { Store } from '../../store/db.js';
import { readOrder } from '../../store/orders.js';
import {
  chargesForWaybills,
  shipmentWithOrder,
  unpricedShipments,
  upsertCharge,
} from '../../store/settlement.js';
import type { SettlementChargesTable } from '../../store/settlement.js';
import type { RateCardBook } from './cards.js';

export interface Measured {
  weightGrams?: number;
  dimsCm?: { length: number; width: number; height: number };
}

export type PriceResult =
  | { ok: true; charge: ExpectedCharge }
  | { ok: false; refusal: ChargeRefusal | { reason: 'no_card' | 'no_shipment' } };

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

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
  const r = computeExpectedCharge(card, {
    country: record.recipient.country,
    ...(record.recipient.postalCode ? { postalCode: record.recipient.postalCode } : {}),
    lines: record.items.map((i) => ({ quantity: i.quantity, weightGrams: i.weightGrams ?? 0 })),
    ...(measured?.weightGrams !== undefined ? { actualWeightGrams: measured.weightGrams } : {}),
    ...(measured?.dimsCm ? { dimsCm: measured.dimsCm } : {}),
  });
  if (!r.ok) return r;
  await store.write((trx) =>
    upsertCharge(
      trx,
      toRow(
        shipment.id,
        shipment.carrier,
        shipment.waybill_no,
        r.charge,
        measured ? 'measured' : 'declared',
        nowMs,
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
