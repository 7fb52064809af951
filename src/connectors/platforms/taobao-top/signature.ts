/**
 * TOP request signing (API调用方法详解): every parameter but `sign` (and file parameters),
 * sorted by name in ASCII order, concatenated as name + value for non-empty names and values,
 * with no separators or URL-encoding; then
 *   md5:         MD5(secret + joined + secret)
 *   hmac:        HMAC-MD5(key = secret, joined)            (not wrapped)
 *   hmac-sha256: HMAC-SHA256(key = secret, joined)         (not wrapped)
 * as UPPERCASE hex of the UTF-8 input's digest.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type TopSignMethod = 'md5' | 'hmac' | 'hmac-sha256';

export function topSignBase(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && k !== '' && params[k] !== undefined && params[k] !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}${params[k]}`)
    .join('');
}

export function signTop(
  params: Readonly<Record<string, string>>,
  secret: string,
  method: TopSignMethod,
): string {
  const base = topSignBase(params);
  const digest =
    method === 'md5'
      ? createHash('md5').update(`${secret}${base}${secret}`, 'utf8').digest('hex')
      : createHmac(method === 'hmac' ? 'md5' : 'sha256', secret)
          .update(base, 'utf8')
          .digest('hex');
  return digest.toUpperCase();
}

/** Whether `params.sign` is the signature of the other params (the sandbox side of the check). */
export function verifyTop(
  params: Readonly<Record<string, string>>,
  secret: string,
  method: TopSignMethod,
): boolean {
  const given = params.sign ?? '';
  const expected = signTop(params, secret, method);
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
