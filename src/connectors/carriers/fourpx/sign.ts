/**
 * 4PX FOP request signing: lowercase hex MD5 over the five signed common parameters sorted by
 * name and written `name` + `value` (no `=` or `&`), then the exact JSON body, then the app
 * secret. `access_token` and `language` ride in the URL unsigned. Reproduces the published
 * worked example (fixtures/sign-vector.json).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const SIGNED_PARAMS = ['app_key', 'format', 'method', 'timestamp', 'v'] as const;
export type SignedParams = Record<(typeof SIGNED_PARAMS)[number], string>;

export function fourpxSign(params: SignedParams, body: string, appSecret: string): string {
  const base = [...SIGNED_PARAMS]
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join('');
  return createHash('md5').update(`${base}${body}${appSecret}`, 'utf8').digest('hex');
}

/** Constant-time check of a `sign` against the params, body and secret. */
export function verifyFourpxSign(
  params: SignedParams,
  body: string,
  appSecret: string,
  sign: string,
): boolean {
  const expected = Buffer.from(fourpxSign(params, body, appSecret));
  const given = Buffer.from(sign.toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
