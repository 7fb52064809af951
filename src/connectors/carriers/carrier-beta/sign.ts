/**
 * Carrier Beta's TOP-style request signature: every parameter except `sign`, sorted by name
 * (code-unit order), concatenated as name+value with no separators, HMAC-SHA256 with the app
 * secret, upper-case hex. Pure: the caller supplies the clock.
 */
import { createHmac } from 'node:crypto';

const GMT8_OFFSET_MS = 8 * 3600_000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `yyyy-MM-dd HH:mm:ss` in GMT+8 (China Standard Time, no DST). */
export function formatGmt8(ms: number): string {
  const d = new Date(ms + GMT8_OFFSET_MS);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** Parses a GMT+8 `yyyy-MM-dd HH:mm:ss` time to epoch ms, or undefined when malformed. */
export function parseGmt8(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return ms - GMT8_OFFSET_MS;
}

export function signatureBase(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign')
    .sort()
    .map((k) => `${k}${params[k] ?? ''}`)
    .join('');
}

export function signParams(params: Readonly<Record<string, string>>, appSecret: string): string {
  return createHmac('sha256', appSecret).update(signatureBase(params), 'utf8').digest('hex').toUpperCase();
}

export interface RouterCall {
  method: string;
  content: string;
  appKey: string;
  appSecret: string;
  nowMs: number;
}

/** The full, signed form parameters of one router call. */
export function signedRouterParams(call: RouterCall): Record<string, string> {
  const params: Record<string, string> = {
    method: call.method,
    app_key: call.appKey,
    timestamp: formatGmt8(call.nowMs),
    v: '2.0',
    format: 'xml',
    sign_method: 'hmac-sha256',
    content: call.content,
  };
  params.sign = signParams(params, call.appSecret);
  return params;
}
