/**
 * TOP trades and logistics <-> canonical. Pure: no I/O, no clock.
 *
 * Trade ids (`tid`) run to 19 digits, beyond 2^53: answers are read with lossless-json and the
 * id kept as its digits (`tid_str` when TOP sends it). Times are Beijing time (GMT+8) without
 * an offset. Trades carry no HS code, origin or weight: the product catalogue supplies them.
 */
import { isSafeNumber, parse } from 'lossless-json';
import {
  isDecimalAmount,
  WaygateError,
  type Address,
  type OrderInput,
  type OrderLine,
} from '../../../domain/index.js';
import { SHIPPABLE_STATUS } from './codes.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseTopJson(text: string): unknown {
  return parse(text, null, (value) => (isSafeNumber(value) ? Number(value) : value));
}

export interface TopError {
  code: string;
  msg: string;
  subCode?: string;
  subMsg?: string;
}

/** `{"<api>_response": {...}}` or `{"error_response": {...}}`. */
export function readTopEnvelope(
  body: unknown,
  responseKey: string,
): { ok: true; value: Json } | { ok: false; error: TopError } | undefined {
  if (!isObject(body)) return undefined;
  const err = body.error_response;
  if (isObject(err)) {
    return {
      ok: false,
      error: {
        code: String(err.code ?? ''),
        msg: typeof err.msg === 'string' ? err.msg : '',
        ...(typeof err.sub_code === 'string' ? { subCode: err.sub_code } : {}),
        ...(typeof err.sub_msg === 'string' ? { subMsg: err.sub_msg } : {}),
      },
    };
  }
  const value = body[responseKey];
  return isObject(value) ? { ok: true, value } : undefined;
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time, as TOP wants its timestamps. */
export function topTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

const TOP_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/;
/** A TOP time as RFC 3339 with its +08:00 offset. */
export function fromTopTime(t: string): string | undefined {
  const m = TOP_TIME.exec(t);
  return m && Number.isFinite(Date.parse(`${m[1]}T${m[2]}+08:00`)) ? `${m[1]}T${m[2]}+08:00` : undefined;
}

const ID = /^[1-9]\d{0,19}$/;
function idText(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return String(v);
  if (typeof v === 'string' && ID.test(v)) return v;
  return undefined;
}

interface FieldError {
  field: string;
  message: string;
}

function str(
  errors: FieldError[],
  obj: Json,
  key: string,
  at: string,
  max: number,
  required = false,
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
    if (required) errors.push({ field: `${at}/${key}`, message: 'is required' });
    return undefined;
  }
  if (typeof v !== 'string') {
    errors.push({ field: `${at}/${key}`, message: 'must be a string' });
    return undefined;
  }
  const t = v.trim();
  if (t.length > max) {
    errors.push({ field: `${at}/${key}`, message: `must be at most ${max} characters` });
    return undefined;
  }
  return t;
}

/** The trades of a `trades_sold_increment_get_response` (or `trades_sold_get_response`). */
export function tradesOf(value: Json): { trades: unknown[]; hasNext: boolean } | undefined {
  const container = value.trades;
  const list = container === undefined ? [] : isObject(container) ? container.trade : undefined;
  if (!Array.isArray(list)) return undefined;
  return { trades: list, hasNext: value.has_next === true };
}

/**
 * One TOP trade (paid, waiting to be shipped) as a canonical order. Throws
 * order_payload_invalid naming every field (JSON pointers into the trade) it cannot map.
 */
