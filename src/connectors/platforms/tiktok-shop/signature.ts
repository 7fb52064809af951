/**
 * TikTok Shop request signing (API 202309+, "Sign your API request"): the query parameters but
 * `sign` and `access_token`, sorted by key, joined as key + value; the request path before them
 * and, unless the body is multipart/form-data, the exact body bytes after; the whole wrapped in
 * the app secret; sign = lowercase hex HMAC-SHA256(app secret, wrapped).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignInput {
  path: string;
  query: Readonly<Record<string, string>>;
  /** The exact body sent (omit for GET or multipart). */
  body?: string;
}

export function tiktokSignBase({ path, query, body }: SignInput): string {
  const params = Object.keys(query)
    .filter((k) => k !== 'sign' && k !== 'access_token')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}${query[k]}`)
    .join('');
  return `${path}${params}${body ?? ''}`;
}

export function signTiktok(input: SignInput, appSecret: string): string {
  return createHmac('sha256', appSecret)
    .update(`${appSecret}${tiktokSignBase(input)}${appSecret}`, 'utf8')
    .digest('hex');
}

export function verifyTiktok(input: SignInput, appSecret: string): boolean {
  const given = input.query.sign ?? '';
  const expected = signTiktok(input, appSecret);
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
