/**
 * UPS transport, I/O only: an OAuth 2.0 client-credentials token (`POST /security/v1/oauth/token`,
 * client id and secret as HTTP Basic), cached until shortly before it expires and fetched by one
 * caller at a time; every API call sends it as a bearer token with `transId` and
 * `transactionSrc`. A 401 drops the token and the call is made once more with a fresh one.
 */
import { randomUUID } from 'node:crypto';
import { infrastructureError, MalformedAnswer } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient, HttpResponse } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { manifest } from './manifest.js';
import { parseToken, rejectionOf } from './mapper.js';

export interface UpsClientOptions {
  now?: () => number;
}

export interface UpsClient {
  /** One API call; 401/403/408/429/5xx thrown as typed errors, anything else returned. */
  send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpResponse>;
}

/** Renew this long before UPS says the token expires. */
const EARLY_MS = 60_000;

export function createUpsClient(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  opts: UpsClientOptions = {},
): UpsClient {
  const { credentials, options } = readSettings(manifest, endpoint);
  const base = endpoint.baseUrl.replace(/\/+$/, '');
  const now = opts.now ?? Date.now;
  const partnerId = endpoint.partnerId;
  const timeout = endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {};
  let token: { value: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const res = await http.send({
      partnerId,
      method: 'POST',
      url: `${base}/security/v1/oauth/token`,
      headers: {
        authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
      ...timeout,
    });
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      const r = rejectionOf(res.status, res.body);
      throw new PartnerCallError({
        partnerId,
        code: 'partner_auth_failed',
        retryable: false,
        status: res.status,
        partnerCode: r.code,
        partnerMessage: r.message,
        message: `${partnerId} refused our OAuth client credentials (${r.code})`,
      });
    }
    const infra = infrastructureError(partnerId, res, (b) => ({ message: b.slice(0, 200) }));
    if (infra) throw infra;
    try {
      const t = parseToken(res.body);
      token = { value: t.accessToken, expiresAt: now() + t.expiresInSec * 1000 - EARLY_MS };
      return t.accessToken;
    } catch (err) {
      if (!(err instanceof MalformedAnswer)) throw err;
      throw new PartnerCallError({
        partnerId,
        code: 'partner_bad_response',
        retryable: true,
        status: res.status,
        message: `${partnerId}: ${err.message}`,
      });
    }
  }

  async function bearer(): Promise<string> {
    if (token && token.expiresAt > now()) return token.value;
    pending ??= fetchToken().finally(() => (pending = undefined));
    return pending;
  }

  async function once(method: 'GET' | 'POST', path: string, body: unknown): Promise<HttpResponse> {
    return http.send({
      partnerId,
      method,
      url: `${base}${path}`,
      headers: {
        authorization: `Bearer ${await bearer()}`,
        transId: randomUUID().replace(/-/g, '').slice(0, 32),
        transactionSrc: options.transactionSrc ?? 'waygate',
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...timeout,
    });
  }

  return {
    async send(method, path, body) {
      let res = await once(method, path, body);
      if (res.status === 401) {
        token = undefined;
        res = await once(method, path, body);
      }
      const infra = infrastructureError(partnerId, res, (b) => {
        const r = rejectionOf(res.status, b);
        return { message: r.message, code: r.code };
      });
      if (infra) throw infra;
      return res;
    },
  };
}
