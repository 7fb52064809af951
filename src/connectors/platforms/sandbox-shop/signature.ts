/**
 * The shop's webhook signature: `X-Shop-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw
 * request body, keyed with the shop's webhook secret. The scheme signs no timestamp; replays
 * are absorbed by the hub's de-duplication on `X-Shop-Webhook-Id` and the order's id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

export function signShopBody(secret: string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

/** Verifies over the exact bytes received (a string is taken as its UTF-8 bytes). */
export function verifyShopSignature(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
): boolean {
  if (!header || !secret || !BASE64_SHA256.test(header.trim())) return false;
  const given = Buffer.from(header.trim(), 'base64');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
