/**
 * Alpha's push signature: `Alpha-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, the hex HMAC-SHA256
 * of `<t>.<raw body>` keyed with the webhook secret (several v1 while alpha rolls a secret).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { bodyBytes, headerValue, type InboundRequest } from '../../types.js';

/** Pushes signed further than this from our clock are refused (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
export const SIGNATURE_HEADER = 'alpha-signature';

export interface AlphaSignature {
  timestamp: number;
  signatures: string[];
}

/** Parses `t=<unix>,v1=<hex>[,v1=<hex>…]`; undefined when malformed. */
export function parseSignatureHeader(header: string | undefined): AlphaSignature | undefined {
  if (!header || header.length > 1024) return undefined;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return undefined;
      signatures.push(value);
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

/** HMAC over `timestamp.` and the exact body bytes (a string is taken as its UTF-8 bytes). */
export function signAlphaPayload(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** Checks an `Alpha-Signature` header against the raw body, in constant time per candidate. */
export function verifyAlphaSignature(secret: string, req: InboundRequest): boolean {
  const parsed = parseSignatureHeader(headerValue(req, SIGNATURE_HEADER));
  if (!parsed || secret.length === 0) return false;
  if (Math.abs(req.nowMs / 1000 - parsed.timestamp) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(signAlphaPayload(secret, parsed.timestamp, bodyBytes(req)), 'hex');
  let ok = false;
  for (const candidate of parsed.signatures) {
    const got = Buffer.from(candidate, 'hex');
    if (got.length === expected.length && timingSafeEqual(got, expected)) ok = true;
  }
  return ok;
}
