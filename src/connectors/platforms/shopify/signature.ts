/**
 * Shopify webhook signature: `X-Shopify-Hmac-Sha256` is base64(HMAC-SHA256(client secret, raw
 * body bytes)). Only the body is signed (not the topic or shop headers), so it is verified over
 * the exact bytes received and compared in constant time; re-deliveries are dropped by
 * `X-Shopify-Webhook-Id` and the order id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

export function signShopifyBody(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

/** True when `header` is the signature of `body` under any of `secrets` (a rotation's old and new). */
export function verifyShopifyHmac(
  secrets: readonly string[],
  body: string | Buffer,
  header: string | undefined,
): boolean {
  const given = header?.trim();
  if (!given || !BASE64_SHA256.test(given)) return false;
  const bytes = Buffer.from(given, 'base64');
  let ok = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = createHmac('sha256', secret).update(body).digest();
    // Every secret is tried (no early exit), so timing says nothing about which one matched.
    ok = (bytes.length === expected.length && timingSafeEqual(bytes, expected)) || ok;
  }
  return ok;
}
