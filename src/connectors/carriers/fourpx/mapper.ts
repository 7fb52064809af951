/**
 * Canonical ⇄ 4PX payloads. Pure: no I/O, no clock. 4PX's field names stay in this folder.
 * Every answer comes in one envelope `{result: "1"|"0"|"2", msg, errors, data}` (result is a
 * string; "2" is partial success); an envelope of result "0" is data (a FourpxError list), a body
 * that is no envelope at all throws MalformedAnswer.
 */
import { codeInfo, isCountryCode, type TrackingEvent } from '../../../domain/index.js';
import { MalformedAnswer } from '../../contract.js';
import { parseJson } from '../../json.js';
import type { PartnerResult, ShipmentCreated, ShipmentRequest } from '../../types.js';
import { CONSIGNMENT_STATUSES, trackingCodeFor, type FourpxError } from './codes.js';
import { manifest } from './manifest.js';

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;

export type FourpxResult<T> = PartnerResult<T, FourpxError[]>;

export const DEFAULT_PRODUCT_CODE = 'F3';

/** The envelope's errors, as data. */
function errorsOf(env: Json): FourpxError[] {
  const list = Array.isArray(env.errors) ? env.errors : [];
  const errors = list.filter(isObject).map((e) => {
    const err: FourpxError = {
      code: (str(e.error_code) ?? 'unknown').slice(0, 64),
      message: (str(e.error_msg) ?? '').slice(0, 1000),
    };
    const ref = str(e.reference_code);
    if (ref) err.referenceCode = ref.slice(0, 64);
    return err;
  });
  return errors.length > 0
    ? errors
    : [{ code: 'unknown', message: (str(env.msg) ?? 'failed').slice(0, 1000) }];
}

/**
 * Reads the envelope: the `data` of result "1" (or "2" when it carries data), the errors of "0".
 * Some methods send `data` as a JSON string; it is parsed once more.
 */
