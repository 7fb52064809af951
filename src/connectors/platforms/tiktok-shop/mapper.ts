/**
 * TikTok Shop orders and packages <-> canonical. Pure: no I/O, no clock.
 *
 * TikTok lists one line item per unit: lines of the same seller_sku are merged with their
 * count as the quantity. Ids are strings; times are Unix seconds. Orders carry no HS code,
 * origin or weight: the product catalogue supplies them.
 */
import {
  isCountryCode,
  isCurrencyCode,
  isDecimalAmount,
  WaygateError,
  type OrderInput,
  type OrderLine,
} from '../../../domain/index.js';
import { SHIPPABLE_STATUS } from './codes.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface TiktokEnvelope {
  code: string;
  message: string;
  data?: Json;
}

/** `{"code":0,"message":"Success","request_id":…,"data":{…}}`. */
export function readEnvelope(body: unknown): TiktokEnvelope | undefined {
  if (!isObject(body) || (typeof body.code !== 'number' && typeof body.code !== 'string')) return undefined;
  return {
    code: String(body.code),
    message: typeof body.message === 'string' ? body.message : '',
    ...(isObject(body.data) ? { data: body.data } : {}),
  };
}

interface FieldError {
  field: string;
  message: string;
}

function str(
  e: FieldError[],
  o: Json,
  key: string,
  at: string,
  max: number,
  required = false,
): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
    if (required) e.push({ field: `${at}/${key}`, message: 'is required' });
    return undefined;
  }
  if (typeof v !== 'string' || v.trim().length > max) {
    e.push({ field: `${at}/${key}`, message: `must be a string of at most ${max} characters` });
    return undefined;
  }
  return v.trim();
}

/** One order of Get Order Detail / Search Orders (`data.orders[i]`) as a canonical order. */
export function tiktokOrderToCanonical(order: unknown, source: string): OrderInput {
  if (!isObject(order)) {
    throw new WaygateError('order_payload_invalid', 'the TikTok order must be a JSON object', {
      field: '',
      errors: [{ field: '', message: 'must be a JSON object' }],
    });
  }
  const e: FieldError[] = [];
  const id = str(e, order, 'id', '', 64, true);
  if (order.status !== SHIPPABLE_STATUS)
    e.push({ field: '/status', message: `is ${String(order.status)}, not ${SHIPPABLE_STATUS}` });
  const created = order.create_time;
  const placedAt =
    typeof created === 'number' && Number.isInteger(created) && created > 0
      ? new Date(created * 1000).toISOString()
      : undefined;
  if (created !== undefined && !placedAt) e.push({ field: '/create_time', message: 'must be Unix seconds' });
  const payment = isObject(order.payment) ? order.payment : {};
  const currency = str(e, payment, 'currency', '/payment', 3, true);
  if (currency !== undefined && !isCurrencyCode(currency))
    e.push({ field: '/payment/currency', message: 'is not ISO 4217' });

  const a = isObject(order.recipient_address) ? order.recipient_address : undefined;
  if (!a) e.push({ field: '/recipient_address', message: 'is required' });
  const at = '/recipient_address';
  const addr = a ?? {};
  const name = str(e, addr, 'name', at, 200, true);
  const phoneRaw = str(e, addr, 'phone_number', at, 24);
  const phone = phoneRaw && /^\+?[0-9 ()-]{5,24}$/.test(phoneRaw) ? phoneRaw : undefined;
  const line1 = str(e, addr, 'address_line1', at, 200, true);
  const line2 = str(e, addr, 'address_line2', at, 200);
  const postalCode = str(e, addr, 'postal_code', at, 20);
  const region = str(e, addr, 'region_code', at, 2, true)?.toUpperCase();
  if (region !== undefined && !isCountryCode(region))
    e.push({ field: `${at}/region_code`, message: 'is not ISO 3166-1 alpha-2' });
  // district_info lists the address levels (country, state, county, city…) by name.
  const levels = Array.isArray(addr.district_info) ? addr.district_info.filter(isObject) : [];
  // The first level named, in the order of preference given (city before county).
  const level = (names: string[]) =>
    names
      .map((n) =>
        levels.find(
          (l) => typeof l.address_level_name === 'string' && l.address_level_name.toLowerCase() === n,
        ),
      )
      .find((l) => l !== undefined)?.address_name;
  const cityValue = level(['city', 'town', 'county']);
  const stateValue = level(['state', 'province', 'region']);
  const city = typeof cityValue === 'string' && cityValue.trim() ? cityValue.trim() : undefined;
  if (a && !city) e.push({ field: `${at}/district_info`, message: 'names no city' });

  const items = new Map<string, OrderLine>();
  const lines = order.line_items;
  if (!Array.isArray(lines) || lines.length === 0)
    e.push({ field: '/line_items', message: 'must list at least one line item' });
  else
    lines.forEach((li, i) => {
      const lat = `/line_items/${i}`;
      if (!isObject(li)) return e.push({ field: lat, message: 'must be an object' });
      const sku = str(e, li, 'seller_sku', lat, 64, true);
      const title = str(e, li, 'product_name', lat, 400, true);
      const variant = str(e, li, 'sku_name', lat, 200);
      const price = li.sale_price;
      if (typeof price !== 'string' || !isDecimalAmount(price))
        e.push({ field: `${lat}/sale_price`, message: 'must be a decimal string' });
      if (!sku || !title || typeof price !== 'string' || !isDecimalAmount(price)) return undefined;
      const prior = items.get(sku);
      if (prior) {
        if (prior.unitPrice !== price)
          e.push({ field: `${lat}/sale_price`, message: `differs from an earlier unit of ${sku}` });
        prior.quantity += 1;
      } else
        items.set(sku, {
          sku,
          description: variant ? `${title} - ${variant}` : title,
          quantity: 1,
          unitPrice: price,
        });
      return undefined;
    });
  const first = e[0];
  if (first || !id || !currency || !name || !line1 || !city || !region) {
    throw new WaygateError(
      'order_payload_invalid',
      `the TikTok order cannot become a canonical order: ${e.length} field(s) invalid, first ${first?.field} ${first?.message}`,
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
      line1,
      ...(line2 ? { line2 } : {}),
      city,
      ...(typeof stateValue === 'string' && stateValue.trim() ? { state: stateValue.trim() } : {}),
      ...(postalCode ? { postalCode } : {}),
      country: region,
    },
    items: [...items.values()],
    ...(placedAt ? { placedAt } : {}),
  };
}

/** The line item ids of an order (all units are shipped in one package). */
export function lineItemIds(order: unknown): string[] {
  if (!isObject(order) || !Array.isArray(order.line_items)) return [];
  return order.line_items.flatMap((li) => (isObject(li) && typeof li.id === 'string' ? [li.id] : []));
}

/** Body of Mark Package As Shipped (`POST /fulfillment/202309/orders/{order_id}/packages`). */
export function markShippedBody(
  lineIds: readonly string[],
  trackingNumber: string,
  providerId: string,
): string {
  return JSON.stringify({
    order_line_item_ids: lineIds,
    tracking_number: trackingNumber,
    shipping_provider_id: providerId,
  });
}
