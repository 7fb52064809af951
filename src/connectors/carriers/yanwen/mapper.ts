/**
 * Yanwen <-> canonical, pure. Order API envelope `{success, code, message, data}` (code "0" is
 * success); tracking API `{code: 0, message, result: [{tracking_number, waybill_number,
 * tracking_status, checkpoints: [{time_stamp, time_zone, tracking_status, message, location}]}]}`
 * with local times and a separate zone offset.
 */
import { codeInfo, isCountryCode, sum, multiply, type TrackingEvent } from '../../../domain/index.js';
import { MalformedAnswer } from '../../contract.js';
import type { PartnerResult, ShipmentCreated, ShipmentLabel, ShipmentRequest } from '../../types.js';
import { trackingCodeFor } from './codes.js';
import { manifest } from './manifest.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;

export interface YanwenError {
  code: string;
  message: string;
}
export type YanwenResult<T> = PartnerResult<T, YanwenError>;

export const DEFAULT_CHANNEL = '481';

function parse(raw: string, what: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new MalformedAnswer(`Yanwen answered ${what} with a body that is not JSON`);
  }
}

/** The order API envelope: its `data`, or its refusal. */
export function readEnvelope(raw: string): YanwenResult<unknown> {
  const env = parse(raw, 'the order API');
  if (!isObject(env) || typeof env.success !== 'boolean' || str(env.code) === undefined)
    throw new MalformedAnswer('Yanwen answered JSON without its success/code envelope');
  if (env.success !== true || str(env.code) !== '0') {
    return {
      ok: false,
      error: { code: str(env.code)!.slice(0, 32), message: (str(env.message) ?? '').slice(0, 1000) },
    };
  }
  return { ok: true, value: env.data };
}

/** express.order.create body: orderNumber = the idempotency key; weights in grams. */
export function buildCreateOrder(req: ShipmentRequest, channelId = DEFAULT_CHANNEL): Json {
  const r = req.recipient;
  const address = [r.line1, r.line2].filter(Boolean).join(', ');
  return {
    channelId,
    orderSource: 'waygate',
    orderNumber: req.idempotencyKey,
    remark: req.reference,
    receiverInfo: {
      name: r.name,
      phone: r.phone ?? '',
      ...(r.email ? { email: r.email } : {}),
      ...(r.company ? { company: r.company } : {}),
      country: r.country,
      state: r.state ?? r.city,
      city: r.city,
      zipCode: r.postalCode ?? '',
      address,
      ...(r.idNumber ? { taxNumber: r.idNumber } : {}),
    },
    parcelInfo: {
      hasBattery: 0,
      currency: req.currency,
      totalPrice: Number(req.declaredValue),
      totalQuantity: req.items.reduce((n, i) => n + i.quantity, 0),
      totalWeight: Math.max(1, Math.round(req.totalWeightGrams)),
      productList: req.items.map((i) => ({
        goodsNameCh: i.declaredNameZh ?? i.description.slice(0, 100),
        goodsNameEn: i.declaredNameEn ?? i.description.slice(0, 100),
        price: Number(i.declaredValue?.amount ?? i.unitPrice),
        quantity: i.quantity,
        weight: i.weightGrams,
        hscode: i.hsCode,
      })),
    },
  };
}

/** The declared total a create would carry (for checks and the map command). */
export const declaredTotal = (req: ShipmentRequest): string =>
  sum(req.items.map((i) => multiply(i.declaredValue?.amount ?? i.unitPrice, i.quantity)));

/** express.order.create / express.order.get answer → the waybill. */
export function parseCreateOrder(raw: string): YanwenResult<ShipmentCreated> {
  const env = readEnvelope(raw);
  if (!env.ok) return env;
  const d = env.value;
  const waybillNo = isObject(d) ? str(d.waybillNumber) : undefined;
  if (!waybillNo || waybillNo.length > 64 || !/^[0-9A-Za-z-]+$/.test(waybillNo))
    throw new MalformedAnswer('Yanwen answered success without a usable data.waybillNumber');
  const ref = isObject(d) ? str(d.yanwenNumber) : undefined;
  return { ok: true, value: { waybillNo, ...(ref ? { partnerShipmentId: ref.slice(0, 64) } : {}) } };
}

