/**
 * Tracking ingestion: normalised events are stored once (de-duplicated by carrier + waybill +
 * event id), and the shipment's and order's status are recomputed from *all* events known for
 * the waybill, so late and out-of-order events land in history without moving the status
 * backwards. Events for a waybill the hub has not stored yet are kept and applied when it is.
 */
import { orderStatusFromShipment, resolveShipmentStatus, type TrackingEvent } from '../domain/index.js';
import type { Executor } from '../store/queue.js';
import type { DialectName, Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import { INBOUND_BODY_CONTEXT } from '../store/inbound-messages.js';
import type { RawInbound } from './accept-order.js';
import { eventsForWaybill, insertEvents } from '../store/tracking.js';
import { setOrderStatus } from '../store/orders.js';

export interface IngestResult {
  received: number;
  inserted: number;
  shipmentsUpdated: number;
}

/**
 * Stores events (and the raw push they came in, when given) in one transaction and applies them.
 * A push whose delivery id was already stored is a re-delivery: acknowledged, not re-applied.
 */
export async function ingestTrackingEvents(
  store: Store,
  events: readonly TrackingEvent[],
  nowMs = Date.now(),
  raw?: RawInbound,
): Promise<IngestResult> {
  if (events.length === 0 && !raw) return { received: 0, inserted: 0, shipmentsUpdated: 0 };
  return store.write(async (trx) => {
    if (raw) {
      const res = await trx
        .insertInto('inbound_messages')
        .values({
          id: newId('msg', nowMs),
          partner_id: raw.partnerId,
          kind: raw.kind,
          dedupe_key: raw.dedupeKey,
          received_at: nowMs,
          body: store.keys.cipher.seal(raw.body, INBOUND_BODY_CONTEXT),
        })
        .onConflict((oc) => oc.columns(['partner_id', 'kind', 'dedupe_key']).doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0)
        return { received: events.length, inserted: 0, shipmentsUpdated: 0 };
    }
    const inserted = await insertEvents(trx, events, nowMs);
    let shipmentsUpdated = 0;
    if (inserted > 0) {
      const waybills = new Map<string, { carrier: string; waybillNo: string }>();
      for (const e of events)
        waybills.set(`${e.carrier}\u0000${e.waybillNo}`, { carrier: e.carrier, waybillNo: e.waybillNo });
      for (const w of waybills.values()) {
        if (await applyTracking(trx, w.carrier, w.waybillNo, nowMs, store.dialect)) shipmentsUpdated++;
      }
    }
    return { received: events.length, inserted, shipmentsUpdated };
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
  let query = ex
    .selectFrom('shipments')
    .select(['id', 'order_id', 'status', 'estimated_delivery'])
    .where('carrier', '=', carrier)
    .where('waybill_no', '=', waybillNo);
  // Two pushes for one parcel may be ingested at once on PostgreSQL (read committed): the row
  // lock makes the second wait and then recompute from both, so a "delivered" is never
  // overwritten by a transaction that could not see it. SQLite has a single writer already.
  if (dialect === 'postgres') query = query.forUpdate();
  const shipment = await query.executeTakeFirst();
  if (!shipment) return false;
  const events = await eventsForWaybill(ex, carrier, waybillNo);
  if (events.length === 0) return false;
  const status = resolveShipmentStatus(events, 'info_received');
  const newest = events.at(-1);
  const eta =
    [...events].reverse().find((e) => e.estimatedDelivery)?.estimatedDelivery ?? shipment.estimated_delivery;
  await ex
    .updateTable('shipments')
    .set({
      status,
      last_event_at: newest ? Date.parse(newest.occurredAt) : null,
      estimated_delivery: eta,
      updated_at: nowMs,
    })
    .where('id', '=', shipment.id)
    .execute();
  const latest = events.filter((e) => e.code !== 'UNKNOWN').at(-1);
  const note = latest
    ? `${carrier} ${waybillNo}: ${latest.code}${latest.reason ? ` (${latest.reason})` : ''}`
    : `${carrier} ${waybillNo}`;
  await setOrderStatus(ex, shipment.order_id, orderStatusFromShipment(status), note, nowMs);
  return status !== shipment.status;
}
