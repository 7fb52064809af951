/**
 * Canonical ⇄ YunExpress (OMS API v1) payloads. Pure: no I/O, no clock. Every answer is the
 * envelope `{Item | Items, Code: "0000", Message, RequestId, TimeStamp}`; a non-0000 Code, or an
 * order whose `Success` is 0 (its `Remark` says why), is a refusal returned as data. Field names
 * are PascalCase, weights kilograms, times without a zone (Beijing time).
 */
import { codeInfo, isCountryCode, type TrackingEvent } from '../../../domain/index.js';
import { MalformedAnswer } from '../../contract.js';
import { parseJson } from '../../json.js';
import type { PartnerResult, ShipmentCreated, ShipmentRequest } from '../../types.js';
import { trackingCodeFor, type YunError } from './codes.js';
import { manifest } from './manifest.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;

export type YunResult<T> = PartnerResult<T, YunError>;

export const DEFAULT_SHIPPING_METHOD = 'THPHR';

/** The envelope's payload (`Item` or `Items`), or its refusal. */
export function readEnvelope(rawBody: string): YunResult<Json> {
  let env: unknown;
  try {
    env = parseJson(rawBody);
  } catch {
    throw new MalformedAnswer('YunExpress answered a body that is not JSON');
  }
  if (!isObject(env) || typeof env.Code !== 'string') {
    throw new MalformedAnswer('YunExpress answered JSON without its Code envelope');
  }
  if (env.Code !== '0000') {
    return {
      ok: false,
      error: { code: env.Code.slice(0, 32), message: (str(env.Message) ?? '').slice(0, 1000) },
    };
  }
  return { ok: true, value: env };
}

const kg = (grams: number): number => Math.round(grams) / 1000;

function splitName(name: string): { FirstName: string; LastName: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length === 1) return { FirstName: parts[0] ?? name, LastName: '' };
  return { FirstName: parts.slice(0, -1).join(' '), LastName: parts[parts.length - 1] ?? '' };
}

/** The CreateOrder body (an array of orders; the hub sends one). CustomerOrderNumber = the idempotency key. */
export function buildCreateOrder(req: ShipmentRequest, shippingMethod = DEFAULT_SHIPPING_METHOD): Json[] {
  const r = req.recipient;
  return [
    {
      CustomerOrderNumber: req.idempotencyKey,
      ShippingMethodCode: shippingMethod,
      TrackingNumber: '',
      PackageCount: 1,
      Weight: kg(req.totalWeightGrams),
      OrderNumber: req.reference,
      Receiver: {
        CountryCode: r.country,
        ...splitName(r.name),
        ...(r.company ? { Company: r.company } : {}),
        Street: r.line2 ? `${r.line1} ${r.line2}` : r.line1,
        City: r.city,
        ...(r.state ? { State: r.state } : {}),
        ...(r.postalCode ? { Zip: r.postalCode } : {}),
        ...(r.phone ? { Phone: r.phone.replace(/[\s()-]/g, '') } : {}),
        ...(r.email ? { Email: r.email } : {}),
        ...(r.idNumber ? { CertificateCode: r.idNumber } : {}),
      },
      Parcels: req.items.map((i) => ({
        EName: i.description.slice(0, 200),
        CName: i.description.slice(0, 200),
        HSCode: i.hsCode,
        Quantity: i.quantity,
        UnitPrice: Number(i.unitPrice),
        UnitWeight: kg(i.weightGrams),
        CurrencyCode: req.currency,
        SKU: i.sku,
      })),
    },
  ];
}

