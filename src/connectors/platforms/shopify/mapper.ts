/**
 * Shopify orders and fulfilments <-> canonical. Pure: no I/O, no clock.
 *
 * Shopify ids (orders, line items, fulfilment orders) exceed 2^53, so JSON from Shopify is read
 * with lossless-json and every id is kept as its exact decimal text, end to end; ids written
 * back are emitted as JSON numbers with the same digits. Orders carry no HS code or origin:
 * the hub's product catalogue supplies them (the line's `grams`, when above 0, is its weight).
 */
import { isSafeNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import {
  isCountryCode,
  isCurrencyCode,
  isDecimalAmount,
  WaygateError,
  type Address,
  type OrderInput,
  type OrderLine,
} from '../../../domain/index.js';
import type { FulfilmentRequest } from '../../types.js';
import { fulfilmentEventStatus } from './codes.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface FieldError {
  /** JSON pointer into Shopify's payload. */
  field: string;
  message: string;
}

/**
 * Shopify JSON with every integer beyond 2^53 kept as its exact text (a string), other numbers
 * as numbers. Throws order_payload_invalid on text that is not JSON.
 */
export function parseShopifyJson(text: string): unknown {
  try {
    return parse(text, null, (value) => (isSafeNumber(value) ? Number(value) : value));
  } catch {
    throw new WaygateError('order_payload_invalid', 'the Shopify body is not JSON', {
      field: '',
      errors: [{ field: '', message: 'is not valid JSON' }],
    });
  }
}

const ID_TEXT = /^[1-9]\d{0,19}$/;

/** An id as its exact decimal text (a safe number, or the text lossless-json kept). */
function idText(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return String(v);
  if (typeof v === 'string' && ID_TEXT.test(v)) return v;
  return undefined;
}

/** JSON text with these ids written as exact JSON numbers. */
export function shopifyJson(value: unknown): string {
  return stringify(value) ?? 'null';
}
const idNumber = (id: string) => new LosslessNumber(id);

class Reader {
  readonly errors: FieldError[] = [];
  fail(field: string, message: string): undefined {
    this.errors.push({ field, message });
    return undefined;
  }
  text(obj: Json, key: string, at: string, opts: { required?: boolean; max: number }): string | undefined {
    const v = obj[key];
    const field = `${at}/${key}`;
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
      return opts.required ? this.fail(field, 'is required') : undefined;
    }
    if (typeof v !== 'string') return this.fail(field, 'must be a string');
    const t = v.trim();
    return t.length > opts.max ? this.fail(field, `must be at most ${opts.max} characters`) : t;
  }
}

