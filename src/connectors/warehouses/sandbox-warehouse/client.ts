/**
 * OWH's API, transport only: every call signed (signature.ts), the `{success, data, error}`
 * envelope opened. Infrastructure failures become retryable PartnerCallErrors; OWH's business
 * refusals non-retryable ones with its code. The app secret never appears in an error.
 */
import { randomBytes } from 'node:crypto';
import { errorForStatus, PartnerCallError } from '../../errors.js';
import { retryAfterMs, type HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { manifest } from './manifest.js';
import { signCall } from './signature.js';

export const API_PREFIX = '/owh/api/v2';

export type OwhSend = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<unknown>;

function envelopeError(body: string): { code: string; msg: string } | undefined {
  try {
    const e = (JSON.parse(body) as { error?: { code?: unknown; msg?: unknown } }).error;
    if (e && typeof e.code === 'string') return { code: e.code, msg: typeof e.msg === 'string' ? e.msg : '' };
  } catch {
    // not the envelope
  }
  return undefined;
}

export function createOwhClient(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  now = () => Date.now(),
): OwhSend {
  const partnerId = endpoint.partnerId;
  const { appKey, appSecret } = readSettings(manifest, endpoint).credentials;
  const base = endpoint.baseUrl.replace(/\/+$/, '');

  return async (method, path, body) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const timestamp = String(Math.floor(now() / 1000));
    const nonce = randomBytes(12).toString('hex');
    const pathAndQuery = `${API_PREFIX}${path}`;
    const sign = signCall(appSecret, { appKey, timestamp, nonce, method, pathAndQuery, body: text });
    const res = await http.send({
      partnerId,
      method,
      url: `${base}${pathAndQuery}`,
      headers: {
        accept: 'application/json',
        'x-owh-app-key': appKey,
        'x-owh-timestamp': timestamp,
        'x-owh-nonce': nonce,
        'x-owh-sign': sign,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: text } : {}),
      ...(endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {}),
    });
    if (res.status < 200 || res.status >= 300) {
      const e = envelopeError(res.body);
      if (res.status >= 400 && res.status < 500 && ![401, 403, 408, 429].includes(res.status) && e) {
        throw new PartnerCallError({
          partnerId,
          code: 'partner_rejected',
          retryable: false,
          status: res.status,
          partnerCode: e.code,
          partnerMessage: e.msg,
          message: `${partnerId} rejected the request (${res.status}): ${e.msg}`,
        });
      }
      const wait = retryAfterMs(res.headers);
      throw errorForStatus(
        partnerId,
        res.status,
        e?.msg ?? res.body.slice(0, 200),
        wait !== undefined ? { retryAfterMs: wait } : {},
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      parsed = undefined;
    }
    const env = parsed as { success?: unknown; data?: unknown } | undefined;
    if (!env || env.success !== true) {
      throw new PartnerCallError({
        partnerId,
        code: 'partner_bad_response',
        retryable: false,
        status: res.status,
        message: `${partnerId} answered ${res.status} without a successful envelope`,
      });
    }
    return env.data;
  };
}