export function parseCreateOrder(rawBody: string): YunResult<ShipmentCreated> {
  const env = readEnvelope(rawBody);
  if (!env.ok) return env;
  const item = Array.isArray(env.value.Item) ? env.value.Item[0] : undefined;
  if (!isObject(item)) throw new MalformedAnswer('YunExpress CreateOrder answer without Item');
  if (item.Success !== 1) {
    const remark = (str(item.Remark) ?? 'refused').slice(0, 1000);
    // v1 gives no code for an order-level refusal; a duplicate is known only by its wording.
    const code = /已存在|already exist/i.test(remark) ? 'ORDER_EXISTS' : 'ORDER_REFUSED';
    return { ok: false, error: { code, message: remark } };
  }
  const waybillNo = str(item.WayBillNumber);
  if (!waybillNo || waybillNo.length > 64)
    throw new MalformedAnswer('YunExpress CreateOrder answer without WayBillNumber');
  return { ok: true, value: { waybillNo } };
}

/** GetTrackingNumber?CustomerOrderNumber=…: the waybill YunExpress holds for our order number. */
export function parseTrackingNumber(rawBody: string): YunResult<string | undefined> {
  const env = readEnvelope(rawBody);
  if (!env.ok) return env;
  const first = Array.isArray(env.value.Items) ? env.value.Items[0] : undefined;
  return { ok: true, value: isObject(first) ? str(first.WayBillNumber) : undefined };
}

/** Label/Print: the label URL of the first waybill. */
export function parseLabelPrint(rawBody: string): YunResult<string> {
  const env = readEnvelope(rawBody);
  if (!env.ok) return env;
  const first = Array.isArray(env.value.Item) ? env.value.Item[0] : undefined;
  const url = isObject(first) ? str(first.Url) : undefined;
  const info = isObject(first) && Array.isArray(first.OrderInfos) ? first.OrderInfos[0] : undefined;
  if (isObject(info) && info.Code !== 100) {
    return {
      ok: false,
      error: { code: String(info.Code ?? 'LABEL'), message: (str(info.Error) ?? 'no label').slice(0, 1000) },
    };
  }
  if (!url || !/^https?:\/\//.test(url)) throw new MalformedAnswer('YunExpress label answer without Url');
  return { ok: true, value: url };
}

const GMT8_MS = 8 * 3600_000;

/** `2021-12-28T23:38:38` (no zone, Beijing time) → epoch ms. */
export function parseProcessDate(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return ms - GMT8_MS;
}

/** GetTrackInfo → canonical events. A waybill YunExpress has no track for yet answers Item null. */
export function parseTrackInfo(rawBody: string): YunResult<TrackingEvent[]> {
  const env = readEnvelope(rawBody);
  if (!env.ok) return env;
  const item = env.value.Item;
  if (item === null || item === undefined) return { ok: true, value: [] };
  if (!isObject(item)) throw new MalformedAnswer('YunExpress track answer Item is not an object');
  const waybillNo = str(item.WaybillNumber);
  if (!waybillNo || waybillNo.length > 64)
    throw new MalformedAnswer('YunExpress track answer without WaybillNumber');
  const lastMileNo = str(item.TrackingNumber);
  const lastMile = str(item.CarrierName);
  const details = Array.isArray(item.OrderTrackingDetails) ? item.OrderTrackingDetails : [];
  const seen = new Map<string, number>();
  return {
    ok: true,
    value: details.map((raw) => {
      if (!isObject(raw)) throw new MalformedAnswer('YunExpress track detail is not an object');
      const status = str(raw.TrackingStatus);
      const date = str(raw.ProcessDate);
      const at = date === undefined ? undefined : parseProcessDate(date);
      if (!status || date === undefined || at === undefined) {
        throw new MalformedAnswer(
          `YunExpress track detail without TrackingStatus or a valid ProcessDate on ${waybillNo}`,
        );
      }
      const key = `${status}|${date}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      const code = trackingCodeFor(status);
      const event: TrackingEvent = {
        carrier: manifest.id,
        waybillNo,
        eventId: `yun:${waybillNo}:${status}:${at}:${n}`.slice(0, 128),
        code,
        stage: codeInfo(code).stage,
        partnerCode: status.slice(0, 64),
        description: (str(raw.ProcessContent) ?? '').slice(0, 500),
        occurredAt: new Date(at).toISOString(),
      };
      const loc = str(raw.ProcessLocation);
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
      return event;
    }),
  };
}