const PHONE_RE = /^\+?[0-9 ()-]{5,24}$/;
const EMAIL_RE =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function readAddress(r: Reader, order: Json): Address | undefined {
  const at = '/shipping_address';
  const a = order.shipping_address;
  if (a === undefined || a === null) return r.fail(at, 'is required: the order has nothing to ship');
  if (!isObject(a)) return r.fail(at, 'must be an object');
  let name = r.text(a, 'name', at, { max: 200 });
  if (name === undefined) {
    const joined = `${r.text(a, 'first_name', at, { max: 100 }) ?? ''} ${r.text(a, 'last_name', at, { max: 100 }) ?? ''}`;
    name = joined.trim() || r.fail(`${at}/name`, 'is required (or first_name / last_name)');
  }
  const line1 = r.text(a, 'address1', at, { required: true, max: 200 });
  const line2 = r.text(a, 'address2', at, { max: 200 });
  const city = r.text(a, 'city', at, { required: true, max: 100 });
  const company = r.text(a, 'company', at, { max: 200 });
  const state = r.text(a, 'province_code', at, { max: 100 }) ?? r.text(a, 'province', at, { max: 100 });
  const postalCode = r.text(a, 'zip', at, { max: 20 });
  let country = r.text(a, 'country_code', at, { required: true, max: 2 })?.toUpperCase();
  if (country !== undefined && !isCountryCode(country)) {
    country = r.fail(`${at}/country_code`, `"${country}" is not an ISO 3166-1 alpha-2 code`);
  }
  let phone = r.text(a, 'phone', at, { max: 24 }) ?? r.text(order, 'phone', '', { max: 24 });
  if (phone !== undefined && !PHONE_RE.test(phone)) phone = r.fail(`${at}/phone`, 'is not a phone number');
  let email = r.text(order, 'email', '', { max: 254 });
  if (email !== undefined && !EMAIL_RE.test(email)) email = r.fail('/email', 'is not an email address');
  if (name === undefined || line1 === undefined || city === undefined || country === undefined)
    return undefined;
  return {
    name,
    ...(phone !== undefined ? { phone } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(company !== undefined ? { company } : {}),
    line1,
    ...(line2 !== undefined ? { line2 } : {}),
    city,
    ...(state !== undefined ? { state } : {}),
    ...(postalCode !== undefined ? { postalCode } : {}),
    country,
  };
}

function readLine(r: Reader, li: unknown, idx: number): OrderLine | undefined {
  const at = `/line_items/${idx}`;
  if (!isObject(li)) return r.fail(at, 'must be an object');
  const sku = r.text(li, 'sku', at, { required: true, max: 64 });
  const title = r.text(li, 'title', at, { required: true, max: 400 });
  const variant = r.text(li, 'variant_title', at, { max: 90 });
  const q = li.quantity;
  const quantity =
    typeof q === 'number' && Number.isInteger(q) && q >= 1 && q <= 100_000
      ? q
      : r.fail(`${at}/quantity`, 'must be an integer from 1 to 100000');
  const price = li.price;
  const unitPrice =
    typeof price === 'string' && isDecimalAmount(price)
      ? price
      : r.fail(`${at}/price`, price === undefined ? 'is required' : 'must be a decimal string');
  const g = li.grams;
  // 0 (or absent) is Shopify's "no weight set": the catalogue's unit weight then applies.
  const weightGrams =
    typeof g === 'number' && Number.isInteger(g) && g >= 1 && g <= 1_000_000 ? g : undefined;
  if (sku === undefined || title === undefined || quantity === undefined || unitPrice === undefined)
    return undefined;
  return {
    sku,
    description: variant ? `${title} - ${variant}` : title,
    quantity,
    unitPrice,
    ...(weightGrams !== undefined ? { weightGrams } : {}),
  };
}

/**
 * A Shopify order (an `orders/create` or `orders/updated` webhook body, or `order` of the Admin
 * REST API) as a canonical order whose externalId is the order id's exact digits. Throws
 * order_payload_invalid with `details.errors` naming every bad Shopify field.
 */
export function shopifyOrderToCanonical(payload: unknown, source: string): OrderInput {
  if (!isObject(payload)) {
    throw new WaygateError('order_payload_invalid', 'the Shopify order must be a JSON object', {
      field: '',
      errors: [{ field: '', message: 'must be a JSON object' }],
    });
  }
  const r = new Reader();
  const externalId = idText(payload.id) ?? r.fail('/id', 'must be a positive integer id');
  let currency = r.text(payload, 'currency', '', { required: true, max: 3 });
  if (currency !== undefined && !isCurrencyCode(currency)) {
    currency = r.fail('/currency', `"${currency}" is not an ISO 4217 currency code`);
  }
  let placedAt = r.text(payload, 'created_at', '', { max: 40 });
  if (placedAt !== undefined && !(DATE_TIME_RE.test(placedAt) && Number.isFinite(Date.parse(placedAt)))) {
    placedAt = r.fail('/created_at', 'is not an RFC 3339 date-time');
  }
  const notes = r.text(payload, 'note', '', { max: 1000 });
  const recipient = readAddress(r, payload);
  const items: OrderLine[] = [];
  const lines = payload.line_items;
  if (!Array.isArray(lines) || lines.length === 0) r.fail('/line_items', 'must list at least one line item');
  else if (lines.length > 500) r.fail('/line_items', 'must list at most 500 line items');
  else
    lines.forEach((li, i) => {
      const line = readLine(r, li, i);
      if (line) items.push(line);
    });
  const first = r.errors[0];
  if (first || !externalId || !currency || !recipient) {
    throw new WaygateError(
      'order_payload_invalid',
      `the Shopify order cannot become a canonical order: ${r.errors.length} field(s) invalid, first ${first?.field} ${first?.message}`,
      { field: first?.field, errors: r.errors },
    );
  }
  return {
    source,
    externalId,
    currency,
    recipient,
    items,
    ...(placedAt !== undefined ? { placedAt } : {}),
    ...(notes !== undefined ? { notes } : {}),
  };
}

/** A canonical order in Shopify's order shape (the reverse mapping; ids exact). */
export function canonicalToShopifyOrder(order: OrderInput): string {
  if (!ID_TEXT.test(order.externalId)) {
    throw new WaygateError('order_payload_invalid', 'Shopify identifies orders by a numeric id', {
      field: '/externalId',
      errors: [{ field: '/externalId', message: 'must be the digits of a Shopify order id' }],
    });
  }
  const r = order.recipient;
  const at = r.name.lastIndexOf(' ');
  return shopifyJson({
    id: idNumber(order.externalId),
    ...(r.email !== undefined ? { email: r.email } : {}),
    ...(order.placedAt !== undefined ? { created_at: order.placedAt } : {}),
    currency: order.currency,
    ...(order.notes !== undefined ? { note: order.notes } : {}),
    line_items: order.items.map((i) => ({
      sku: i.sku,
      title: i.description,
      quantity: i.quantity,
      price: i.unitPrice,
      grams: i.weightGrams ?? 0,
    })),
    shipping_address: {
      first_name: at < 0 ? '' : r.name.slice(0, at),
      last_name: at < 0 ? r.name : r.name.slice(at + 1),
      name: r.name,
      ...(r.phone !== undefined ? { phone: r.phone } : {}),
      ...(r.company !== undefined ? { company: r.company } : {}),
      address1: r.line1,
      ...(r.line2 !== undefined ? { address2: r.line2 } : {}),
      city: r.city,
      ...(r.state !== undefined ? { province_code: r.state } : {}),
      ...(r.postalCode !== undefined ? { zip: r.postalCode } : {}),
      country_code: r.country,
    },
  });
}

// Fulfilment (orders out → shipped)

/** The fulfilment orders still to fulfil, from `GET /orders/{id}/fulfillment_orders.json`. */
export function openFulfillmentOrderIds(body: unknown): string[] | undefined {
  if (!isObject(body) || !Array.isArray(body.fulfillment_orders)) return undefined;
  const ids: string[] = [];
  for (const fo of body.fulfillment_orders) {
    if (!isObject(fo)) return undefined;
    const id = idText(fo.id);
    if (!id) return undefined;
    if (fo.status === 'open' || fo.status === 'in_progress') ids.push(id);
  }
  return ids;
}

function trackingInfo(req: FulfilmentRequest) {
  return {
    number: req.waybillNo,
    company: req.carrierName,
    ...(req.trackingUrl ? { url: req.trackingUrl } : {}),
  };
}

/** `POST /fulfillments.json`: the whole of each open fulfilment order, with its tracking. */
export function buildFulfillmentCreate(
  fulfillmentOrderIds: readonly string[],
  req: FulfilmentRequest,
  notifyCustomer: boolean,
): string {
  return shopifyJson({
    fulfillment: {
      line_items_by_fulfillment_order: fulfillmentOrderIds.map((id) => ({
        fulfillment_order_id: idNumber(id),
      })),
      tracking_info: trackingInfo(req),
      notify_customer: notifyCustomer,
    },
  });
}

/** `POST /fulfillments/{id}/update_tracking.json`. */
export function buildTrackingUpdate(req: FulfilmentRequest): string {
  return shopifyJson({ fulfillment: { tracking_info: trackingInfo(req), notify_customer: false } });
}

/** `POST /orders/{o}/fulfillments/{f}/events.json`, or undefined when the status has no Shopify event. */
export function buildFulfillmentEvent(req: FulfilmentRequest): string | undefined {
  const status = fulfilmentEventStatus(req.status);
  return status ? shopifyJson({ event: { status } }) : undefined;
}

/** The fulfilment id of a `{"fulfillment":{…}}` answer. */
export function fulfillmentId(body: unknown): string | undefined {
  return isObject(body) && isObject(body.fulfillment) ? idText(body.fulfillment.id) : undefined;
}

/** Shopify's error envelope: `{"errors":"text"}` or `{"errors":{"field":["message"]}}`, flattened. */
export function shopifyErrorMessage(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body.slice(0, 200);
  }
  const e = isObject(parsed) ? (parsed.errors ?? parsed.error) : undefined;
  if (typeof e === 'string') return e;
  if (Array.isArray(e)) return e.map(String).join('; ');
  if (isObject(e)) {
    return Object.entries(e)
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map(String).join(', ') : String(v)}`)
      .join('; ');
  }
  return body.slice(0, 200);
}
