/**
 * Amazon SP-API Orders v0 <-> canonical. Pure: no I/O, no clock.
 *
 * Amazon's shapes: success `{"payload":{…}}`, failure `{"errors":[{code,message,details?}]}`;
 * money `{"CurrencyCode","Amount"}` with Amount a decimal string; an order item's `ItemPrice`
 * is the price of the whole line (unit price × QuantityOrdered), not of one unit. The buyer's
 * name, street and phone are restricted data: present only when the call carried a Restricted
 * Data Token. Orders carry no HS code, origin or weight: the product catalogue supplies them.
 */
import {
  fromMinorUnits,
  isCanonicalText,
  isCountryCode,
  isCurrencyCode,
  isDecimalAmount,
  toMinorUnits,
  WaygateError,
  type OrderInput,
  type OrderLine,
} from '../../../domain/index.js';
import { MalformedAnswer } from '../../contract.js';
import { SHIPPABLE_STATUSES } from './codes.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A partner value quoted in a message: short strings as they are, anything else by its type. */
const shown = (v: unknown): string =>
  typeof v === 'string'
    ? JSON.stringify(v.slice(0, 40))
    : v === null
      ? 'null'
      : Array.isArray(v)
        ? 'a list'
        : typeof v;

/** Largest number of lines one canonical order holds. */
const MAX_LINES = 500;
const MAX_QUANTITY = 100_000;

export interface AmazonError {
  code: string;
  message: string;
  details?: string;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** The `errors` of an SP-API error answer, or undefined when the body is not one. */
export function readErrors(raw: string): AmazonError[] | undefined {
  const body = parseJson(raw);
  if (!isObject(body) || !Array.isArray(body.errors) || body.errors.length === 0) return undefined;
  const out: AmazonError[] = [];
  for (const e of body.errors) {
    if (!isObject(e) || typeof e.code !== 'string') return undefined;
    out.push({
      code: e.code.slice(0, 100),
      message: typeof e.message === 'string' ? e.message.slice(0, 500) : '',
      ...(typeof e.details === 'string' && e.details ? { details: e.details.slice(0, 500) } : {}),
    });
  }
  return out;
}

/** The `payload` of a success answer; MalformedAnswer when there is none. */
export function readPayload(raw: string): Json {
  const body = parseJson(raw);
  if (!isObject(body)) throw new MalformedAnswer('the answer is not a JSON object');
  if (!isObject(body.payload)) throw new MalformedAnswer('payload is missing or not an object');
  return body.payload;
}

/** LWA's token answer: `{access_token, token_type: "bearer", expires_in, refresh_token}`. */
export function parseLwaToken(raw: string): { accessToken: string; expiresInSec: number } {
  const body = parseJson(raw);
  if (!isObject(body)) throw new MalformedAnswer('the LWA token answer is not a JSON object');
  const token = body.access_token;
  const ttl = body.expires_in;
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096)
    throw new MalformedAnswer('the LWA answer has no access_token');
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0 || ttl > 86_400)
    throw new MalformedAnswer('the LWA answer has no usable expires_in');
  return { accessToken: token, expiresInSec: ttl };
}

/** LWA's refusal: `{error, error_description}` (an OAuth error, not the SP-API envelope). */
export function readLwaError(raw: string): AmazonError | undefined {
  const body = parseJson(raw);
  if (!isObject(body) || typeof body.error !== 'string') return undefined;
  return {
    code: body.error.slice(0, 100),
    message: typeof body.error_description === 'string' ? body.error_description.slice(0, 500) : '',
  };
}

/** createRestrictedDataToken's answer: `{restrictedDataToken, expiresIn}` (no payload wrapper). */
export function parseRdt(raw: string): { token: string; expiresInSec: number } {
  const body = parseJson(raw);
  const token = isObject(body) ? body.restrictedDataToken : undefined;
  const ttl = isObject(body) ? body.expiresIn : undefined;
  if (typeof token !== 'string' || token.length === 0 || token.length > 8192)
    throw new MalformedAnswer('the answer has no restrictedDataToken');
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0 || ttl > 86_400)
    throw new MalformedAnswer('the answer has no usable expiresIn');
  return { token, expiresInSec: ttl };
}

/** The body asking for an RDT covering getOrders' buyer info and shipping address. */
export function rdtRequestBody(): Json {
  return {
    restrictedResources: [
      { method: 'GET', path: '/orders/v0/orders', dataElements: ['buyerInfo', 'shippingAddress'] },
    ],
  };
}

