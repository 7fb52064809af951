/**
 * Transport for Carrier Beta: signed form posts to the one router endpoint through the shared
 * HttpClient, and classification of beta's failures for the queue.
 */
import { errorForStatus, PartnerCallError } from '../../errors.js';
import { retryAfterMs, type HttpClient } from '../../http.js';
import type { PartnerEndpoint } from '../../types.js';
import { MalformedBetaResponse, type BetaError, type BetaResult } from './mapper.js';
import { manifest } from './manifest.js';
import { signedRouterParams } from './sign.js';

const PARTNER = manifest.id;

/** TOP platform codes that mean our credentials or signature are refused. */
const AUTH_CODES: ReadonlySet<number> = new Set([24, 25, 26, 27, 28, 29]);
/** TOP platform codes that mean "their side failed, try again later". */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([10, 15]);

/** Turns beta's `<error_response>` into the error the queue acts on. */
export function classifyBetaError(error: BetaError): PartnerCallError {
  const partnerCode = error.subCode ?? String(error.code);
  const partnerMessage = error.subMsg ?? error.msg;
  const base = { partnerId: PARTNER, status: 200, partnerCode, partnerMessage };
  if (error.code === 7) {
    return new PartnerCallError({
      ...base,
      code: 'partner_rate_limited',
      retryable: true,
      message: `${PARTNER} limited our calls (${error.code} ${error.msg})`,
    });
  }
  if (AUTH_CODES.has(error.code)) {
    return new PartnerCallError({
      ...base,
      code: 'partner_auth_failed',
      retryable: false,
      message: `${PARTNER} refused our app key or signature (${error.code} ${error.msg})`,
    });
  }
  if (error.subCode?.startsWith('isv.')) {
    return new PartnerCallError({
      ...base,
      code: 'partner_rejected',
      retryable: false,
      message: `${PARTNER} rejected the request (${error.subCode}): ${partnerMessage}`,
    });
  }
  if (TRANSIENT_CODES.has(error.code) || error.subCode?.startsWith('isp.')) {
    return new PartnerCallError({
      ...base,
      code: 'partner_server_error',
      retryable: true,
      message: `${PARTNER} had a service error (${error.code} ${error.msg})`,
    });
  }
  return new PartnerCallError({
    ...base,
    code: 'partner_rejected',
    retryable: false,
    message: `${PARTNER} rejected the request (${error.code} ${error.msg})`,
  });
}

export interface BetaClientOptions {
  now?: () => number;
}

export interface BetaClient {
  call<T>(method: string, content: string, parse: (xml: string) => BetaResult<T>): Promise<T>;
}

export function createBetaClient(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  opts: BetaClientOptions = {},
): BetaClient {
  const appKey = endpoint.credentials.appKey;
  const appSecret = endpoint.credentials.appSecret;
  if (!appKey || !appSecret) {
    throw new Error(`${PARTNER}: credentials appKey and appSecret are required`);
  }
  const url = `${endpoint.baseUrl.replace(/\/+$/, '')}/beta/router/rest`;
  const now = opts.now ?? Date.now;
  return {
    async call<T>(method: string, content: string, parse: (xml: string) => BetaResult<T>): Promise<T> {
      const params = signedRouterParams({ method, content, appKey, appSecret, nowMs: now() });
      const res = await http.send({
        partnerId: PARTNER,
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
          accept: 'application/xml',
        },
        body: new URLSearchParams(params).toString(),
        timeoutMs: endpoint.timeoutMs,
      });
      if (res.status !== 200) {
        throw errorForStatus(PARTNER, res.status, res.body.slice(0, 200), {
          retryAfterMs: retryAfterMs(res.headers),
        });
      }
      let result: BetaResult<T>;
      try {
        result = parse(res.body);
      } catch (err) {
        if (!(err instanceof MalformedBetaResponse)) throw err;
        // Creates carry request_id, so asking again is safe: the carrier replays the original.
        throw new PartnerCallError({
          partnerId: PARTNER,
          code: 'partner_bad_response',
          retryable: true,
          status: res.status,
          message: err.message,
        });
      }
      if (!result.ok) throw classifyBetaError(result.error);
      return result.value;
    },
  };
}
