/**
 * Canonical ⇄ Cainiao LINK payloads. Pure. `logistics_interface` is a JSON document; answers are
 * `{"success": "true"|"false", "errorCode", "errorMsg", …}` (success may be a string or a
 * boolean). Tracking times are `yyyy-MM-dd HH:mm:ss` with an explicit `timeZone` offset.
 */
import { codeInfo, isCountryCode, type TrackingEvent } from '../../../domain/index.js';
import { MalformedAnswer } from '../../contract.js';
import { parseJson } from '../../json.js';
import type { PartnerResult, ShipmentCreated, ShipmentRequest } from '../../types.js';
import { trackingCodeFor, type CainiaoError } from './codes.js';
import { manifest } from './manifest.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;

export type CainiaoResult<T> = PartnerResult<T, CainiaoError>;

export const MSG_CREATE = 'CAINIAO_GLOBAL_OPEN_DISTRIBUTION_CONSIGN';
export const MSG_TRACK = 'CN_OVERSEA_LOGISTICS_INQUIRY_TRACKING';
export const DEFAULT_SOLUTION = 'CAINIAO_STANDARD';

export function readAnswer(rawBody: string): CainiaoResult<Json> {
  let doc: unknown;
  try {
    doc = parseJson(rawBody);
  } catch {
    throw new MalformedAnswer('Cainiao answered a body that is not JSON');
  }
  if (
    !isObject(doc) ||
    (doc.success !== true && doc.success !== false && doc.success !== 'true' && doc.success !== 'false')
  ) {
    throw new MalformedAnswer('Cainiao answered JSON without success');
  }
  if (doc.success === true || doc.success === 'true') return { ok: true, value: doc };
  return {
    ok: false,
    error: {
      code: (str(doc.errorCode) ?? 'unknown').slice(0, 64),
      message: (str(doc.errorMsg) ?? '').slice(0, 1000),
    },
  };
}

/** The consign order; `outOrderId` = the idempotency key (Cainiao answers the same order for it). */
export function buildCreate(req: ShipmentRequest, solutionCode = DEFAULT_SOLUTION): Json {
  const r = req.recipient;
  return {
    outOrderId: req.idempotencyKey,
    solutionParam: { solutionCode },
    packageParams: [
      {
        weight: req.totalWeightGrams,
        weightUnit: 'g',
        itemParams: req.items.map((i) => ({
          sku: i.sku,
          englishName: i.description.slice(0, 200),
          quantity: i.quantity,
          unitPrice: Math.round(Number(i.unitPrice) * 100),
          unitPriceCurrency: req.currency,
          hscode: i.hsCode,
          originCountry: i.originCountry,
          weight: i.weightGrams,
        })),
      },
    ],
    receiverParam: {
      name: r.name,
      ...(r.phone ? { mobilePhone: r.phone.replace(/[\s()-]/g, '') } : {}),
      ...(r.email ? { email: r.email } : {}),
      countryCode: r.country,
      ...(r.state ? { state: r.state } : {}),
      city: r.city,
      street: r.line1,
      ...(r.line2 ? { detailAddress: r.line2 } : {}),
      ...(r.postalCode ? { zipCode: r.postalCode } : {}),
    },
    customsParam: {
      declareCurrency: req.currency,
      declareValue: Math.round(Number(req.declaredValue) * 100),
    },
    sourceHandle: req.reference,
  };
}

export function parseCreate(rawBody: string): CainiaoResult<ShipmentCreated> {
  const res = readAnswer(rawBody);
  if (!res.ok) return res;
  const data = isObject(res.value.data) ? res.value.data : undefined;
  const waybillNo = str(data?.trackingNumber);
  if (!waybillNo || waybillNo.length > 64)
    throw new MalformedAnswer('Cainiao create answer without data.trackingNumber');
  const created: ShipmentCreated = { waybillNo };
  const orderCode = str(data?.orderCode);
  if (orderCode) created.partnerShipmentId = orderCode.slice(0, 64);
  return { ok: true, value: created };
}

export function buildTrack(waybillNo: string): Json {
  return { mailNo: waybillNo, lang: 'en-US' };
}

/** `2024-06-09 18:12:44` at `timeZone` "+8" / "-5" / "+05:30" → epoch ms. */
export function cainiaoInstant(time: string, zone: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(time);
  const z = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone);
  if (!m || !z) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(ms).getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  const offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  return ms - offsetMin * 60_000;
}

export function parseTrack(rawBody: string): CainiaoResult<TrackingEvent[]> {
  const res = readAnswer(rawBody);
  if (!res.ok) return res;
  const data = isObject(res.value.data) ? res.value.data : undefined;
  const waybillNo = str(data?.mailNo);
  if (!data || !waybillNo || waybillNo.length > 64)
    throw new MalformedAnswer('Cainiao tracking answer without data.mailNo');
  const list = Array.isArray(data.detailList) ? data.detailList : [];
  const seen = new Map<string, number>();
  return {
    ok: true,
    value: list.map((raw) => {
      if (!isObject(raw)) throw new MalformedAnswer('Cainiao tracking detail is not an object');
      const action = str(raw.actionCode);
      const time = str(raw.time);
      const at = time ? cainiaoInstant(time, str(raw.timeZone) ?? '+8') : undefined;
      if (!action || !time || at === undefined)
        throw new MalformedAnswer(
          `Cainiao tracking detail without actionCode or a valid time on ${waybillNo}`,
        );
      const key = `${action}|${at}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      const code = trackingCodeFor(action);
      const event: TrackingEvent = {
        carrier: manifest.id,
        waybillNo,
        eventId: `cn:${waybillNo}:${action}:${at}:${n}`.slice(0, 128),
        code,
        stage: codeInfo(code).stage,
        partnerCode: action.slice(0, 64),
        description: (str(raw.desc) ?? '').slice(0, 500),
        occurredAt: new Date(at).toISOString(),
      };
      const city = str(raw.city);
      const country = str(raw.country);
      if (city || (country && isCountryCode(country))) {
        event.location = {
          ...(city ? { city: city.slice(0, 100) } : {}),
          ...(country && isCountryCode(country) ? { country } : {}),
        };
      }
      return event;
    }),
  };
}
