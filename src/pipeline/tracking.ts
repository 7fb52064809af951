/**
 * Tracking ingestion: normalised events are stored once (de-duplicated by carrier + waybill +
 * event id), and the shipment's and order's status are recomputed from *all* events known for
 * the waybill, so late and out-of-order events land in history without moving the status
 * backwards. Events for a waybill the hub has not stored yet are kept and applied when it is.
 */
import { orderStatusFromShipment, resolveShipmentStatus, type TrackingEvent } from '../domain/index.js';
import type { Executor } from '../store/transaction.js';
import type { DialectName, Store } from '../store/db.js';
import { insertInboundMessage } from '../store/inbound-messages.js';
import type { RawInbound } from './accept-order.js';
import { eventsForWaybill, insertEvents } from '../store/tracking.js';
import { setOrderStatus } from '../store/orders.js';
import { shipmentByWaybill, shipmentForUpdate, updateShipment } from '../store/shipments.js';
import type { PartnerValueIssue } from '../domain/partner-values.js';
import { screenTrackingEvents } from './partner-values.js';
import { announceStatusChange } from './jobs/fulfilment-send.js';
import { applyReturnTracking } from './returns.js';

export interface IngestResult {
  received: number;
  inserted: number;
  shipmentsUpdated: number;
  /** Events left out because a value was outside the canonical bounds (issue 16), and why. */
  refused: number;
  issues: PartnerValueIssue[];
  /** Accepted events that carry the carrier's measured weight or dimensions (they re-price). */
  measured: TrackingEvent[];
}

/**
 * Stores events (and the raw push they came in, when given) in one transaction and applies them.
 * A push whose delivery id was already stored is a re-delivery: acknowledged, not re-applied.
 * Every event passes the canonical bounds first (domain/partner-values.ts): one outside them is
 * left out and counted, never stored — whichever way it came (poll, push, file). `waybills`, when
 * given, are the only ones the events may concern (a poll's own question).
 */
export async function ingestTrackingEvents(
  store: Store,
  given: readonly TrackingEvent[],
  nowMs = Date.now(),
  raw?: RawInbound,
  waybills?: ReadonlySet<string>,
): Promise<IngestResult> {
  const { accepted: events, refused, issues } = screenTrackingEvents(given, nowMs, waybills);
  const measured = events.filter((e) => e.measured !== undefined);
  if (events.length === 0 && !raw)
    return { received: given.length, inserted: 0, shipmentsUpdated: 0, refused, issues, measured };
  return store.write(async (trx) => {
    if (raw && !(await insertInboundMessage(trx, store.keys.cipher, raw, nowMs)))
      return { received: given.length, inserted: 0, shipmentsUpdated: 0, refused, issues, measured: [] };
    const inserted = await insertEvents(trx, events, nowMs);
    let shipmentsUpdated = 0;
    if (inserted > 0) {
      const waybills = new Map<string, { carrier: string; waybillNo: string }>();
      for (const e of events)
        waybills.set(`${e.carrier}\u0000${e.waybillNo}`, { carrier: e.carrier, waybillNo: e.waybillNo });
      for (const w of waybills.values()) {
        if (await applyTracking(trx, w.carrier, w.waybillNo, nowMs, store.dialect)) shipmentsUpdated++;
        // A return parcel's waybill is no shipment of an order: its return follows it instead.
        else await applyReturnTracking(trx, w.carrier, w.waybillNo, nowMs);
      }
    }
    return { received: given.length, inserted, shipmentsUpdated, refused, issues, measured };
  });
}

/** Recomputes one shipment (and its order) from every stored event of its waybill. */
export async function applyTracking(
  ex: Executor,
  carrier: string,
  waybillNo: string,
  nowMs: number,
  dialect: DialectName,
): Promise<boolean> {
  // Two pushes for one parcel may be ingested at once on PostgreSQL (read committed): the row
  // lock makes the second wait and then recompute from both, so a "delivered" is never
  // overwritten by a transaction that could not see it, and the events are read after the lock.
  // SQLite has a single writer: the events are read first, as most calls (every new shipment)
  // find none and can stop there.
  const locked = dialect === 'postgres';
  let events = locked ? [] : await eventsForWaybill(ex, carrier, waybillNo);
  if (!locked && events.length === 0) return false;
  const shipment = (await (locked ? shipmentForUpdate : shipmentByWaybill)(ex, { carrier, waybillNo }))
    .rows[0];
  if (!shipment) return false;
  if (locked) events = await eventsForWaybill(ex, carrier, waybillNo);
  if (events.length === 0) return false;
  const status = resolveShipmentStatus(events, 'info_received');
  const newest = events.at(-1);
  const eta =
    [...events].reverse().find((e) => e.estimatedDelivery)?.estimatedDelivery ?? shipment.estimated_delivery;
  await updateShipment(ex, {
    id: shipment.id,
    status,
    lastEventAt: newest ? Date.parse(newest.occurredAt) : null,
    eta,
    nowMs,
  });
  const latest = events.filter((e) => e.code !== 'UNKNOWN').at(-1);
  const note = latest
    ? `${carrier} ${waybillNo}: ${latest.code}${latest.reason ? ` (${latest.reason})` : ''}`
    : `${carrier} ${waybillNo}`;
  await setOrderStatus(ex, shipment.order_id, orderStatusFromShipment(status), note, nowMs);
  if (status === shipment.status) return false;
  // The platform the order came from hears of the move (when it is told about its shipment).
  await announceStatusChange(ex, shipment.order_id, nowMs);
  return true;
}