/** The query of one getOrders page (a NextToken page repeats only the marketplaces). */
export function ordersQuery(p: {
  marketplaceIds: readonly string[];
  since?: string;
  pullBy: 'LastUpdatedAfter' | 'CreatedAfter';
  pageSize: number;
  nextToken?: string;
}): Record<string, string> {
  const q: Record<string, string> = { MarketplaceIds: p.marketplaceIds.join(',') };
  if (p.nextToken) return { ...q, NextToken: p.nextToken };
  return {
    ...q,
    ...(p.since ? { [p.pullBy]: p.since } : {}),
    OrderStatuses: SHIPPABLE_STATUSES.join(','),
    FulfillmentChannels: 'MFN',
    MaxResultsPerPage: String(p.pageSize),
  };
}

/** The orders and NextToken of a getOrders payload. */
export function readOrdersPage(payload: Json): { orders: Json[]; next?: string } {
  const orders = payload.Orders;
  if (!Array.isArray(orders)) throw new MalformedAnswer('payload.Orders is not a list');
  if (orders.length > 100)
    throw new MalformedAnswer(`payload.Orders lists ${orders.length} orders (at most 100)`);
  orders.forEach((o, i) => {
    if (!isObject(o)) throw new MalformedAnswer(`payload.Orders[${i}] is not an object`);
  });
  return { orders: orders as Json[], ...nextOf(payload) };
}

/** The items and NextToken of a getOrderItems payload. */
export function readItemsPage(payload: Json): { items: Json[]; next?: string } {
  const items = payload.OrderItems;
  if (!Array.isArray(items)) throw new MalformedAnswer('payload.OrderItems is not a list');
  if (items.length > MAX_LINES)
    throw new MalformedAnswer(`payload.OrderItems lists ${items.length} items (at most ${MAX_LINES})`);
  items.forEach((it, i) => {
    if (!isObject(it)) throw new MalformedAnswer(`payload.OrderItems[${i}] is not an object`);
  });
  return { items: items as Json[], ...nextOf(payload) };
}

function nextOf(payload: Json): { next?: string } {
  const n = payload.NextToken;
  if (n === undefined || n === null || n === '') return {};
  if (typeof n !== 'string' || n.length > 8192) throw new MalformedAnswer('payload.NextToken is not a token');
  return { next: n };
}

interface FieldError {
  field: string;
  message: string;
}

function text(e: FieldError[], o: Json, key: string, at: string, max: number, required = false, why = '') {
  const v = o[key];
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
    if (required) e.push({ field: `${at}/${key}`, message: `is required${why}` });
    return undefined;
  }
  if (typeof v !== 'string' || v.trim().length > max || !isCanonicalText(v.trim())) {
    e.push({ field: `${at}/${key}`, message: `must be one line of text of at most ${max} characters` });
    return undefined;
  }
  return v.trim();
}

/** A `Money` object's amount in 1/10,000 units, checked against the order's currency. */
function money(e: FieldError[], o: Json, key: string, at: string, currency: string | undefined) {
  const m = o[key];
  if (m === undefined || m === null) return undefined;
  const f = `${at}/${key}`;
  if (!isObject(m)) {
    e.push({ field: f, message: 'must be a Money object' });
    return undefined;
  }
  const amount = m.Amount;
  const neg = typeof amount === 'string' && amount.startsWith('-');
  const abs = typeof amount === 'string' ? (neg ? amount.slice(1) : amount) : '';
  if (typeof amount !== 'string' || !isDecimalAmount(abs)) {
    e.push({ field: `${f}/Amount`, message: 'must be a decimal string (at most 12 digits and 4 decimals)' });
    return undefined;
  }
  if (currency !== undefined && m.CurrencyCode !== currency) {
    e.push({
      field: `${f}/CurrencyCode`,
      message: `is ${shown(m.CurrencyCode)}, not the order's ${currency}`,
    });
    return undefined;
  }
  return { units: toMinorUnits(abs), negative: neg && toMinorUnits(abs) !== 0n };
}

