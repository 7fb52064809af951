/**
 * TikTok Shop Open API, transport only: every call carries app_key, timestamp, shop_cipher and
 * its HMAC-SHA256 sign in the query and the access token in `x-tts-access-token`; the answer's
 * `{code, message, data}` envelope decides (codes.ts). Secrets never appear in an error.
 */
import { errorForStatus, PartnerCallError } from '../../errors.js';
import { retryAfterMs, type HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { classifyTiktokError } from './codes.js';
import { manifest } from './manifest.js';
import { readEnvelope } from './mapper.js';
import { signTiktok } from './signature.js';

export interface TiktokClient {
  call(
    method: 'GET' | 'POST',
    path: string,
    query?: Record<string, string>,
    body?: unknown,
    nowMs?: number,
  ): Promise<Record<string, unknown>>;
}

export function createTiktokClient(endpoint: PartnerEndpoint, http: HttpClient): TiktokClient {
  const partnerId = endpoint.partnerId;
  const { credentials } = readSettings(manifest, endpoint);
  const base = endpoint.baseUrl.replace(/\/+$/, '');

  return {
    async call(method, path, extra = {}, body, nowMs = Date.now()) {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const query: Record<string, string> = {
        ...extra,
        app_key: credentials.appKey,
        timestamp: String(Math.floor(nowMs / 1000)),
        shop_cipher: credentials.shopCipher,
      };
      query.sign = signTiktok(
        { path, query, ...(text !== undefined ? { body: text } : {}) },
        credentials.appSecret,
      );
      const res = await http.send({
        partnerId,
        method,
        url: `${base}${path}?${new URLSearchParams(query).toString()}`,
        headers: {
          'x-tts-access-token': credentials.accessToken,
          accept: 'application/json',
          ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(text !== undefined ? { body: text } : {}),
        ...(endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {}),
      });
      let parsed: unknown;
      try {
        parsed = JSON.parse(res.body);
      } catch {
        parsed = undefined;
      }
      const env = readEnvelope(parsed);
      if (res.status === 429 || res.status >= 500 || (!env && res.status >= 300)) {
        const wait = retryAfterMs(res.headers);
        throw errorForStatus(partnerId, res.status, env?.message ?? res.body.slice(0, 200), {
          ...(wait !== undefined ? { retryAfterMs: wait } : {}),
          ...(env ? { partnerCode: env.code } : {}),
        });
      }
      if (!env) {
        throw new PartnerCallError({
          partnerId,
          code: 'partner_bad_response',
          retryable: false,
          status: res.status,
          message: `${partnerId} answered ${path} without its envelope`,
        });
      }
      if (env.code === '0') return env.data ?? {};
      const kind = classifyTiktokError(env.code);
      throw new PartnerCallError({
        partnerId,
        code:
          kind === 'rate_limited'
            ? 'partner_rate_limited'
            : kind === 'retry'
              ? 'partner_server_error'
              : kind === 'auth'
                ? 'partner_auth_failed'
                : 'partner_rejected',
        retryable: kind === 'rate_limited' || kind === 'retry',
        status: res.status,
        partnerCode: env.code,
        partnerMessage: env.message,
        message: `${partnerId} ${path}: ${env.code} ${env.message}`,
      });
    },
  };
}