/** express.order.label.get answer → the label bytes (base64 PDF). */
export function parseLabel(raw: string): YanwenResult<ShipmentLabel> {
  const env = readEnvelope(raw);
  if (!env.ok) return env;
  const d = env.value;
  if (!isObject(d)) throw new MalformedAnswer('Yanwen label answer data is not an object');
  if (d.isSuccess !== true)
    return { ok: false, error: { code: 'LABEL', message: (str(d.errorMsg) ?? 'no label').slice(0, 1000) } };
  const b64 = str(d.base64String);
  if (!b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64))
    throw new MalformedAnswer('Yanwen label answer without base64String');
  const data = Buffer.from(b64, 'base64');
  if (data.subarray(0, 5).toString('latin1') !== '%PDF-')
    throw new MalformedAnswer('Yanwen label is not a PDF');
  return { ok: true, value: { format: 'PDF', data } };
}

/** `2026-11-30T10:03:00` + zone `+8` → epoch ms, or undefined. */
function checkpointTime(stamp: string, zone: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})$/.exec(stamp);
  const z = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone);
  if (!m || !z) return undefined;
  const offset = `${z[1]}${z[2]!.padStart(2, '0')}:${z[3] ?? '00'}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${offset}`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The tracking API answer → canonical events, every number of the batch. */
export function parseTracking(raw: string): YanwenResult<TrackingEvent[]> {
  const env = parse(raw, 'the tracking API');
  if (!isObject(env) || str(env.code) === undefined)
    throw new MalformedAnswer('Yanwen tracking answer without its code');
  if (str(env.code) !== '0')
    return {
      ok: false,
      error: { code: str(env.code)!.slice(0, 32), message: (str(env.message) ?? '').slice(0, 1000) },
    };
  const result = env.result ?? [];
  if (!Array.isArray(result)) throw new MalformedAnswer('Yanwen tracking result is not a list');
  const events: TrackingEvent[] = [];
  for (const r of result) {
    if (!isObject(r)) throw new MalformedAnswer('Yanwen tracking result entry is not an object');
    const waybillNo = str(r.waybill_number) ?? str(r.tracking_number);
    if (!waybillNo || waybillNo.length > 64)
      throw new MalformedAnswer('Yanwen tracking entry without a number');
    const lastMileNo = str(r.last_mile_tracking_number);
    const lastMile = str(r.last_mile_carrier);
    const checkpoints = Array.isArray(r.checkpoints) ? r.checkpoints : [];
    const seen = new Map<string, number>();
    for (const c of checkpoints) {
      if (!isObject(c)) throw new MalformedAnswer('Yanwen checkpoint is not an object');
      const status = str(c.tracking_status);
      const stamp = str(c.time_stamp);
      const at = stamp ? checkpointTime(stamp, str(c.time_zone) ?? '+8') : undefined;
      if (!status || at === undefined)
        throw new MalformedAnswer(
          `Yanwen checkpoint without tracking_status or a valid time_stamp on ${waybillNo}`,
        );
      const key = `${status}|${stamp}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      const code = trackingCodeFor(status);
      const event: TrackingEvent = {
        carrier: manifest.id,
        waybillNo,
        eventId: `yw:${waybillNo}:${status}:${at}:${n}`.slice(0, 128),
        code,
        stage: codeInfo(code).stage,
        partnerCode: status.slice(0, 64),
        description: (str(c.message) ?? '').slice(0, 500),
        occurredAt: new Date(at).toISOString(),
      };
      const loc = str(c.location);
      if (loc) {
        const [city, country] = loc.split(',').map((s) => s.trim());
        event.location = {
          ...(city ? { city: city.slice(0, 100) } : {}),
          ...(country && isCountryCode(country) ? { country } : {}),
        };
      }
      if (code === 'HANDOVER_TO_LAST_MILE' && lastMileNo) {
        event.nextTrackingNo = lastMileNo.slice(0, 64);
        if (lastMile) event.nextCarrier = lastMile.slice(0, 100);
      }
      events.push(event);
    }
  }
  return { ok: true, value: events };
}
