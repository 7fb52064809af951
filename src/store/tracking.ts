/** Tracking events keyed by carrier + waybill, so events that arrive before the waybill is stored are kept. */
import type { TrackingCode, TrackingEvent } from '../domain/index.js';
import { newId } from './ids.js';
import type { Executor } from './queue.js';

/** Inserts events, skipping those already stored (same carrier, waybill and event id). */
export async function insertEvents(
  ex: Executor,
  events: readonly TrackingEvent[],
  nowMs: number,
): Promise<number> {
  let inserted = 0;
  for (const e of events) {
    const { carrier, waybillNo, eventId, code, stage, partnerCode, description, occurredAt, ...detail } = e;
    const res = await ex
      .insertInto('tracking_events')
      .values({
        id: newId('evt', nowMs),
        carrier,
        waybill_no: waybillNo,
        event_id: eventId,
        code,
        stage,
        partner_code: partnerCode,
        description,
        occurred_at: Date.parse(occurredAt),
        detail: JSON.stringify(detail),
        received_at: nowMs,
      })
      .onConflict((oc) => oc.columns(['carrier', 'waybill_no', 'event_id']).doNothing())
      .executeTakeFirst();
    inserted += Number(res.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}

export interface StoredEvent {
  code: TrackingCode;
  occurredAt: string;
}

export async function eventsForWaybill(
  ex: Executor,
  carrier: string,
  waybillNo: string,
): Promise<TrackingEvent[]> {
  const rows = await ex
    .selectFrom('tracking_events')
    .selectAll()
    .where('carrier', '=', carrier)
    .where('waybill_no', '=', waybillNo)
    .orderBy('occurred_at', 'asc')
    .execute();
  return rows.map((r) => ({
    carrier: r.carrier,
    waybillNo: r.waybill_no,
    eventId: r.event_id,
    code: r.code as TrackingCode,
    stage: r.stage as TrackingEvent['stage'],
    partnerCode: r.partner_code,
    description: r.description,
    occurredAt: new Date(r.occurred_at).toISOString(),
    ...(JSON.parse(r.detail) as Partial<TrackingEvent>),
  }));
}
