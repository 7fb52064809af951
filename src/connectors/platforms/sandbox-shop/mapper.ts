/**
 * Sandbox shop orders <-> canonical orders. Pure: no I/O, no clock.
 *
 * The shop speaks a Shopify-like dialect: numeric ids, prices as decimal strings, weights in
 * grams, HS code and origin per line item, the destination in `shipping_address`. A payload the
 * hub cannot ship is refused with every offending field named (as a JSON pointer into the
 * shop's payload), so the shop's developer can fix all of them at once.
 */
import {
  isCountryCode,
  isCurrencyCode,
  isDecimalAmount,
  isHsCode,
  orderTotal,
  type Address,
  type OrderInput,
  type OrderItem,
  WaygateError,
} from '../../../domain/index.js';

export interface ShopAddressPayload {
  first_name?: string | null;
  last_name?: string | null;
  name?: string | null;
  phone?: string | null;
  company?: string | null;
  address1?: string | null;
  address2?: string | null;
  city?: string | null;
  province?: string | null;
  province_code?: string | null;
  zip?: string | null;
  country?: string | null;
  country_code?: string | null;
}

export interface ShopLineItemPayload {
  id?: number;
  sku?: string | null;
  title?: string | null;
  variant_title?: string | null;
  quantity?: number;
  price?: string;
  grams?: number;
  harmonized_system_code?: string | null;
  country_code_of_origin?: string | null;
}

export interface ShopOrderPayload {
  id?: number | string;
  name?: string;
  email?: string | null;
  phone?: string | null;
  created_at?: string | null;
  currency?: string;
  total_price?: string;
  note?: string | null;
  line_items?: ShopLineItemPayload[];
  shipping_address?: ShopAddressPayload | null;
}

export interface FieldError {
  /** JSON pointer into the shop's order payload. */
  field: string;
  message: string;
}

const PHONE_RE = /^\+?[0-9 ()-]{5,24}$/;
// The same rule as the gateway's JSON Schema `email` format (ajv-formats, full mode).
const EMAIL_RE =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MAX_ITEMS = 500;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects field errors while reading a payload, so all of them are reported at once. */
class Reader {
  readonly errors: FieldError[] = [];

  fail(field: string, message: string): undefined {
    this.errors.push({ field, message });
    return undefined;
  }

  /** A string field; blank counts as absent. */
  text(obj: Json, key: string, at: string, opts: { required?: boolean; max: number }): string | undefined {
    const v = obj[key];
    const field = `${at}/${key}`;
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
      return opts.required ? this.fail(field, 'is required') : undefined;
    }
    if (typeof v !== 'string') return this.fail(field, 'must be a string');
    const s = v.trim();
    if (s.length > opts.max) return this.fail(field, `must be at most ${opts.max} characters`);
    return s;
  }

  integer(obj: Json, key: string, at: string, min: number, max: number): number | undefined {
    const v = obj[key];
    const field = `${at}/${key}`;
    if (v === undefined || v === null) return this.fail(field, 'is required');
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.fail(field, 'must be an integer');
    if (v < min || v > max) return this.fail(field, `must be between ${min} and ${max}`);
    return v;
  }
}

function readId(r: Reader, order: Json): string | undefined {
  const v = order.id;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return String(v);
  if (typeof v === 'string' && /^[1-9]\d{0,19}$/.test(v)) return v;
  return r.fail('/id', v === undefined || v === null ? 'is required' : 'must be a positive integer');
}

function readEmail(r: Reader, order: Json): string | undefined {
  const email = r.text(order, 'email', '', { max: 254 });
  return email !== undefined && !EMAIL_RE.test(email) ? r.fail('/email', 'is not an email address') : email;
}