export function readEnvelope(rawBody: string): FourpxResult<unknown> {
  let env: unknown;
  try {
    env = parseJson(rawBody);
  } catch {
    throw new MalformedAnswer('4PX answered a body that is not JSON');
  }
  if (!isObject(env) || typeof env.result !== 'string') {
    throw new MalformedAnswer('4PX answered JSON without its result envelope');
  }
  if (env.result === '0') return { ok: false, error: errorsOf(env) };
  if (env.result !== '1' && env.result !== '2') {
    throw new MalformedAnswer(`4PX answered an unknown result ${env.result.slice(0, 8)}`);
  }
  let data = env.data;
  if (typeof data === 'string' && /^\s*[[{]/.test(data)) {
    try {
      data = parseJson(data);
    } catch {
      throw new MalformedAnswer('4PX answered a data string that is not JSON');
    }
  }
  if (env.result === '2' && (data === null || data === undefined)) return { ok: false, error: errorsOf(env) };
  return { ok: true, value: data ?? null };
}

function splitName(name: string): { first_name: string; last_name: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length === 1) return { first_name: parts[0] ?? name, last_name: parts[0] ?? name };
  return { first_name: parts.slice(0, -1).join(' '), last_name: parts[parts.length - 1] ?? '' };
}

/** Money as 4PX's numbers: declared values go as JSON numbers with at most 4 decimals. */
const amount = (decimal: string): number => Number(decimal);

export interface CreateOptions {
  productCode?: string;
  labelFormat?: 'PDF' | 'PNG' | 'ZPL';
}

/** The ds.xms.order.create body for a canonical shipment. `ref_no` is the idempotency key: 4PX refuses a second consignment for it. */
export function buildCreateOrder(req: ShipmentRequest, opts: CreateOptions = {}): Json {
  const r = req.recipient;
  const recipient: Json = {
    ...splitName(r.name),
    ...(r.company ? { company: r.company } : {}),
    ...(r.phone ? { phone: r.phone.replace(/[\s()-]/g, '') } : {}),
    ...(r.email ? { email: r.email } : {}),
    ...(r.postalCode ? { post_code: r.postalCode } : {}),
    country: r.country,
    ...(r.state ? { state: r.state } : {}),
    city: r.city,
    street: r.line2 ? `${r.line1}, ${r.line2}` : r.line1,
    ...(r.idNumber ? { certificate_info: { certificate_type: 'ID', certificate_no: r.idNumber } } : {}),
  };
  return {
    '4px_tracking_no': '',
    ref_no: req.idempotencyKey,
    business_type: 'BDS',
    duty_type: 'U',
    cargo_type: '5',
    buyer_id: req.reference,
    logistics_service_info: { logistics_product_code: opts.productCode ?? DEFAULT_PRODUCT_CODE },
    label_barcode: '',
    return_info: { is_return_on_domestic: 'Y', is_return_on_oversea: 'N' },
    parcel_list: [
      {
        weight: req.totalWeightGrams,
        parcel_value: amount(req.declaredValue),
        currency: req.currency,
        include_battery: 'N',
        product_list: req.items.map((i) => ({
          sku_code: i.sku,
          product_name: i.description.slice(0, 100),
          product_unit_price: amount(i.unitPrice),
          currency: req.currency,
          qty: i.quantity,
        })),
        declare_product_info: req.items.map((i) => ({
          declare_product_code: i.sku,
          declare_product_name_en: i.description.slice(0, 100),
          declare_product_code_qty: i.quantity,
          unit_declare_product: 'PCS',
          unit_net_weight: i.weightGrams,
          origin_country: i.originCountry,
          hscode_export: i.hsCode,
          declare_unit_price_export: amount(i.unitPrice),
          currency_export: req.currency,
        })),
      },
    ],
    is_insure: 'N',
    recipient_info: recipient,
    deliver_type_info: { deliver_type: '1' },
    label_config_info: {
      label_size: 'label_100x100',
      response_label_format: opts.labelFormat ?? 'PDF',
      create_logistics_label: 'Y',
    },
  };
}

export function parseCreateOrder(rawBody: string): FourpxResult<ShipmentCreated> {
  const env = readEnvelope(rawBody);
  if (!env.ok) return env;
  const data = env.value;
  if (!isObject(data)) throw new MalformedAnswer('4PX create answer without data');
  const waybillNo = str(data['4px_tracking_no']);
  if (!waybillNo || waybillNo.length > 64)
    throw new MalformedAnswer('4PX create answer without 4px_tracking_no');
  const created: ShipmentCreated = { waybillNo };
  const ds = str(data.ds_consignment_no);
  if (ds) created.partnerShipmentId = ds.slice(0, 64);
  return { ok: true, value: created };
}

/** ds.xms.order.get by our ref_no: the consignment 4PX already holds for it (a replayed create). */
export function buildOrderGet(refNo: string): Json {
  return { request_no: refNo };
}

export function parseOrderGet(rawBody: string): FourpxResult<ShipmentCreated & { status: string }> {
  const env = readEnvelope(rawBody);
  if (!env.ok) return env;
  const first = Array.isArray(env.value) ? env.value[0] : undefined;
  const info = isObject(first) && isObject(first.consignment_info) ? first.consignment_info : undefined;
  const waybillNo = str(info?.['4px_tracking_no']);
  if (!info || !waybillNo) throw new MalformedAnswer('4PX order.get answer without a consignment');
  const letter = str(info.consignment_status) ?? '';
  const status = Object.hasOwn(CONSIGNMENT_STATUSES, letter)
    ? CONSIGNMENT_STATUSES[letter as keyof typeof CONSIGNMENT_STATUSES]
    : 'unknown';
  const created: ShipmentCreated & { status: string } = { waybillNo, status };
  const ds = str(info.ds_consignment_no);
  if (ds) created.partnerShipmentId = ds.slice(0, 64);
  return { ok: true, value: created };
}

export function buildCancel(waybillNo: string): Json {
  return { request_no: waybillNo, cancel_reason: 'Cancelled by the seller' };
}

export function parseCancel(rawBody: string): FourpxResult<null> {
  const env = readEnvelope(rawBody);
  return env.ok ? { ok: true, value: null } : env;
}

export function buildLabelGet(waybillNo: string, format: 'PDF' | 'PNG' | 'ZPL' = 'PDF'): Json {
  return { request_no: waybillNo, response_label_format: format, label_size: 'label_100x100' };
}

/** The label's URL from ds.xms.label.get (`label_url_info.logistics_label`). */
export function parseLabelGet(rawBody: string): FourpxResult<string> {
  const env = readEnvelope(rawBody);
  if (!env.ok) return env;
  const info =
    isObject(env.value) && isObject(env.value.label_url_info) ? env.value.label_url_info : undefined;
  const url = str(info?.logistics_label);
  if (!url || !/^https?:\/\//.test(url))
    throw new MalformedAnswer('4PX label answer without label_url_info.logistics_label');
  return { ok: true, value: url };
}

export function buildTracking(waybillNo: string): Json {
  return { deliveryOrderNo: waybillNo };
}

const GMT8_MS = 8 * 3600_000;

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (4PX's clock) → epoch ms, or undefined. */
export function parseBeijingTime(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return ms - GMT8_MS;
}

/** `occurLocation` "City,CC" (or "City"), split; a country that is not ISO alpha-2 is dropped. */
function locationOf(raw: string | undefined): TrackingEvent['location'] | undefined {
  if (!raw) return undefined;
  const [city, country] = raw.split(',').map((s) => s.trim());
  const loc: NonNullable<TrackingEvent['location']> = {};
  if (city) loc.city = city.slice(0, 100);
  if (country && isCountryCode(country)) loc.country = country;
  return loc.city !== undefined || loc.country !== undefined ? loc : undefined;
}

/** tr.order.tracking.get → canonical events, ids stable across polls (waybill, code, time, repeat). */
export function parseTracking(rawBody: string): FourpxResult<TrackingEvent[]> {
  const env = readEnvelope(rawBody);
  if (!env.ok) return env;
  const data = env.value;
  if (!isObject(data)) throw new MalformedAnswer('4PX tracking answer without data');
  const waybillNo = str(data.deliveryOrderNo);
  if (!waybillNo || waybillNo.length > 64)
    throw new MalformedAnswer('4PX tracking answer without deliveryOrderNo');
  const list = Array.isArray(data.trackingList) ? data.trackingList : [];
  const seen = new Map<string, number>();
  return {
    ok: true,
    value: list.map((raw) => {
      if (!isObject(raw)) throw new MalformedAnswer('4PX tracking entry is not an object');
      const link = str(raw.businessLinkCode);
      const time = str(raw.occurDatetime);
      const at = time === undefined ? undefined : parseBeijingTime(time);
      if (!link || time === undefined || at === undefined) {
        throw new MalformedAnswer(
          `4PX tracking entry without businessLinkCode or a valid occurDatetime on ${waybillNo}`,
        );
      }
      const key = `${link}|${time}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      const code = trackingCodeFor(link);
      const event: TrackingEvent = {
        carrier: manifest.id,
        waybillNo,
        eventId: `4px:${waybillNo}:${link}:${at}:${n}`.slice(0, 128),
        code,
        stage: codeInfo(code).stage,
        partnerCode: link.slice(0, 64),
        description: (str(raw.trackingContent) ?? '').slice(0, 500),
        occurredAt: new Date(at).toISOString(),
      };
      const location = locationOf(str(raw.occurLocation));
      if (location) event.location = location;
      return event;
    }),
  };
}
