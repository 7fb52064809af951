/**
 * YunExpress transport, I/O only: JSON over HTTPS under `{baseUrl}/api`, authenticated with
 * `Authorization: Basic base64(CustomerCode&ApiSecret)`. HTTP failures (401/403/408/429/5xx)
 * become typed PartnerCallErrors here; a 200 goes back to the method's parser.
 */
import { infrastructureError, MalformedAnswer } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient, HttpResponse } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { classifyYunError } from './codes.js';
import type { YunResult } from './mapper.js';
import { manifest } from './manifest.js';

export interface YunClient {
  call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    parse: (raw: string) => YunResult<T>,
  ): Promise<YunResult<T>>;
  download(url: string): Promise<HttpResponse>;
}

const details = (body: string) => ({ message: body.trim().slice(0, 200) || 'no details' });

/** The Basic token YunExpress documents: base64 of `CustomerCode&ApiSecret`. */
export function basicToken(customerCode: string, apiSecret: string): string {
  return `Basic ${Buffer.from(`${customerCode}&${apiSecret}`, 'utf8').toString('base64')}`;
}

export function createYunClient(endpoint: PartnerEndpoint, http: HttpClient): YunClient {
  const { credentials } = readSettings(manifest, endpoint);
  const base = `${endpoint.baseUrl.replace(/\/+$/, '')}/api`;
  const auth = basicToken(credentials.customerCode, credentials.apiSecret);
  const partnerId = endpoint.partnerId;
  const timeout = endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {};
  return {
    async call(method, path, body, parse) {
      const res = await http.send({
        partnerId,
        method,
        url: `${base}${path}`,
        headers: {
          authorization: auth,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json;charset=utf-8' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...timeout,
      });
      const infra = infrastructureError(partnerId, res, details);
      if (infra) throw infra;
      try {
        return parse(res.body);
      } catch (err) {
        if (!(err instanceof MalformedAnswer)) throw err;
        // Creates are keyed by CustomerOrderNumber, so every call here is safe to repeat.
        throw new PartnerCallError({
          partnerId,
          code: 'partner_bad_response',
          retryable: true,
          status: res.status,
          message: `${partnerId} answered ${res.status} with an unusable body: ${err.message}`,
        });
      }
    },
    async download(url) {
      const res = await http.send({ partnerId, method: 'GET', url, ...timeout });
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

export const refusal = classifyYunError;
