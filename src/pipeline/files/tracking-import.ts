/**
 * Tracking events from a file, for carriers that report by spreadsheet (or whose API is down).
 *
 * Each row is one event in the canonical taxonomy. Its event id is derived from carrier,
 * waybill, code and time, so importing the same file (or an overlapping one) again stores
 * nothing twice. Events go through `ingestTrackingEvents` like pushed and polled ones: kept even
 * when the waybill is not known yet, and the shipment's status recomputed from all its events.
 */
import { createHash } from 'node:crypto';
import {
  EXCEPTION_REASONS,
  codeInfo,
  isCountryCode,
  isTrackingCode,
  type ExceptionReason,
  type TrackingEvent,
  WaygateError,
} from '../../domain/index.js';
import type { Store } from '../../store/db.js';
import { findShipmentByWaybill } from '../../store/shipments.js';
import { ingestTrackingEvents } from '../tracking.js';
import { PARTNER_ID, readTableRequiring, type TableFile } from './table.js';
import { fieldErrors, validateTrackingEvent } from './validate.js';

export const TRACKING_FILE_COLUMNS = [
  'waybillNo',
  'eventCode',
  'occurredAt',
  'description',
  'city',
  'country',
  'reason',
] as const;

const REQUIRED_COLUMNS = ['waybillNo', 'eventCode', 'occurredAt'] as const;

// ISO 8601 date-time with a zone (Z or ±hh:mm); a local time would be ambiguous across borders.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export interface ImportTrackingOptions {
  /** Partner id of the carrier the events come from. */
  carrier: string;
  nowMs?: number;
}

export interface TrackingRowRejection {
  row: number;
  waybillNo: string;
  field: string;
  message: string;
}

export interface ImportTrackingResult {
  /** Valid event rows read from the file. */
  received: number;
  /** Events stored by this import. */
  inserted: number;
  /** Events the hub already had. */
  duplicates: number;
  shipmentsUpdated: number;
  /** Waybills the hub has no shipment for yet (their events are kept and apply later). */
  unknownWaybills: string[];
  rejected: TrackingRowRejection[];
}

/** The stable event id of a file event: `file-` + the first 32 hex digits of a sha256. */
export function fileEventId(carrier: string, waybillNo: string, code: string, occurredAt: string): string {
  const digest = createHash('sha256')
    .update([carrier, waybillNo, code, occurredAt].join('\u0000'))
    .digest('hex');
  return `file-${digest.slice(0, 32)}`;
}

export async function importTracking(
  store: Store,
  file: TableFile,
  opts: ImportTrackingOptions,
): Promise<ImportTrackingResult> {
  if (!PARTNER_ID.test(opts.carrier)) {
    throw new WaygateError('invalid_carrier', `carrier ${JSON.stringify(opts.carrier)} is not a partner id`);
  }
  const table = await readTableRequiring(file, REQUIRED_COLUMNS);
  const rejected: TrackingRowRejection[] = [];
  const events = new Map<string, TrackingEvent>();
  for (const { row, values } of table.rows) {
    const waybillNo = values.waybillNo ?? '';
    const reject = (field: string, message: string) => rejected.push({ row, waybillNo, field, message });
    const before = rejected.length;
    if (!waybillNo) reject('waybillNo', 'is required');
    const code = values.eventCode ?? '';
    if (!isTrackingCode(code))
      reject('eventCode', code ? `${code} is not a canonical tracking code` : 'is required');
    const when = values.occurredAt ?? '';
    const ms = ISO_DATE_TIME.test(when) ? Date.parse(when) : Number.NaN;
    if (Number.isNaN(ms))
      reject('occurredAt', when ? 'is not an ISO 8601 date-time with a time zone' : 'is required');
    if (values.country !== undefined && !isCountryCode(values.country))
      reject('country', `${values.country} is not an ISO 3166-1 alpha-2 country code`);
    if (values.reason !== undefined && !(EXCEPTION_REASONS as readonly string[]).includes(values.reason))
      reject('reason', `${values.reason} is not a known reason`);
    if (rejected.length > before || !isTrackingCode(code)) continue;
    const occurredAt = new Date(ms).toISOString();
    const event: TrackingEvent = {
      carrier: opts.carrier,
      waybillNo,
      eventId: fileEventId(opts.carrier, waybillNo, code, occurredAt),
      code,
      stage: codeInfo(code).stage,
      partnerCode: code,
      description: values.description ?? '',
      occurredAt,
    };
    if (values.city !== undefined || values.country !== undefined) {
      event.location = {
        ...(values.city !== undefined ? { city: values.city } : {}),
        ...(values.country !== undefined ? { country: values.country } : {}),
      };
    }
    if (values.reason !== undefined) event.reason = values.reason as ExceptionReason;
    if (!validateTrackingEvent(event)) {
      for (const fe of fieldErrors(validateTrackingEvent.errors)) reject(columnFor(fe.pointer), fe.message);
      continue;
    }
    // The same event twice in one file is one event.
    events.set(event.eventId, event);
  }
  const list = [...events.values()];
  const ingested = await ingestTrackingEvents(store, list, opts.nowMs ?? Date.now());
  const unknownWaybills: string[] = [];
  for (const waybillNo of new Set(list.map((e) => e.waybillNo))) {
    if (!(await findShipmentByWaybill(store.db, waybillNo, opts.carrier))) unknownWaybills.push(waybillNo);
  }
  return {
    received: list.length,
    inserted: ingested.inserted,
    duplicates: list.length - ingested.inserted,
    shipmentsUpdated: ingested.shipmentsUpdated,
    unknownWaybills,
    rejected: rejected.sort((a, b) => a.row - b.row),
  };
}

function columnFor(pointer: string): string {
  switch (pointer) {
    case '/code':
      return 'eventCode';
    case '/location/city':
      return 'city';
    case '/location/country':
      return 'country';
    default:
      return pointer.replace(/^\//, '') || 'row';
  }
}
