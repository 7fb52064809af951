/**
 * Carrier Alpha transport, I/O only: bearer-token JSON calls through the shared HttpClient.
 * Answers that say nothing about the request (401/403, 408, 429, 5xx) become typed
 * PartnerCallErrors here; every other answer goes back to the caller for the mapper to read.
 */
import { infrastructureError } from '../../contract.js';
import type { HttpClient, HttpResponse } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { manifest } from './manifest.js';
import { alphaErrorDetails } from './mapper.js';

export interface AlphaClient {
  /** The webhook secret alpha signs its pushes with (verified in index.ts, not sent anywhere). */
  readonly webhookSecret: string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<HttpResponse>;
  get(path: string, timeoutMs?: number): Promise<HttpResponse>;
}

export function createAlphaClient(endpoint: PartnerEndpoint, http: HttpClient): AlphaClient {
  const { credentials } = readSettings(manifest, endpoint);
  const base = endpoint.baseUrl.replace(/\/+$/, '');
  const headers = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${credentials.apiToken}`,
    'content-type': 'application/json',
    accept: 'application/json',
    ...extra,
  });
  const checked = (res: HttpResponse): HttpResponse => {
    const err = infrastructureError(manifest.id, res, alphaErrorDetails);
    if (err) throw err;
    return res;
  };
  return {
    webhookSecret: credentials.webhookSecret,
    async post(path, body, extra) {
      return checked(
        await http.send({
          partnerId: manifest.id,
          method: 'POST',
          url: `${base}${path}`,
          headers: headers(extra),
          body: JSON.stringify(body),
          ...(endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {}),
        }),
      );
    },
    async get(path, timeoutMs) {
      return checked(
        await http.send({
          partnerId: manifest.id,
          method: 'GET',
          url: `${base}${path}`,
          headers: headers(),
          timeoutMs: timeoutMs ?? endpoint.timeoutMs ?? 5000,
        }),
      );
    },
  };
}