function readAddress(r: Reader, order: Json, email: string | undefined): Address | undefined {
  const a = order.shipping_address;
  const at = '/shipping_address';
  if (a === undefined || a === null)
    return r.fail(at, 'is required: the order has no destination to ship to');
  if (!isObject(a)) return r.fail(at, 'must be an object');

  let name = r.text(a, 'name', at, { max: 200 });
  if (name === undefined) {
    const first = r.text(a, 'first_name', at, { max: 100 }) ?? '';
    const last = r.text(a, 'last_name', at, { max: 100 }) ?? '';
    name = `${first} ${last}`.trim() || r.fail(`${at}/name`, 'is required (or first_name / last_name)');
  }
  const line1 = r.text(a, 'address1', at, { required: true, max: 200 });
  const line2 = r.text(a, 'address2', at, { max: 200 });
  const city = r.text(a, 'city', at, { required: true, max: 100 });
  const company = r.text(a, 'company', at, { max: 200 });
  const state = r.text(a, 'province_code', at, { max: 100 }) ?? r.text(a, 'province', at, { max: 100 });
  const postalCode = r.text(a, 'zip', at, { max: 20 });

  let country = r.text(a, 'country_code', at, { required: true, max: 2 });
  if (country !== undefined) {
    country = country.toUpperCase();
    if (!isCountryCode(country))
      country = r.fail(`${at}/country_code`, `"${country}" is not an ISO 3166-1 alpha-2 code`);
  }

  let phone = r.text(a, 'phone', at, { max: 24 });
  let phoneField = `${at}/phone`;
  if (phone === undefined) {
    phone = r.text(order, 'phone', '', { max: 24 });
    phoneField = '/phone';
  }
  if (phone !== undefined && !PHONE_RE.test(phone)) {
    phone = r.fail(phoneField, 'is not a phone number (digits, spaces, ( ) - and a leading +)');
  }

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

function readItem(r: Reader, li: unknown, idx: number): OrderItem | undefined {
  const at = `/line_items/${idx}`;
  if (!isObject(li)) return r.fail(at, 'must be an object');
  const sku = r.text(li, 'sku', at, { required: true, max: 64 });
  const title = r.text(li, 'title', at, { required: true, max: 400 });
  const variant = r.text(li, 'variant_title', at, { max: 90 });
  const quantity = r.integer(li, 'quantity', at, 1, 100_000);
  const weightGrams = r.integer(li, 'grams', at, 1, 1_000_000);

  let unitPrice: string | undefined;
  if (typeof li.price !== 'string')
    r.fail(`${at}/price`, li.price === undefined ? 'is required' : 'must be a decimal string');
  else if (!isDecimalAmount(li.price)) r.fail(`${at}/price`, `"${li.price}" is not a decimal amount`);
  else unitPrice = li.price;

  let hsCode = r.text(li, 'harmonized_system_code', at, { required: true, max: 16 });
  if (hsCode !== undefined) {
    // The shop lets merchants type "6109.10" or "6109 10"; customs wants the digits.
    const digits = hsCode.replace(/[.\s]/g, '');
    hsCode = isHsCode(digits)
      ? digits
      : r.fail(`${at}/harmonized_system_code`, `"${hsCode}" is not an HS code (6, 8 or 10 digits)`);
  }
  let originCountry = r.text(li, 'country_code_of_origin', at, { required: true, max: 2 });
  if (originCountry !== undefined) {
    originCountry = originCountry.toUpperCase();
    if (!isCountryCode(originCountry)) {
      originCountry = r.fail(
        `${at}/country_code_of_origin`,
        `"${originCountry}" is not an ISO 3166-1 alpha-2 code`,
      );
    }
  }

  if (
    sku === undefined ||
    title === undefined ||
    quantity === undefined ||
    weightGrams === undefined ||
    unitPrice === undefined ||
    hsCode === undefined ||
    originCountry === undefined
  ) {
    return undefined;
  }
  return {
    sku,
    description: variant ? `${title} - ${variant}` : title,
    quantity,
    unitPrice,
    hsCode,
    originCountry,
    weightGrams,
  };
}

/**
 * A shop order (the body of an `orders/create` webhook, or `order` of the admin API) as a
 * canonical OrderInput. Throws invalid_input with `details.errors` listing every bad field.
 */
export function shopOrderToCanonical(payload: unknown, source: string): OrderInput {
  const r = new Reader();
  if (!isObject(payload)) {
    throw new WaygateError('order_payload_invalid', 'the shop order must be a JSON object', {
      field: '',
      errors: [{ field: '', message: 'must be a JSON object' }],
    });
  }
  const externalId = readId(r, payload);

  let currency = r.text(payload, 'currency', '', { required: true, max: 3 });
  if (currency !== undefined && !isCurrencyCode(currency)) {
    currency = r.fail('/currency', `"${currency}" is not an ISO 4217 currency code`);
  }

  let placedAt = r.text(payload, 'created_at', '', { max: 40 });
  if (placedAt !== undefined && !(DATE_TIME_RE.test(placedAt) && Number.isFinite(Date.parse(placedAt)))) {
    placedAt = r.fail('/created_at', 'is not an RFC 3339 date-time');
  }
  const notes = r.text(payload, 'note', '', { max: 1000 });
  const recipient = readAddress(r, payload, readEmail(r, payload));

  const items: OrderItem[] = [];
  const lines = payload.line_items;
  if (!Array.isArray(lines) || lines.length === 0) {
    r.fail('/line_items', 'must list at least one line item');
  } else if (lines.length > MAX_ITEMS) {
    r.fail('/line_items', `must list at most ${MAX_ITEMS} line items`);
  } else {
    lines.forEach((li, idx) => {
      const item = readItem(r, li, idx);
      if (item) items.push(item);
    });
  }

  if (r.errors.length > 0 || !externalId || !currency || !recipient) {
    const first = r.errors[0] as FieldError;
    throw new WaygateError(
      'order_payload_invalid',
      `the shop order cannot become a canonical order: ${r.errors.length} field(s) invalid, first ${first.field} ${first.message}`,
      { field: first.field, errors: r.errors },
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

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

function splitName(name: string): { first_name: string; last_name: string } {
  const at = name.lastIndexOf(' ');
  return at < 0
    ? { first_name: '', last_name: name }
    : { first_name: name.slice(0, at), last_name: name.slice(at + 1) };
}

/**
 * A canonical order in the shop's dialect, with the fields both models have (used to create
 * orders in the shop and to test the mapping both ways). The order id is the numeric externalId.
 */
export function canonicalToShopOrder(order: OrderInput): ShopOrderPayload {
  if (!/^[1-9]\d{0,15}$/.test(order.externalId) || !Number.isSafeInteger(Number(order.externalId))) {
    throw new WaygateError('order_payload_invalid', 'the shop identifies orders by a numeric id', {
      field: '/externalId',
      errors: [{ field: '/externalId', message: 'must be a positive integer for the shop' }],
    });
  }
  const r = order.recipient;
  const stateIsCode = r.state !== undefined && /^[A-Z0-9-]{1,6}$/.test(r.state);
  const address: ShopAddressPayload = {
    ...splitName(r.name),
    name: r.name,
    ...(r.phone !== undefined ? { phone: r.phone } : {}),
    ...(r.company !== undefined ? { company: r.company } : {}),
    address1: r.line1,
    ...(r.line2 !== undefined ? { address2: r.line2 } : {}),
    city: r.city,
    ...(r.state !== undefined ? (stateIsCode ? { province_code: r.state } : { province: r.state }) : {}),
    ...(r.postalCode !== undefined ? { zip: r.postalCode } : {}),
    country: regionNames.of(r.country) ?? r.country,
    country_code: r.country,
  };
  return {
    id: Number(order.externalId),
    ...(r.email !== undefined ? { email: r.email } : {}),
    ...(order.placedAt !== undefined ? { created_at: order.placedAt } : {}),
    currency: order.currency,
    total_price: orderTotal(order.items),
    ...(order.notes !== undefined ? { note: order.notes } : {}),
    line_items: order.items.map((i) => ({
      sku: i.sku,
      title: i.description,
      quantity: i.quantity,
      price: i.unitPrice,
      grams: i.weightGrams,
      harmonized_system_code: i.hsCode,
      country_code_of_origin: i.originCountry,
    })),
    shipping_address: address,
  };
}
