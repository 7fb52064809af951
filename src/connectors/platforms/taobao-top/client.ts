/**
 * The TOP router, transport only: one POST of form parameters (common + business + sign) to
 * `/router/rest`, the answer's `<api>_response` or `error_response` read. TOP answers errors with
 * HTTP 200, so the envelope (codes.ts) decides: rate limits and isp.* errors are retried (with
 * the ban's length as Retry-After), auth failures and refusals are not. Secrets never appear in
 * an error.
 */
import { PartnerCallError } from '../../errors.js';
import { errorForStatus } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { banMs, classifyTopError } from './codes.js';
import { manifest } from './manifest.js';
import { parseTopJson, readTopEnvelope, topTime } from './mapper.js';
import { signTop } from './signature.js';

export interface TopClient {
  /** Calls one API; `params` holds `method` and its business parameters. */
  call(params: Record<string, string>, nowMs?: number): Promise<Record<string, unknown>>;
}

export function createTopClient(endpoint: PartnerEndpoint, http: HttpClient): TopClient {
  const partnerId = endpoint.partnerId;
  const { credentials, options } = readSettings(manifest, endpoint);
  const signMethod = options.signMethod ?? 'md5';
  const url = endpoint.baseUrl.replace(/\/+$/, '').endsWith('/router/rest')
    ? endpoint.baseUrl
    : `${endpoint.baseUrl.replace(/\/+$/, '')}/router/rest`;

  return {
    async call(business, nowMs = Date.now()) {
      const method = business.method ?? '';
      const params: Record<string, string> = {
        ...business,
        app_key: credentials.appKey,
        session: credentials.session,
        timestamp: topTime(nowMs),
        format: 'json',
        v: '2.0',
        sign_method: signMethod,
        simplify: 'false',
      };
      params.sign = signTop(params, credentials.appSecret, signMethod);
      const res = await http.send({
        partnerId,
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
          accept: 'application/json',
        },
        body: new URLSearchParams(params).toString(),
        ...(endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {}),
      });
      if (res.status < 200 || res.status >= 300)
        throw errorForStatus(partnerId, res.status, res.body.slice(0, 200));
      let body: unknown;
      try {
        body = parseTopJson(res.body);
      } catch {
        body = undefined;
      }
      const envelope = readTopEnvelope(
        body,
        `${method.replace(/^taobao\./, '').replaceAll('.', '_')}_response`,
      );
      if (!envelope) {
        throw new PartnerCallError({
          partnerId,
          code: 'partner_bad_response',
          retryable: false,
          status: res.status,
          message: `${partnerId} answered ${method} without its response envelope`,
        });
      }
      if (envelope.ok) return envelope.value;
      const { code, msg, subCode, subMsg } = envelope.error;
      const text = `${code} ${msg}${subCode ? ` (${subCode}${subMsg ? `: ${subMsg}` : ''})` : ''}`;
      const kind = classifyTopError(code, subCode);
      const wait = banMs(subMsg);
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
        partnerCode: subCode ?? code,
        partnerMessage: text,
        ...(kind === 'rate_limited' && wait !== undefined ? { retryAfterMs: wait } : {}),
        message: `${partnerId} ${method}: ${text}`,
      });
    },
  };
}
