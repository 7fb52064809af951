/**
 * Canonical ⇄ UPS JSON. Pure: no I/O, no clock. Errors come as `{"response": {"errors":
 * [{code, message}]}}` with a 4xx status; tracking as `trackResponse.shipment[].package[].
 * activity[]`, newest first, dates `YYYYMMDD` and times `HHMMSS` (gmtTime may lose its leading
 * zero).
 */
import { codeInfo, isCountryCode, type TrackingEvent } from '../../../domain/index.js';
import { MalformedAnswer } from '../../contract.js';
import { parseJson } from '../../json.js';
import type { PartnerRejection, PartnerResult, ShipmentCreated, ShipmentRequest } from '../../types.js';
import { trackingCodeFor } from './codes.js';
import { manifest } from './manifest.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
/** UPS sends a one-element list as an object in places: both read as a list. */
const many = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

function readJson(rawBody: string, what: string): Json {
  let doc: unknown;
  try {
    doc = parseJson(rawBody);
  } catch {
    throw new MalformedAnswer(`UPS ${what} is not JSON`);
  }
  if (!isObject(doc)) throw new MalformedAnswer(`UPS ${what} is not a JSON object`);
  return doc;
}

/** The first of UPS's `response.errors`, as a refusal. */
export function rejectionOf(status: number, rawBody: string): PartnerRejection {
  let first: Json | undefined;
  try {
    const doc = readJson(rawBody, 'error');
    const errors = isObject(doc.response) ? doc.response.errors : undefined;
    first = Array.isArray(errors) && isObject(errors[0]) ? errors[0] : undefined;
  } catch {
    first = undefined;
  }
  return {
    code: (str(first?.code) ?? String(status)).slice(0, 64),
    message: (str(first?.message) ?? rawBody.trim().slice(0, 200)) || `UPS answered ${status}`,
    status,
  };
}

export interface OAuthToken {
  accessToken: string;
  expiresInSec: number;
}

/** The client-credentials token answer: `{access_token, expires_in: "14399", token_type, status}`. */
export function parseToken(rawBody: string): OAuthToken {
  const doc = readJson(rawBody, 'token answer');
  const accessToken = str(doc.access_token);
  const expires = Number(doc.expires_in);
  if (!accessToken || !Number.isFinite(expires) || expires <= 0) {
    throw new MalformedAnswer('UPS token answer without access_token or expires_in');
  }
  return { accessToken, expiresInSec: expires };
}

export interface ShipOptions {
  serviceCode?: string;
  labelFormat?: 'ZPL' | 'PNG';
  accountNumber: string;
  shipper?: {
    name: string;
    phone?: string;
    addressLine: string;
    city: string;
    postalCode?: string;
    countryCode: string;
  };
}

const DEFAULT_SHIPPER: NonNullable<ShipOptions['shipper']> = {
  name: 'Waygate Shipper',
  addressLine: '1 Dock Road',
  city: 'Shenzhen',
  postalCode: '518000',
  countryCode: 'CN',
};

/** The Shipping API request (`ShipmentRequest`), one package, weights in kilograms. */
export function buildShipRequest(req: ShipmentRequest, opts: ShipOptions): Json {
  const r = req.recipient;
  const s = opts.shipper ?? DEFAULT_SHIPPER;
  const address = (
    lines: string[],
    city: string,
    postal: string | undefined,
    country: string,
    state?: string,
  ) => ({
    AddressLine: lines,
    City: city,
    ...(state ? { StateProvinceCode: state } : {}),
    ...(postal ? { PostalCode: postal } : {}),
    CountryCode: country,
  });
  return {
    ShipmentRequest: {
      Request: {
        RequestOption: 'nonvalidate',
        TransactionReference: { CustomerContext: req.idempotencyKey },
      },
      Shipment: {
        Description: req.items
          .map((i) => i.description)
          .join('; ')
          .slice(0, 50),
        Shipper: {
          Name: s.name,
          ShipperNumber: opts.accountNumber,
          ...(s.phone ? { Phone: { Number: s.phone } } : {}),
          Address: address([s.addressLine], s.city, s.postalCode, s.countryCode),
        },
        ShipTo: {
          Name: (r.company ?? r.name).slice(0, 35),
          AttentionName: r.name.slice(0, 35),
          ...(r.phone ? { Phone: { Number: r.phone.replace(/[\s()-]/g, '').slice(0, 15) } } : {}),
          ...(r.email ? { EMailAddress: r.email } : {}),
          Address: address(
            [r.line1, ...(r.line2 ? [r.line2] : [])],
            r.city,
            r.postalCode,
            r.country,
            r.state,
          ),
        },
        PaymentInformation: {
          ShipmentCharge: [{ Type: '01', BillShipper: { AccountNumber: opts.accountNumber } }],
        },
        Service: { Code: opts.serviceCode ?? '11' },
        ReferenceNumber: [{ Value: req.reference.slice(0, 35) }],
        Package: [
          {
            Packaging: { Code: '02' },
            PackageWeight: {
              UnitOfMeasurement: { Code: 'KGS' },
              Weight: (Math.max(req.totalWeightGrams, 100) / 1000).toFixed(1),
            },
          },
        ],
      },
      LabelSpecification: {
        LabelImageFormat: { Code: opts.labelFormat ?? 'ZPL' },
        LabelStockSize: { Height: '6', Width: '4' },
      },
    },
  };
}

