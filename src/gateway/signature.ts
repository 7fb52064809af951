/**
 * The hub's request signature for machine callers (ARCHITECTURE.md, "Contracts"):
 * lowercase hex HMAC-SHA256 with the key's secret over
 * `timestamp \n nonce \n METHOD \n path_with_query \n hex(sha256(body))`.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_WINDOW_S = 300;

export interface SignInput {
  secret: string;
  timestamp: number;
  nonce: string;
  method: string;
  pathWithQuery: string;
  /** The exact body bytes (a string is taken as its UTF-8 bytes). */
  body: string | Buffer;
}

export function bodyHash(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export function computeSignature(i: SignInput): string {
  const canonical = `${i.timestamp}\n${i.nonce}\n${i.method.toUpperCase()}\n${i.pathWithQuery}\n${bodyHash(i.body)}`;
  return createHmac('sha256', i.secret).update(canonical).digest('hex');
}

export function signatureMatches(expectedHex: string, givenHex: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(givenHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(givenHex, 'hex'));
}

/** Headers for a signed request (used by the CLI, demo, benchmarks and tests). */
export function signedHeaders(
  key: { keyId: string; secret: string },
  method: string,
  pathWithQuery: string,
  body = '',
  nowS = Math.floor(Date.now() / 1000),
  nonce: string = randomUUID(),
): Record<string, string> {
  return {
    'x-api-key': key.keyId,
    'x-waygate-timestamp': String(nowS),
    'x-waygate-nonce': nonce,
    'x-waygate-signature': computeSignature({
      secret: key.secret,
      timestamp: nowS,
      nonce,
      method,
      pathWithQuery,
      body,
    }),
  };
}
