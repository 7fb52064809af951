/**
 * Canonical <-> Carrier Beta payloads. Pure: no I/O, no clock. Beta's field names stay here.
 * A parsed `<error_response>` is returned as data; a response that is not beta's format at all
 * throws MalformedBetaResponse.
 */
import { createHash } from 'node:crypto';
import { codeInfo, isCountryCode, type TrackingEvent } from '../../../domain/index.js';
import type { PartnerResult, ShipmentCreated, ShipmentRequest } from '../../types.js';
import { reasonFor, trackingCodeFor } from './codes.js';
import { manifest } from './manifest.js';
import { parseGmt8 } from './sign.js';
import { buildXml, list, obj, parseXml, text } from '../../xml.js';

export const DEFAULT_SERVICE_CODE = 'BETA_STANDARD';

export class MalformedBetaResponse extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedBetaResponse';
  }
}

/** Beta's `<error_response>`, as data. */
export interface BetaError {
  code: number;
  msg: string;
  subCode?: string;
  subMsg?: string;
  requestId?: string;
}

/** The one result union of every connector, with beta's own error shape (classified in codes.ts). */
export type BetaResult<T> = PartnerResult<T, BetaError>;

/** Beta wants digits with an optional leading '+': spaces, dashes and brackets are dropped. */
function mobile(phone: string): string {
  return phone.replace(/[\s()-]/g, '');
}

export function buildCreateContent(req: ShipmentRequest, serviceCode = DEFAULT_SERVICE_CODE): string {
  const r = req.recipient;
  const address = r.line2 ? `${r.line1}, ${r.line2}` : r.line1;
  const receiver: Record<string, unknown> = { name: r.name };
  if (r.phone !== undefined) receiver.mobile = mobile(r.phone);
  if (r.email !== undefined) receiver.email = r.email;
  receiver.country = r.country;
  if (r.state !== undefined) receiver.province = r.state;
  receiver.city = r.city;
  receiver.address = address;
  if (r.postalCode !== undefined) receiver.zip = r.postalCode;
  if (r.idNumber !== undefined) receiver.id_no = r.idNumber;
  return buildXml({
    request: {
      out_order_no: req.orderId,
      request_id: req.idempotencyKey,
      reference_no: req.reference,
      service_code: serviceCode,
      receiver,
      parcel: {
        weight: { '@_unit': 'g', '#text': String(req.totalWeightGrams) },
        declare_currency: req.currency,
        declare_value: req.declaredValue,
        items: {
          item: req.items.map((i) => ({
            sku: i.sku,
            name_en: i.description,
            qty: String(i.quantity),
            unit_price: i.unitPrice,
            hs_code: i.hsCode,
            origin: i.originCountry,
            weight: String(i.weightGrams),
          })),
        },
      },
    },
  });
}

export function buildTraceContent(waybillNos: readonly string[]): string {
  return buildXml({ request: { waybill_nos: waybillNos.join(',') } });
}

function parseDoc(xml: string, arrayTags: readonly string[]): Record<string, unknown> {
  try {
    return parseXml(xml, arrayTags);
  } catch (err) {
    throw new MalformedBetaResponse(`carrier-beta answered unparseable XML (${(err as Error).name})`);
  }
}

function errorOf(doc: Record<string, unknown>): BetaError | undefined {
  const e = obj(doc.error_response);
  if (!e) return undefined;
  const code = Number(text(e, 'code'));
  if (!Number.isInteger(code))
    throw new MalformedBetaResponse('carrier-beta error_response without a numeric code');
  const error: BetaError = { code, msg: text(e, 'msg') ?? '' };
  const subCode = text(e, 'sub_code');
  const subMsg = text(e, 'sub_msg');
  const requestId = text(e, 'request_id');
  if (subCode) error.subCode = subCode;
  if (subMsg) error.subMsg = subMsg;
  if (requestId) error.requestId = requestId;
  return error;
}

function successBody(doc: Record<string, unknown>): Record<string, unknown> {
  const res = obj(doc.response);
  if (!res || text(res, 'success') !== 'true') {
    throw new MalformedBetaResponse(
      'carrier-beta answered neither a successful response nor an error_response',
    );
  }
  return res;
}

export function parseCreateResponse(xml: string): BetaResult<ShipmentCreated> {
  const doc = parseDoc(xml, []);
  const error = errorOf(doc);
  if (error) return { ok: false, error };
  const res = successBody(doc);
  const waybillNo = text(res, 'waybill_no');
  if (!waybillNo) throw new MalformedBetaResponse('carrier-beta create response without waybill_no');
  const created: ShipmentCreated = { waybillNo };
  const labelUrl = text(res, 'label_url');
  if (labelUrl) {
    created.labelUrl = labelUrl;
    created.labelFormat = 'PDF';
  }
  return { ok: true, value: created };
}

/** A stable id for an event beta sends without one: waybill, action, time and repeat index. */
export function eventIdFor(waybillNo: string, action: string, time: string, occurrence: number): string {
  const digest = createHash('sha256').update(`${waybillNo}|${action}|${time}|${occurrence}`).digest('hex');
  return `beta-${digest.slice(0, 32)}`;
}

export function parseTraceResponse(xml: string): BetaResult<TrackingEvent[]> {
  const doc = parseDoc(xml, ['trace', 'event']);
  const error = errorOf(doc);
  if (error) return { ok: false, error };
  const res = successBody(doc);
  const events: TrackingEvent[] = [];
  for (const t of list(obj(res.traces)?.trace)) {
    const trace = obj(t);
    const waybillNo = text(trace, 'waybill_no');
    if (!trace || !waybillNo) throw new MalformedBetaResponse('carrier-beta trace without waybill_no');
    const seen = new Map<string, number>();
    for (const e of list(obj(trace.events)?.event)) {
      const ev = obj(e);
      const action = text(ev, 'action');
      const time = text(ev, 'time');
      const at = time === undefined ? undefined : parseGmt8(time);
      if (!ev || !action || time === undefined || at === undefined) {
        throw new MalformedBetaResponse(`carrier-beta event without a valid action or time on ${waybillNo}`);
      }
      const key = `${action}|${time}`;
      const occurrence = seen.get(key) ?? 0;
      seen.set(key, occurrence + 1);
      const code = trackingCodeFor(action);
      const event: TrackingEvent = {
        carrier: manifest.id,
        waybillNo,
        eventId: eventIdFor(waybillNo, action, time, occurrence),
        code,
        stage: codeInfo(code).stage,
        partnerCode: action.slice(0, 64),
        description: (text(ev, 'desc') ?? '').slice(0, 500),
        occurredAt: new Date(at).toISOString(),
      };
      const city = text(ev, 'city');
      const country = text(ev, 'country');
      const location: NonNullable<TrackingEvent['location']> = {};
      if (city) location.city = city.slice(0, 100);
      if (country && isCountryCode(country)) location.country = country;
      if (location.city !== undefined || location.country !== undefined) event.location = location;
      const reason = reasonFor(text(ev, 'reason'));
      if (reason) event.reason = reason;
      const nextCarrier = text(ev, 'next_carrier');
      const nextTrackingNo = text(ev, 'next_tracking_no');
      if (nextCarrier) event.nextCarrier = nextCarrier.slice(0, 100);
      if (nextTrackingNo) event.nextTrackingNo = nextTrackingNo.slice(0, 64);
      events.push(event);
    }
  }
  return { ok: true, value: events };
}
