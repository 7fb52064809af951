/**
 * 4PX transport, I/O only: every method is a POST of a JSON body to the one router
 * (`/router/api/service`), its common parameters and md5 `sign` in the query string. HTTP
 * failures (401/403/408/429/5xx) become typed PartnerCallErrors here; a 200 goes back to the
 * method's parser, which reads 4PX's envelope.
 */
import { infrastructureError, MalformedAnswer } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient, HttpResponse } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { manifest } from './manifest.js';
import { classifyFourpxError, type FourpxError } from './codes.js';
import type { FourpxResult } from './mapper.js';
import { fourpxSign } from './sign.js';

export interface FourpxClientOptions {
  now?: () => number;
}

export interface FourpxClient {
  /** The parsed result of one method call; infrastructure failures thrown. */
  call<T>(
    method: string,
    version: string,
    body: unknown,
    parse: (raw: string) => FourpxResult<T>,
    safeToRepeat: boolean,
  ): Promise<FourpxResult<T>>;
  /** GET of a URL 4PX handed out (a label), as bytes. */
  download(url: string): Promise<HttpResponse>;
}

const details = (body: string) => ({ message: body.trim().slice(0, 200) || 'no details' });

export function createFourpxClient(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  opts: FourpxClientOptions = {},
): FourpxClient {
  const { credentials, options } = readSettings(manifest, endpoint);
  const url = `${endpoint.baseUrl.replace(/\/+$/, '')}/router/api/service`;
  const now = opts.now ?? Date.now;
  const partnerId = endpoint.partnerId;
  const timeout = endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {};
  return {
    async call(method, version, body, parse, safeToRepeat) {
      const json = JSON.stringify(body);
      const common = {
        app_key: credentials.appKey,
        format: 'json',
        method,
        timestamp: String(now()),
        v: version,
      };
      const query = new URLSearchParams({
        ...common,
        sign: fourpxSign(common, json, credentials.appSecret),
        language: options.language ?? 'en',
      });
      const res = await http.send({
        partnerId,
        method: 'POST',
        url: `${url}?${query.toString()}`,
        headers: { 'content-type': 'application/json;charset=utf-8', accept: 'application/json' },
        body: json,
        ...timeout,
      });
      const infra = infrastructureError(partnerId, res, details);
      if (infra) throw infra;
      try {
        return parse(res.body);
      } catch (err) {
        if (!(err instanceof MalformedAnswer)) throw err;
        throw new PartnerCallError({
          partnerId,
          code: 'partner_bad_response',
          retryable: safeToRepeat,
          status: res.status,
          message: `${partnerId} answered ${res.status} with an unusable body: ${err.message}`,
        });
      }
    },
    async download(target) {
      const res = await http.send({ partnerId, method: 'GET', url: target, ...timeout });
      const infra = infrastructureError(partnerId, res, details);
      if (infra) throw infra;
      if (res.status !== 200) {
        throw new PartnerCallError({
          partnerId,
          code: 'partner_bad_response',
          retryable: true,
          status: res.status,
          message: `${partnerId} label download answered ${res.status}`,
        });
      }
      return res;
    },
  };
}

/** The first error of a refusal as the error the queue acts on. */
export function refusal(errors: readonly FourpxError[]): PartnerCallError {
  return classifyFourpxError(errors[0] ?? { code: 'unknown', message: 'failed' });
}
