/**
 * TikTok Shop pushes (webhooks), as TikTok signs and shapes them. A push is signed apart from
 * API requests: `Authorization` = lowercase hex HMAC-SHA256(key = app_secret, message = app_key
 * followed by the raw body bytes) — no prefix, no timestamp in the header. TikTok publishes no
 * test vector for it; the tests check it against digests computed independently (openssl).
 *
 * The order push (`type` 1, ORDER_STATUS_CHANGE) carries no order, only its id and new status:
 * `{"type":1,"tts_notification_id":"…","shop_id":"…","timestamp":…,"data":{"order_id":"…",
 * "order_status":"AWAITING_SHIPMENT","is_on_hold_order":false,"update_time":…}}`. Ids travel as
 * strings (they exceed 2^53); a numeric id, already rounded by any JSON reader, is refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WaygateError } from '../../../domain/index.js';

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const DIGITS = /^[0-9]{1,32}$/;

/** TikTok's push signature over the exact bytes received. */
export function signTiktokPush(appKey: string, appSecret: string, body: string | Buffer): string {
  return createHmac('sha256', appSecret).update(appKey, 'utf8').update(body).digest('hex');
}

/** True when `header` is TikTok's signature of `body` for this app (constant-time compare). */
export function verifyTiktokPush(
  appKey: string,
  appSecret: string,
  body: string | Buffer,
  header: string | undefined,
): boolean {
  const given = header?.trim();
  if (!appSecret || !given || !HEX_SHA256.test(given)) return false;
  const expected = createHmac('sha256', appSecret).update(appKey, 'utf8').update(body).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/** TikTok's webhook `type` numbers the hub knows by name. */
export const PUSH_TYPES: Readonly<Record<number, string>> = {
  1: 'ORDER_STATUS_CHANGE',
};
export const ORDER_STATUS_CHANGE = 1;

/** What an ORDER_STATUS_CHANGE push says. */
export interface OrderStatusChange {
  notificationId: string | undefined;
  shopId: string;
  orderId: string;
  status: string;
  updateTime: number | undefined;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function refuse(field: string, message: string): never {
  throw new WaygateError('order_payload_invalid', `the TikTok Shop push ${field} ${message}`, {
    field,
    errors: [{ field, message }],
  });
}

/** Reads a push's body as an ORDER_STATUS_CHANGE, or says which field is wrong (never a value). */
export function readOrderStatusChange(rawBody: string): OrderStatusChange {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    refuse('', 'is not JSON');
  }
  if (!isObject(body)) refuse('', 'must be a JSON object');
  if (body.type !== ORDER_STATUS_CHANGE) {
    const type = typeof body.type === 'number' ? body.type : undefined;
    throw new WaygateError(
      'webhook_topic_unsupported',
      `the hub takes only ORDER_STATUS_CHANGE (type 1) pushes from TikTok Shop at this address`,
      {
        field: '/type',
        errors: [
          {
            field: '/type',
            message: `type ${type ?? '(missing)'}${type !== undefined && PUSH_TYPES[type] ? ` ${PUSH_TYPES[type]}` : ''} is not accepted`,
          },
        ],
      },
    );
  }
  const shopId = body.shop_id;
  if (typeof shopId !== 'string' || !DIGITS.test(shopId)) refuse('/shop_id', 'must be a string of digits');
  const data = body.data;
  if (!isObject(data)) refuse('/data', 'must be an object');
  if (typeof data.order_id !== 'string' || !DIGITS.test(data.order_id))
    refuse('/data/order_id', 'must be a string of digits (ids exceed 2^53)');
  if (typeof data.order_status !== 'string' || !/^[A-Z_]{1,40}$/.test(data.order_status))
    refuse('/data/order_status', 'must be a TikTok order status');
  const notificationId = body.tts_notification_id;
  const updateTime = data.update_time;
  return {
    notificationId:
      typeof notificationId === 'string' && notificationId ? notificationId.slice(0, 64) : undefined,
    shopId,
    orderId: data.order_id,
    status: data.order_status,
    updateTime: typeof updateTime === 'number' && Number.isInteger(updateTime) ? updateTime : undefined,
  };
}