/** A created shipment with its label decoded from `GraphicImage` (base64). */
export function parseShipResponse(status: number, rawBody: string): PartnerResult<ShipmentCreated> {
  if (status !== 200) return { ok: false, error: rejectionOf(status, rawBody) };
  const doc = readJson(rawBody, 'ship answer');
  const results =
    isObject(doc.ShipmentResponse) && isObject(doc.ShipmentResponse.ShipmentResults)
      ? doc.ShipmentResponse.ShipmentResults
      : undefined;
  const pkg = many(results?.PackageResults)[0];
  const waybillNo = isObject(pkg) ? str(pkg.TrackingNumber) : undefined;
  if (!results || !waybillNo || waybillNo.length > 64)
    throw new MalformedAnswer('UPS ship answer without PackageResults.TrackingNumber');
  const created: ShipmentCreated = { waybillNo };
  const id = str(results.ShipmentIdentificationNumber);
  if (id) created.partnerShipmentId = id.slice(0, 64);
  const label = isObject(pkg) && isObject(pkg.ShippingLabel) ? pkg.ShippingLabel : undefined;
  const fmt = label && isObject(label.ImageFormat) ? str(label.ImageFormat.Code) : undefined;
  const image = str(label?.GraphicImage);
  if (image && (fmt === 'ZPL' || fmt === 'PNG')) {
    created.label = { format: fmt, data: Buffer.from(image, 'base64') };
    created.labelFormat = fmt;
  }
  return { ok: true, value: created };
}

/** `YYYYMMDD` + `HHMMSS` (a leading zero possibly dropped) at UTC offset `±hh:mm` → epoch ms. */
export function upsInstant(
  date: string | undefined,
  time: string | undefined,
  offset = '+00:00',
): number | undefined {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(date ?? '');
  const t = /^\d{5,6}$/.test(time ?? '') ? (time ?? '').padStart(6, '0') : undefined;
  const o = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  if (!d || !t || !o) return undefined;
  const [y, mo, da] = d.slice(1).map(Number) as [number, number, number];
  const [h, mi, s] = [t.slice(0, 2), t.slice(2, 4), t.slice(4, 6)].map(Number) as [number, number, number];
  if (mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = Date.UTC(y, mo - 1, da, h, mi, s);
  if (new Date(ms).getUTCDate() !== da) return undefined;
  const sign = o[1] === '-' ? -1 : 1;
  return ms - sign * (Number(o[2]) * 60 + Number(o[3])) * 60_000;
}

/** /track/v1/details → canonical events of every package in the answer. */
export function parseTrackResponse(status: number, rawBody: string): PartnerResult<TrackingEvent[]> {
  if (status !== 200) return { ok: false, error: rejectionOf(status, rawBody) };
  const doc = readJson(rawBody, 'track answer');
  const tr = isObject(doc.trackResponse) ? doc.trackResponse : undefined;
  if (!tr) throw new MalformedAnswer('UPS track answer without trackResponse');
  const events: TrackingEvent[] = [];
  for (const shipment of many(tr.shipment)) {
    for (const pkg of isObject(shipment) ? many(shipment.package) : []) {
      if (!isObject(pkg)) continue;
      const waybillNo = str(pkg.trackingNumber);
      if (!waybillNo || waybillNo.length > 64)
        throw new MalformedAnswer('UPS package without trackingNumber');
      const seen = new Map<string, number>();
      for (const raw of many(pkg.activity)) {
        if (!isObject(raw) || !isObject(raw.status))
          throw new MalformedAnswer(`UPS activity without status on ${waybillNo}`);
        const type = str(raw.status.type) ?? '';
        const actCode = str(raw.status.code);
        const at =
          upsInstant(str(raw.gmtDate), str(raw.gmtTime), '+00:00') ??
          upsInstant(str(raw.date), str(raw.time), str(raw.gmtOffset) ?? '+00:00');
        if (!type || at === undefined)
          throw new MalformedAnswer(`UPS activity without a type or a valid date/time on ${waybillNo}`);
        const partnerCode = `${type}${actCode ? `:${actCode}` : ''}`.slice(0, 64);
        const key = `${partnerCode}|${at}`;
        const n = seen.get(key) ?? 0;
        seen.set(key, n + 1);
        const code = trackingCodeFor(type, actCode);
        const event: TrackingEvent = {
          carrier: manifest.id,
          waybillNo,
          eventId: `ups:${waybillNo}:${partnerCode}:${at}:${n}`.slice(0, 128),
          code,
          stage: codeInfo(code).stage,
          partnerCode,
          description: (str(raw.status.description) ?? '').trim().slice(0, 500),
          occurredAt: new Date(at).toISOString(),
        };
        const addr =
          isObject(raw.location) && isObject(raw.location.address) ? raw.location.address : undefined;
        const city = str(addr?.city);
        const country = str(addr?.countryCode);
        if (city || (country && isCountryCode(country))) {
          event.location = {
            ...(city ? { city: city.slice(0, 100) } : {}),
            ...(country && isCountryCode(country) ? { country } : {}),
          };
        }
        events.push(event);
      }
    }
  }
  return { ok: true, value: events };
}