export function topTradeToCanonical(trade: unknown, source: string): OrderInput {
  if (!isObject(trade)) {
    throw new WaygateError('order_payload_invalid', 'the TOP trade must be a JSON object', {
      field: '',
      errors: [{ field: '', message: 'must be a JSON object' }],
    });
  }
  const e: FieldError[] = [];
  const externalId = idText(trade.tid_str) ?? idText(trade.tid);
  if (!externalId) e.push({ field: '/tid', message: 'must be a positive integer id' });
  if (trade.status !== SHIPPABLE_STATUS) {
    e.push({
      field: '/status',
      message: `is ${String(trade.status)}, not ${SHIPPABLE_STATUS} (paid, to be shipped)`,
    });
  }
  const created = str(e, trade, 'created', '', 19);
  const placedAt = created === undefined ? undefined : fromTopTime(created);
  if (created !== undefined && !placedAt)
    e.push({ field: '/created', message: 'is not yyyy-MM-dd HH:mm:ss' });
  const name = str(e, trade, 'receiver_name', '', 200, true);
  const mobile = str(e, trade, 'receiver_mobile', '', 24) ?? str(e, trade, 'receiver_phone', '', 24);
  const phone = mobile !== undefined && /^\+?[0-9 ()-]{5,24}$/.test(mobile) ? mobile : undefined;
  if (mobile !== undefined && phone === undefined)
    e.push({ field: '/receiver_mobile', message: 'is not a phone number' });
  const state = str(e, trade, 'receiver_state', '', 100);
  const city = str(e, trade, 'receiver_city', '', 100, true);
  const district = str(e, trade, 'receiver_district', '', 200);
  const line1 = str(e, trade, 'receiver_address', '', 200, true);
  const zip = str(e, trade, 'receiver_zip', '', 20);
  // TOP leaves receiver_country empty for mainland China.
  const country = (str(e, trade, 'receiver_country', '', 2) ?? 'CN').toUpperCase();

  const items: OrderLine[] = [];
  const orders = isObject(trade.orders) ? trade.orders.order : undefined;
  if (!Array.isArray(orders) || orders.length === 0)
    e.push({ field: '/orders/order', message: 'must list at least one order line' });
  else
    orders.forEach((o, i) => {
      const at = `/orders/order/${i}`;
      if (!isObject(o)) return e.push({ field: at, message: 'must be an object' });
      // The seller's own SKU code: outer_sku_id for a SKU, outer_iid for an item without SKUs.
      const sku = str(e, o, 'outer_sku_id', at, 64) ?? str(e, o, 'outer_iid', at, 64);
      if (!sku)
        e.push({ field: `${at}/outer_sku_id`, message: 'is required (the seller SKU the catalogue knows)' });
      const title = str(e, o, 'title', at, 500, true);
      const num = o.num;
      if (typeof num !== 'number' || !Number.isInteger(num) || num < 1 || num > 100_000)
        e.push({ field: `${at}/num`, message: 'must be an integer from 1 to 100000' });
      const price = o.price;
      if (typeof price !== 'string' || !isDecimalAmount(price))
        e.push({ field: `${at}/price`, message: 'must be a decimal string' });
      if (sku && title && typeof num === 'number' && typeof price === 'string' && isDecimalAmount(price)) {
        items.push({ sku, description: title, quantity: num, unitPrice: price });
      }
      return undefined;
    });
  const first = e[0];
  if (first || !externalId || !name || !city || !line1) {
    throw new WaygateError(
      'order_payload_invalid',
      `the TOP trade cannot become a canonical order: ${e.length} field(s) invalid, first ${first?.field} ${first?.message}`,
      { field: first?.field, errors: e },
    );
  }
  const recipient: Address = {
    name,
    ...(phone !== undefined ? { phone } : {}),
    line1,
    ...(district !== undefined ? { line2: district } : {}),
    city,
    ...(state !== undefined ? { state } : {}),
    ...(zip !== undefined ? { postalCode: zip } : {}),
    country,
  };
  return { source, externalId, currency: 'CNY', recipient, items, ...(placedAt ? { placedAt } : {}) };
}

/** Business parameters of `taobao.trades.sold.increment.get` for one page of one window. */
export function soldIncrementParams(
  fromMs: number,
  toMs: number,
  page: number,
  pageSize: number,
): Record<string, string> {
  return {
    method: 'taobao.trades.sold.increment.get',
    fields:
      'tid,tid_str,status,created,modified,receiver_name,receiver_mobile,receiver_phone,receiver_state,receiver_city,receiver_district,receiver_address,receiver_zip,receiver_country,orders.oid,orders.outer_sku_id,orders.outer_iid,orders.title,orders.num,orders.price',
    start_modified: topTime(fromMs),
    end_modified: topTime(toMs),
    status: SHIPPABLE_STATUS,
    page_no: String(page),
    page_size: String(pageSize),
    use_has_next: 'true',
  };
}

/** Business parameters of `taobao.logistics.offline.send` (the seller ships with its own carrier). */
export function offlineSendParams(
  tid: string,
  waybillNo: string,
  companyCode: string,
): Record<string, string> {
  return { method: 'taobao.logistics.offline.send', tid, out_sid: waybillNo, company_code: companyCode };
}

/** `{"logistics_offline_send_response":{"shipping":{"is_success":true}}}` → true. */
export function offlineSendSucceeded(value: Json): boolean {
  return isObject(value.shipping) && value.shipping.is_success === true;
}
