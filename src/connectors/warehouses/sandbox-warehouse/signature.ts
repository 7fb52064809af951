/**
 * OWH signing (docs/partners/sandbox-warehouse.md). Calls to the warehouse: `X-OWH-Sign` is the
 * upper-case hex HMAC-SHA256, keyed with the app secret, of
 * `appKey \n timestamp \n nonce \n METHOD \n path?query \n hex(sha256(body))`. Stock events from
 * the warehouse: `X-OWH-Sign` is the lower-case hex HMAC-SHA256, keyed with the push secret, of
 * `timestamp.body`, and a timestamp more than 300 s from the hub's clock is refused (replays).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const PUSH_WINDOW_S = 300;

export interface SignedCall {
  appKey: string;
  timestamp: string;
  nonce: string;
  method: string;
  pathAndQuery: string;
  body: string;
}

export function canonicalCall(c: SignedCall): string {
  const bodyHash = createHash('sha256').update(c.body, 'utf8').digest('hex');
  return [c.appKey, c.timestamp, c.nonce, c.method.toUpperCase(), c.pathAndQuery, bodyHash].join('\n');
}

export function signCall(appSecret: string, c: SignedCall): string {
  return createHmac('sha256', appSecret).update(canonicalCall(c)).digest('hex').toUpperCase();
}

export function signPush(pushSecret: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', pushSecret).update(`${timestamp}.`).update(body).digest('hex');
}

/** Verifies a pushed event over the exact bytes received and its timestamp's freshness. */
export function verifyPush(
  pushSecret: string,
  body: Buffer,
  timestamp: string | undefined,
  sign: string | undefined,
  nowMs: number,
): boolean {
  if (!pushSecret || !timestamp || !sign || !/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/.test(sign))
    return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > PUSH_WINDOW_S) return false;
  const expected = Buffer.from(signPush(pushSecret, timestamp, body), 'hex');
  const given = Buffer.from(sign, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
