/** Tracking events keyed by carrier + waybill, so events that arrive before the waybill is stored are kept. */
import type { TrackingCode, TrackingEvent } from '../domain/index.js';
import { newId } from './ids.js';
import type { Executor } from './transaction.js';
import type { TrackingEventsTable } from './schema.js';
import { compiled } from './compiled.js';

const insertRow = compiled((ex, row: TrackingEventsTable) =>
  ex
    .insertInto('tracking_events')
    .values(row)
    .onConflict((oc) => oc.columns(['carrier', 'waybill_no', 'event_id']).doNothing()),
);

const byWaybill = compiled((ex, a: { carrier: string; waybillNo: string }) =>
  ex
    .selectFrom('tracking_events')
    .selectAll()
    .where('carrier', '=', a.carrier)
    .where('waybill_no', '=', a.waybillNo)
    .orderBy('occurred_at', 'asc'),
);

/** Inserts events, skipping those already stored (same carrier, waybill and event id). */
export async function insertEvents(
  ex: Executor,
  events: readonly TrackingEvent[],
  nowMs: number,
): Promise<number> {
  let inserted = 0;
  for (const e of events) {
    const { carrier, waybillNo, eventId, code, stage, partnerCode, description, occurredAt, ...detail } = e;
    const res = await insertRow(ex, {
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
    });
    inserted += Number(res.numAffectedRows ?? 0n);
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
  const { rows } = await byWaybill(ex, { carrier, waybillNo });
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