/** a / n rounded half to even, in 1/10,000 units. */
function divideHalfEven(a: bigint, n: bigint): bigint {
  const q = a / n;
  const r = a % n;
  if (r * 2n > n || (r * 2n === n && q % 2n === 1n)) return q + 1n;
  return q;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{2,63}$/;
const PHONE = /^\+?[0-9 ()-]{5,24}$/;
const RESTRICTED = ' (restricted data: the call needs a Restricted Data Token, options.restrictedData)';

/**
 * One getOrders order and all its getOrderItems items as a canonical order; a payload that
 * cannot become one is refused whole (order_payload_invalid naming each Amazon field).
 */
export function amazonOrderToCanonical(
  order: unknown,
  items: readonly unknown[],
  source: string,
): OrderInput {
  if (!isObject(order)) {
    throw new WaygateError('order_payload_invalid', 'the Amazon order must be a JSON object', {
      field: '',
      errors: [{ field: '', message: 'must be a JSON object' }],
    });
  }
  const e: FieldError[] = [];
  const id = text(e, order, 'AmazonOrderId', '', 64, true);
  if (id !== undefined && !/^[0-9A-Za-z-]+$/.test(id))
    e.push({ field: '/AmazonOrderId', message: 'must be an Amazon order id (3-7-7 digits)' });
  const status = order.OrderStatus;
  if (!(SHIPPABLE_STATUSES as readonly unknown[]).includes(status))
    e.push({
      field: '/OrderStatus',
      message: `is ${shown(status)}, not ${SHIPPABLE_STATUSES.join(' or ')}`,
    });
  if (order.FulfillmentChannel !== undefined && order.FulfillmentChannel !== 'MFN')
    e.push({ field: '/FulfillmentChannel', message: 'is not MFN: Amazon ships this order itself' });
  const purchase = order.PurchaseDate;
  const placedAt =
    typeof purchase === 'string' && Number.isFinite(Date.parse(purchase))
      ? new Date(Date.parse(purchase)).toISOString()
      : undefined;
  if (purchase !== undefined && !placedAt)
    e.push({ field: '/PurchaseDate', message: 'must be an ISO 8601 time' });

  const total = isObject(order.OrderTotal) ? order.OrderTotal : undefined;
  let currency = typeof total?.CurrencyCode === 'string' ? total.CurrencyCode : undefined;
  if (!currency) {
    const first = items.find((it) => isObject(it) && isObject(it.ItemPrice));
    const price = isObject(first) && isObject(first.ItemPrice) ? first.ItemPrice : undefined;
    currency = typeof price?.CurrencyCode === 'string' ? price.CurrencyCode : undefined;
  }
  if (!currency) e.push({ field: '/OrderTotal/CurrencyCode', message: 'is required' });
  else if (!isCurrencyCode(currency)) {
    e.push({ field: '/OrderTotal/CurrencyCode', message: 'is not ISO 4217' });
    currency = undefined;
  }

  const a = isObject(order.ShippingAddress) ? order.ShippingAddress : undefined;
  if (!a) e.push({ field: '/ShippingAddress', message: `is required${RESTRICTED}` });
  const at = '/ShippingAddress';
  const addr = a ?? {};
  const name = a ? text(e, addr, 'Name', at, 200, true, RESTRICTED) : undefined;
  const line1 = a ? text(e, addr, 'AddressLine1', at, 200, true, RESTRICTED) : undefined;
  const line2 = [text(e, addr, 'AddressLine2', at, 200), text(e, addr, 'AddressLine3', at, 200)]
    .filter(Boolean)
    .join(', ')
    .slice(0, 200);
  const city =
    text(e, addr, 'City', at, 100) ?? text(e, addr, 'County', at, 100) ?? text(e, addr, 'District', at, 100);
  if (a && !city) e.push({ field: `${at}/City`, message: 'is required' });
  const state = text(e, addr, 'StateOrRegion', at, 100);
  const postalCode = text(e, addr, 'PostalCode', at, 20);
  const country = a ? text(e, addr, 'CountryCode', at, 2, true)?.toUpperCase() : undefined;
  if (country !== undefined && !isCountryCode(country))
    e.push({ field: `${at}/CountryCode`, message: 'is not ISO 3166-1 alpha-2' });
  const phoneRaw = text(e, addr, 'Phone', at, 40);
  const phone = phoneRaw && PHONE.test(phoneRaw) ? phoneRaw : undefined;
  const company = text(e, addr, 'CompanyName', at, 200);
  const buyer = isObject(order.BuyerInfo) ? order.BuyerInfo : {};
  const emailRaw = typeof buyer.BuyerEmail === 'string' ? buyer.BuyerEmail.trim() : undefined;
  const email = emailRaw && emailRaw.length <= 254 && EMAIL.test(emailRaw) ? emailRaw : undefined;

  const lines = new Map<string, { line: OrderLine; units: bigint }>();
  let freight = 0n;
  let discount = 0n;
  let tax = 0n;
  let charged = false;
  if (items.length === 0) e.push({ field: '/OrderItems', message: 'must list at least one item' });
  if (items.length > MAX_LINES)
    e.push({ field: '/OrderItems', message: `lists more than ${MAX_LINES} items` });
  else
    items.forEach((raw, i) => {
      const lat = `/OrderItems/${i}`;
      if (!isObject(raw)) return e.push({ field: lat, message: 'must be an object' });
      const sku = text(e, raw, 'SellerSKU', lat, 64, true);
      const title = text(e, raw, 'Title', lat, 500, true);
      const q = raw.QuantityOrdered;
      if (typeof q !== 'number' || !Number.isInteger(q) || q < 0 || q > MAX_QUANTITY) {
        e.push({
          field: `${lat}/QuantityOrdered`,
          message: `must be a whole number from 0 to ${MAX_QUANTITY}`,
        });
        return undefined;
      }
      const price = money(e, raw, 'ItemPrice', lat, currency);
      for (const k of ['ShippingPrice', 'GiftWrapPrice']) {
        const m = money(e, raw, k, lat, currency);
        if (m) {
          freight += m.units;
          charged = true;
        }
      }
      for (const k of ['PromotionDiscount', 'ShippingDiscount']) {
        const m = money(e, raw, k, lat, currency);
        if (m) {
          discount += m.units;
          charged = true;
        }
      }
      for (const k of ['ItemTax', 'ShippingTax', 'GiftWrapTax']) {
        const m = money(e, raw, k, lat, currency);
        if (m) {
          tax += m.units;
          charged = true;
        }
      }
      // A line cancelled down to nothing ships nothing.
      if (q === 0) return undefined;
      if (!price) {
        if (raw.ItemPrice === undefined) e.push({ field: `${lat}/ItemPrice`, message: 'is required' });
        return undefined;
      }
      if (price.negative)
        return e.push({ field: `${lat}/ItemPrice/Amount`, message: 'must not be negative' });
      if (!sku || !title) return undefined;
      const unit = divideHalfEven(price.units, BigInt(q));
      const prior = lines.get(sku);
      if (prior) {
        if (prior.units !== unit)
          e.push({
            field: `${lat}/ItemPrice`,
            message: `gives a unit price other than an earlier line of ${sku}`,
          });
        else if (prior.line.quantity + q > MAX_QUANTITY)
          e.push({
            field: `${lat}/QuantityOrdered`,
            message: `adds up to more than ${MAX_QUANTITY} of ${sku}`,
          });
        else prior.line.quantity += q;
      } else
        lines.set(sku, {
          units: unit,
          line: { sku, description: title, quantity: q, unitPrice: fromMinorUnits(unit) },
        });
      return undefined;
    });
  if (e.length === 0 && items.length > 0 && lines.size === 0)
    e.push({ field: '/OrderItems', message: 'has no item with a quantity to ship' });
  const amounts = [freight, discount, tax];
  if (amounts.some((u) => !isDecimalAmount(fromMinorUnits(u))))
    e.push({ field: '/OrderItems', message: 'charges add up to more than an amount can hold' });

  const first = e[0];
  if (first || !id || !currency || !name || !line1 || !city || !country) {
    throw new WaygateError(
      'order_payload_invalid',
      `the Amazon order cannot become a canonical order: ${e.length} field(s) invalid, first ${first?.field} ${first?.message}`,
      { field: first?.field, errors: e },
    );
  }
  return {
    source,
    externalId: id,
    currency,
    recipient: {
      name,
      ...(phone ? { phone } : {}),
      ...(email ? { email } : {}),
      ...(company ? { company } : {}),
      line1,
      ...(line2 ? { line2 } : {}),
      city,
      ...(state ? { state } : {}),
      ...(postalCode ? { postalCode } : {}),
      country,
    },
    items: [...lines.values()].map((l) => l.line),
    ...(placedAt ? { placedAt } : {}),
    ...(charged
      ? {
          charges: {
            freight: fromMinorUnits(freight),
            discount: fromMinorUnits(discount),
            tax: fromMinorUnits(tax),
          },
        }
      : {}),
  };
}

/** What confirmShipment needs of the order's items: each item id and the quantity still to ship. */
export function itemsToConfirm(items: readonly unknown[]): { orderItemId: string; quantity: number }[] {
  return items.flatMap((it) => {
    if (!isObject(it) || typeof it.OrderItemId !== 'string' || !it.OrderItemId) return [];
    const ordered = typeof it.QuantityOrdered === 'number' ? it.QuantityOrdered : 0;
    const shipped = typeof it.QuantityShipped === 'number' ? it.QuantityShipped : 0;
    const quantity = Math.max(0, Math.trunc(ordered - shipped));
    return quantity > 0 ? [{ orderItemId: it.OrderItemId, quantity }] : [];
  });
}

export interface ShipmentConfirmation {
  marketplaceId: string;
  packageReferenceId: string;
  carrierCode: string;
  /** Required by Amazon when carrierCode is "Other". */
  carrierName?: string;
  trackingNumber: string;
  /** ISO 8601. */
  shipDate: string;
  items: readonly { orderItemId: string; quantity: number }[];
}

/** Body of confirmShipment (`POST /orders/v0/orders/{orderId}/shipmentConfirmation`). */
export function confirmShipmentBody(c: ShipmentConfirmation): Json {
  return {
    packageDetail: {
      packageReferenceId: c.packageReferenceId,
      carrierCode: c.carrierCode,
      ...(c.carrierName ? { carrierName: c.carrierName } : {}),
      trackingNumber: c.trackingNumber,
      shipDate: c.shipDate,
      orderItems: c.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantity })),
    },
    marketplaceId: c.marketplaceId,
  };
}
