/**
 * Yanwen transport, I/O only. The order API: `POST {base}/api/order?user_id&method&format=json
 * &timestamp&version=V1.0&sign` with the compact JSON body the sign covers; the tracking API:
 * `GET {trackingUrl}/api/tracking?nums=a,b` with `Authorization: <user_id>` (no sign). HTTP
 * 401/403/408/429/5xx are typed errors; everything else is read by the pure parsers. Secrets
 * never appear in an error.
 */
import { infrastructureError, MalformedAnswer } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { errorClassOf } from './codes.js';
import { manifest } from './manifest.js';
import type { YanwenError, YanwenResult } from './mapper.js';
import { yanwenSign } from './sign.js';

export const FORMAT = 'json';
export const VERSION = 'V1.0';
export const DEFAULT_TRACKING_URL = 'http://api.track.yw56.com.cn';

export interface YanwenClient {
  order<T>(
    method: string,
    body: unknown,
    parse: (raw: string) => YanwenResult<T>,
    safeToRepeat: boolean,
  ): Promise<YanwenResult<T>>;
  tracking<T>(nums: readonly string[], parse: (raw: string) => YanwenResult<T>): Promise<YanwenResult<T>>;
}

export function createYanwenClient(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  now: () => number = Date.now,
): YanwenClient {
  const { credentials, options } = readSettings(manifest, endpoint);
  const partnerId = endpoint.partnerId;
  const base = endpoint.baseUrl.replace(/\/+$/, '');
  const trackBase = (options.trackingUrl ?? DEFAULT_TRACKING_URL).replace(/\/+$/, '');
  const timeout = endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {};

  function read<T>(
    status: number,
    raw: string,
    parse: (raw: string) => YanwenResult<T>,
    safe: boolean,
  ): YanwenResult<T> {
    try {
      return parse(raw);
    } catch (err) {
      if (!(err instanceof MalformedAnswer)) throw err;
      throw new PartnerCallError({
        partnerId,
        code: 'partner_bad_response',
        retryable: safe,
        status,
        message: `${partnerId} answered ${status} with an unusable body: ${err.message}`,
      });
    }
  }

  return {
    async order(method, body, parse, safe) {
      const text = JSON.stringify(body);
      const timestamp = String(now());
      const sign = yanwenSign(
        { userId: credentials.userId, body: text, format: FORMAT, method, timestamp, version: VERSION },
        credentials.apiToken,
      );
      const qs = new URLSearchParams({
        user_id: credentials.userId,
        method,
        format: FORMAT,
        timestamp,
        version: VERSION,
        sign,
      });
      const res = await http.send({
        partnerId,
        method: 'POST',
        url: `${base}/api/order?${qs.toString()}`,
        headers: { 'content-type': 'application/json;charset=UTF-8', accept: 'application/json' },
        body: text,
        ...timeout,
      });
      const infra = infrastructureError(partnerId, res, (b) => ({ message: b.slice(0, 200) }));
      if (infra) throw infra;
      return read(res.status, res.body, parse, safe);
    },
    async tracking(nums, parse) {
      const res = await http.send({
        partnerId,
        method: 'GET',
        url: `${trackBase}/api/tracking?nums=${nums.map(encodeURIComponent).join(',')}`,
        headers: { authorization: credentials.userId, accept: 'application/json' },
        ...timeout,
      });
      const infra = infrastructureError(partnerId, res, (b) => ({ message: b.slice(0, 200) }));
      if (infra) throw infra;
      return read(res.status, res.body, parse, true);
    },
  };
}

/** A Yanwen refusal as the typed error the queue acts on. */
export function refusal(partnerId: string, e: YanwenError): PartnerCallError {
  const kind = errorClassOf(e.code);
  return new PartnerCallError({
    partnerId,
    code:
      kind === 'auth'
        ? 'partner_auth_failed'
        : kind === 'rate_limited'
          ? 'partner_rate_limited'
          : kind === 'retry'
            ? 'partner_server_error'
            : 'partner_rejected',
    retryable: kind === 'rate_limited' || kind === 'retry',
    partnerCode: e.code,
    partnerMessage: e.message,
    message: `${partnerId}: ${e.code} ${e.message}`,
  });
}
