/**
 * The shop's return requests and return statuses ⇄ canonical, pure. The shop's field names
 * (return_line_items, exchange_sku, ...) stay in this folder; a request that cannot be read is
 * refused naming the field.
 */
import { WaygateError } from '../../../domain/index.js';
import type { ReturnRequestWebhook, ReturnStatusUpdate } from '../../types.js';

export const RETURN_REQUEST_TOPIC = 'returns/request';

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const SKU = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;

function invalid(field: string, message: string): WaygateError {
  return new WaygateError(
    'return_payload_invalid',
    `the shop return request is invalid: ${field} ${message}`,
    {
      field,
      errors: [{ field, message }],
    },
  );
}

/** A `returns/request` body as a canonical return request. */
export function shopReturnToCanonical(body: unknown, deliveryId: string): ReturnRequestWebhook {
  if (!isObj(body)) throw invalid('/', 'must be an object');
  const id = body.id;
  if (typeof id !== 'string' || !/^\d{1,20}$/.test(id)) throw invalid('/id', 'must be the numeric return id');
  const orderId = body.order_id;
  if (typeof orderId !== 'string' || !/^\d{1,20}$/.test(orderId))
    throw invalid('/order_id', 'must be the numeric order id');
  const kind = body.kind ?? 'refund';
  if (kind !== 'refund' && kind !== 'exchange') throw invalid('/kind', 'must be refund or exchange');
  const reason = typeof body.reason === 'string' ? body.reason.slice(0, 500) : '';
  // eslint-disable-next-line no-control-regex -- the reason is stored and shown: no control characters.
  if (/[\u0000-\u001f\u007f]/.test(reason)) throw invalid('/reason', 'must be plain text');
  const items = body.return_line_items;
  if (!Array.isArray(items) || items.length === 0 || items.length > 500)
    throw invalid('/return_line_items', 'must list 1 to 500 lines');
  const lines = items.map((l: unknown, i) => {
    if (!isObj(l)) throw invalid(`/return_line_items/${i}`, 'must be an object');
    if (typeof l.sku !== 'string' || !SKU.test(l.sku))
      throw invalid(`/return_line_items/${i}/sku`, 'is not a SKU');
    if (!Number.isSafeInteger(l.quantity) || (l.quantity as number) < 1 || (l.quantity as number) > 100_000)
      throw invalid(`/return_line_items/${i}/quantity`, 'must be a whole number from 1');
    if (l.exchange_sku !== undefined && (typeof l.exchange_sku !== 'string' || !SKU.test(l.exchange_sku)))
      throw invalid(`/return_line_items/${i}/exchange_sku`, 'is not a SKU');
    return {
      sku: l.sku,
      quantity: l.quantity as number,
      ...(typeof l.exchange_sku === 'string' ? { exchangeSku: l.exchange_sku } : {}),
    };
  });
  return { deliveryId, returnId: id, externalOrderId: orderId, kind, reason: reason || 'not given', lines };
}

/** A canonical return status as the shop's `return` object. */
export function returnStatusBody(u: ReturnStatusUpdate): Record<string, unknown> {
  return {
    rma: u.returnId,
    ...(u.platformReturnId ? { shop_return_id: u.platformReturnId } : {}),
    status: u.status,
    ...(u.carrier ? { carrier: u.carrier } : {}),
    ...(u.waybillNo ? { tracking_number: u.waybillNo } : {}),
    ...(u.refundAmount !== undefined ? { refund_amount: u.refundAmount } : {}),
    currency: u.currency,
    ...(u.replacementOrderId ? { replacement_order_id: u.replacementOrderId } : {}),
  };
}
