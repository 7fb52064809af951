/**
 * Pure translation between the canonical model and Carrier Alpha's JSON dialect. No I/O.
 * Alpha's field names stay in this folder.
 */
import { codeInfo, isCountryCode, type TrackingEvent, WaygateError } from '../../../domain/index.js';
import type {
  PartnerResult,
  ReturnLabelRequest,
  ShipmentCreated,
  ShipmentRequest,
  TrackingPush,
} from '../../types.js';
import { canonicalExceptionReason, canonicalTrackingCode } from './codes.js';
import { manifest } from './manifest.js';
import { parseJson, UnsafeJsonError } from '../../json.js';

// ---------------------------------------------------------------------------------------------
// Alpha's wire types
// ---------------------------------------------------------------------------------------------

export interface AlphaShipmentRequest {
  reference: string;
  service: 'express' | 'return';
  /** Return labels: where alpha collects the parcel. */
  ship_from?: AlphaShipmentRequest['ship_to'];
  ship_to: {
    contact_name: string;
    company_name?: string;
    phone?: string;
    email?: string;
    address_lines: string[];
    city: string;
    state_code?: string;
    postal_code?: string;
    country_code: string;
    tax_id?: string;
  };
  parcels: { weight: { value: number; unit: 'kg' } }[];
  customs: {
    contents_type: 'merchandise';
    currency: string;
    declared_value: string;
    items: {
      description: string;
      sku: string;
      quantity: number;
      unit_value: string;
      hs_tariff_number: string;
      origin_country: string;
      weight_kg: number;
    }[];
  };
  metadata: { order_id: string };
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Grams to kilograms, to the gram, as a JSON number (1250 → 1.25). */
export function gramsToKg(grams: number): number {
  return Number((grams / 1000).toFixed(3));
}

function isoOrUndefined(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

const bad = (message: string) => new WaygateError('partner_payload_invalid', `carrier-alpha: ${message}`);

// ---------------------------------------------------------------------------------------------
// Canonical → alpha
// ---------------------------------------------------------------------------------------------

export function toAlphaShipmentRequest(req: ShipmentRequest): AlphaShipmentRequest {
  const r = req.recipient;
  const lines = [r.line1, ...(r.line2 ? [r.line2] : [])];
  return {
    reference: req.reference,
    service: 'express',
    ship_to: {
      contact_name: r.name,
      ...(r.company ? { company_name: r.company } : {}),
      ...(r.phone ? { phone: r.phone } : {}),
      ...(r.email ? { email: r.email } : {}),
      address_lines: lines,
      city: r.city,
      ...(r.state ? { state_code: r.state } : {}),
      ...(r.postalCode ? { postal_code: r.postalCode } : {}),
      country_code: r.country,
      ...(r.idNumber ? { tax_id: r.idNumber } : {}),
    },
    parcels: [{ weight: { value: gramsToKg(req.totalWeightGrams), unit: 'kg' } }],
    customs: {
      contents_type: 'merchandise',
      currency: req.currency,
      declared_value: req.declaredValue,
      items: req.items.map((item) => ({
        description: item.description,
        sku: item.sku,
        quantity: item.quantity,
        unit_value: item.unitPrice,
        hs_tariff_number: item.hsCode,
        origin_country: item.originCountry,
        weight_kg: gramsToKg(item.weightGrams),
      })),
    },
    metadata: { order_id: req.orderId },
  };
}

/** Alpha's address block from a canonical address. */
function alphaAddress(r: ShipmentRequest['recipient']): AlphaShipmentRequest['ship_to'] {
  return {
    contact_name: r.name,
    ...(r.company ? { company_name: r.company } : {}),
    ...(r.phone ? { phone: r.phone } : {}),
    ...(r.email ? { email: r.email } : {}),
    address_lines: [r.line1, ...(r.line2 ? [r.line2] : [])],
    city: r.city,
    ...(r.state ? { state_code: r.state } : {}),
    ...(r.postalCode ? { postal_code: r.postalCode } : {}),
    country_code: r.country,
  };
}

/** A return label: alpha's `return` service, collected from the buyer, delivered to the warehouse. */
export function toAlphaReturnRequest(req: ReturnLabelRequest): AlphaShipmentRequest {
  const base = toAlphaShipmentRequest({
    orderId: req.returnId,
    reference: req.returnId,
    idempotencyKey: req.idempotencyKey,
    recipient: req.recipient,
    items: req.items,
    currency: req.currency,
    declaredValue: req.declaredValue,
    totalWeightGrams: req.totalWeightGrams,
  });
  return {
    ...base,
    service: 'return',
    ship_from: alphaAddress(req.sender),
    metadata: { order_id: req.reference },
  };
}

// ---------------------------------------------------------------------------------------------
// Alpha → canonical
// ---------------------------------------------------------------------------------------------

const LABEL_FORMATS = ['PDF', 'ZPL', 'PNG'] as const;
type LabelFormat = (typeof LABEL_FORMATS)[number];
const isLabelFormat = (v: unknown): v is LabelFormat => LABEL_FORMATS.includes(v as LabelFormat);

/** Alpha's 201 (created) or 200 (idempotent replay) body. Throws on a body that is not one. */
export function fromAlphaShipmentResponse(body: unknown): ShipmentCreated {
  if (!isObject(body)) throw bad('shipment response is not a JSON object');
  const waybillNo = str(body.tracking_number);
  if (!waybillNo || waybillNo.length > 64) throw bad('shipment response has no tracking_number');
  const label = isObject(body.label) ? body.label : {};
  const created: ShipmentCreated = { waybillNo };
  const shipmentId = str(body.shipment_id);
  if (shipmentId) created.partnerShipmentId = shipmentId;
  const url = str(label.url);
  if (url) created.labelUrl = url;
  if (isLabelFormat(label.format)) created.labelFormat = label.format;
  const eta = isoOrUndefined(body.estimated_delivery);
  if (eta) created.estimatedDelivery = eta;
  return created;
}

/** One alpha tracking scan as a canonical event. */
export function fromAlphaEvent(trackingNumber: string, raw: unknown): TrackingEvent {
  if (!isObject(raw)) throw bad('tracking event is not an object');
  const partnerCode = str(raw.code);
  if (!partnerCode || partnerCode.length > 64) throw bad('tracking event has no code');
  const occurredAt = isoOrUndefined(raw.occurred_at);
  if (!occurredAt) throw bad(`tracking event ${partnerCode} has no valid occurred_at`);
  const code = canonicalTrackingCode(partnerCode);
  const description = typeof raw.description === 'string' ? raw.description.slice(0, 500) : '';
  // Alpha gives every scan its own id, identical on every re-delivery; the fallback is stable too.
  const eventId = (str(raw.id) ?? `${trackingNumber}:${partnerCode}:${occurredAt}`).slice(0, 128);
  const event: TrackingEvent = {
    carrier: manifest.id,
    waybillNo: trackingNumber,
    eventId,
    code,
    stage: codeInfo(code).stage,
    partnerCode,
    description,
    occurredAt,
  };
  if (isObject(raw.location)) {
    const city = str(raw.location.city)?.slice(0, 100);
    const country = str(raw.location.country_code);
    const location: NonNullable<TrackingEvent['location']> = {};
    if (city) location.city = city;
    if (country && isCountryCode(country)) location.country = country;
    if (Object.keys(location).length > 0) event.location = location;
  }
  if (isObject(raw.exception)) {
    const reason = str(raw.exception.code);
    if (reason) event.reason = canonicalExceptionReason(reason);
  }
  if (isObject(raw.handover)) {
    const carrier = str(raw.handover.carrier);
    const trackingNo = str(raw.handover.tracking_number);
    if (carrier) event.nextCarrier = carrier.slice(0, 100);
    if (trackingNo) event.nextTrackingNo = trackingNo.slice(0, 64);
  }
  const eta = isoOrUndefined(raw.estimated_delivery);
  if (eta) event.estimatedDelivery = eta;
  const measured = alphaMeasurement(raw);
  if (measured) event.measured = measured;
  return event;
}

const KG_PER_UNIT: Record<string, number> = { kg: 1, g: 0.001, lb: 0.45359237 };
const CM_PER_UNIT: Record<string, number> = { cm: 1, mm: 0.1, in: 2.54 };

/**
 * Alpha weighs and measures a parcel at its origin hub: the scan then carries `weight`
 * `{value, unit}` and `dimensions` `{length, width, height, unit}`. Grams to the gram, sides
 * rounded up to the whole cm as carriers bill them; a malformed figure is left out (the scan
 * itself still counts), a figure out of the canonical range is then refused by the screen.
 */
function alphaMeasurement(raw: Record<string, unknown>): TrackingEvent['measured'] {
  const out: NonNullable<TrackingEvent['measured']> = {};
  const w = raw.weight;
  if (isObject(w) && typeof w.value === 'number' && w.value > 0 && typeof w.unit === 'string') {
    const perUnit = KG_PER_UNIT[w.unit];
    if (perUnit !== undefined) out.weightGrams = Math.max(1, Math.round(w.value * perUnit * 1000));
  }
  const d = raw.dimensions;
  if (isObject(d) && typeof d.unit === 'string' && CM_PER_UNIT[d.unit] !== undefined) {
    const perUnit = CM_PER_UNIT[d.unit]!;
    const side = (v: unknown) => (typeof v === 'number' && v > 0 ? Math.ceil(v * perUnit - 1e-9) : undefined);
    const [length, width, height] = [side(d.length), side(d.width), side(d.height)];
    if (length !== undefined && width !== undefined && height !== undefined)
      out.dimsCm = { length, width, height };
  }
  return Object.keys(out).length ? out : undefined;
}

/** A `tracking.updated` push body. Throws WaygateError('invalid_input') on anything else. */
export function fromAlphaPush(body: unknown): TrackingPush {
  if (!isObject(body)) throw bad('push body is not a JSON object');
  const deliveryId = str(body.id);
  if (!deliveryId) throw bad('push has no id');
  if (body.type !== 'tracking.updated') throw bad(`unsupported push type ${String(body.type)}`);
  const data = body.data;
  if (!isObject(data)) throw bad('push has no data');
  const trackingNumber = str(data.tracking_number);
  if (!trackingNumber || trackingNumber.length > 64) throw bad('push has no tracking_number');
  if (!Array.isArray(data.events)) throw bad('push has no events');
  return { deliveryId, events: data.events.map((e: unknown) => fromAlphaEvent(trackingNumber, e)) };
}

/** Alpha's 4xx error body `{"errors":[{code,message,field}]}` as one message and first code. */
export function alphaErrorDetails(rawBody: string): { message: string; code?: string } {
  let parsed: unknown;
  try {
    parsed = parseJson(rawBody);
  } catch {
    parsed = undefined;
  }
  const errors = isObject(parsed) && Array.isArray(parsed.errors) ? parsed.errors.filter(isObject) : [];
  if (errors.length === 0) {
    const text = rawBody.trim().slice(0, 200);
    return { message: text.length > 0 ? text : 'no error details' };
  }
  const message = errors
    .map((e) => {
      const msg = str(e.message) ?? str(e.code) ?? 'error';
      const field = str(e.field);
      return field ? `${field}: ${msg}` : msg;
    })
    .join('; ')
    .slice(0, 1000);
  const code = str(errors[0]?.code);
  return code ? { message, code } : { message };
}

/**
 * Alpha's answer to a shipment create, as data: 201 (created) or 200 (the idempotent replay of
 * the shipment this key already created) is the shipment; any other status reaching the mapper
 * (the client has already turned 401/403/408/429/5xx into errors) is alpha refusing the request.
 * Throws WaygateError('partner_payload_invalid') when a success body is not a shipment.
 */
export function readShipmentAnswer(status: number, rawBody: string): PartnerResult<ShipmentCreated> {
  if (status === 200 || status === 201) {
    let body: unknown;
    try {
      body = parseJson(rawBody);
    } catch (err) {
      throw bad(err instanceof UnsafeJsonError ? err.message : 'shipment response is not JSON');
    }
    return { ok: true, value: fromAlphaShipmentResponse(body) };
  }
  const { message, code } = alphaErrorDetails(rawBody);
  return { ok: false, error: { code: code ?? String(status), message, status } };
}
