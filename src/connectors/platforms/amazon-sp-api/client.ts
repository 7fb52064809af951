/**
 * SP-API transport, I/O only. Login with Amazon: the refresh token is exchanged at the LWA
 * token endpoint for an access token, cached until shortly before it expires (one exchange at
 * a time) and sent in `x-amz-access-token`; a 401 (or Amazon's 403 `Unauthorized` for an expired
 * token) drops it and the call is made once more with a fresh one. Restricted data (the buyer's name, street, phone) needs a Restricted Data Token
 * from the Tokens API, sent in the same header and cached the same way.
 *
 * A 429 becomes partner_rate_limited with the wait Amazon implies — Retry-After when sent, else
 * one request's worth of the `x-amzn-RateLimit-Limit` rate (or the documented rate) — so the
 * partner policy gates the channel (src/pipeline/policy/runtime.ts). Secrets never appear in an
 * error.
 */
import { MalformedAnswer } from '../../contract.js';
import { errorForStatus, PartnerCallError } from '../../errors.js';
import { retryAfterMs, type HttpClient, type HttpResponse } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { classifyAmazonError, DOCUMENTED_RATE } from './codes.js';
import { manifest } from './manifest.js';
import { parseLwaToken, parseRdt, rdtRequestBody, readErrors, readLwaError, readPayload } from './mapper.js';

export const DEFAULT_TOKEN_URL = 'https://api.amazon.com/auth/o2/token';
/** Renew this long before a token's announced expiry. */
const EARLY_MS = 60_000;

export interface AmazonCall {
  /** Amazon's operation name (getOrders, …): picks the documented rate for a bare 429. */
  operation: string;
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Send the Restricted Data Token instead of the LWA access token. */
  restricted?: boolean;
}

export interface AmazonClient {
  /** The call's `payload` (or, for a 204, an empty object); every failure a typed error. */
  call(c: AmazonCall): Promise<Record<string, unknown>>;
  /** The rate Amazon last announced per operation (x-amzn-RateLimit-Limit), for operators. */
  rateLimits(): Readonly<Record<string, number>>;
}

interface Cached {
  value: string;
  expiresAt: number;
}

/** Milliseconds to wait for one request's worth of quota at `rps`. */
function waitForRate(rps: number): number {
  return Math.ceil(1000 / rps);
}

export function createAmazonClient(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  opts: { now?: () => number } = {},
): AmazonClient {
  const { credentials, options } = readSettings(manifest, endpoint);
  const partnerId = endpoint.partnerId;
  const base = endpoint.baseUrl.replace(/\/+$/, '');
  const tokenUrl = options.tokenUrl ?? DEFAULT_TOKEN_URL;
  const now = opts.now ?? Date.now;
  const timeout = endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {};
  const limits: Record<string, number> = {};
  let access: Cached | undefined;
  let accessPending: Promise<string> | undefined;
  let rdt: Cached | undefined;
  let rdtPending: Promise<string> | undefined;

  const bad = (status: number, what: string, retryable: boolean) =>
    new PartnerCallError({
      partnerId,
      code: 'partner_bad_response',
      retryable,
      status,
      message: `${partnerId} answered ${status} with an unusable body: ${what}`,
    });

  async function exchange(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: credentials.refreshToken,
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
    });
    const res = await http.send({
      partnerId,
      method: 'POST',
      url: tokenUrl,
      headers: {
        'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
        accept: 'application/json',
      },
      body: form.toString(),
      ...timeout,
    });
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      const err = readLwaError(res.body) ?? readErrors(res.body)?.[0];
      throw new PartnerCallError({
        partnerId,
        code: 'partner_auth_failed',
        retryable: false,
        status: res.status,
        ...(err ? { partnerCode: err.code, partnerMessage: err.message } : {}),
        message: `${partnerId}: Login with Amazon refused the refresh token (${err?.code ?? res.status})`,
      });
    }
    if (res.status === 429 || res.status === 408 || res.status >= 500 || res.status >= 300) {
      const wait = retryAfterMs(res.headers);
      throw errorForStatus(partnerId, res.status, 'Login with Amazon token endpoint', {
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      });
    }
    try {
      const t = parseLwaToken(res.body);
      access = { value: t.accessToken, expiresAt: now() + t.expiresInSec * 1000 - EARLY_MS };
      return t.accessToken;
    } catch (err) {
      if (err instanceof MalformedAnswer) throw bad(res.status, err.message, true);
      throw err;
    }
  }

  async function accessToken(): Promise<string> {
    if (access && access.expiresAt > now()) return access.value;
    accessPending ??= exchange().finally(() => (accessPending = undefined));
    return accessPending;
  }

  async function restrictedToken(): Promise<string> {
    if (rdt && rdt.expiresAt > now()) return rdt.value;
    rdtPending ??= (async () => {
      const res = await authorised({
        operation: 'createRestrictedDataToken',
        method: 'POST',
        path: '/tokens/2021-03-01/restrictedDataToken',
        body: rdtRequestBody(),
      });
      try {
        const t = parseRdt(res.body);
        rdt = { value: t.token, expiresAt: now() + t.expiresInSec * 1000 - EARLY_MS };
        return t.token;
      } catch (err) {
        if (err instanceof MalformedAnswer) throw bad(res.status, err.message, true);
        throw err;
      }
    })().finally(() => (rdtPending = undefined));
    return rdtPending;
  }

  async function send(c: AmazonCall, token: string): Promise<HttpResponse> {
    const qs =
      c.query && Object.keys(c.query).length > 0 ? `?${new URLSearchParams(c.query).toString()}` : '';
    const text = c.body === undefined ? undefined : JSON.stringify(c.body);
    const res = await http.send({
      partnerId,
      method: c.method,
      url: `${base}${c.path}${qs}`,
      headers: {
        'x-amz-access-token': token,
        'x-amz-date': new Date(now())
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d{3}/, ''),
        accept: 'application/json',
        'user-agent': 'Waygate/1.0 (Language=TypeScript)',
        ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(text !== undefined ? { body: text } : {}),
      ...timeout,
    });
    const announced = Number(res.headers['x-amzn-ratelimit-limit']);
    if (Number.isFinite(announced) && announced > 0) limits[c.operation] = announced;
    return res;
  }

  /** One call with the LWA token (fresh once more after a 401); errors thrown typed. */
  async function authorised(c: AmazonCall, token?: () => Promise<string>): Promise<HttpResponse> {
    const get = token ?? accessToken;
    let res = await send(c, await get());
    // Amazon answers an expired or revoked token 403 Unauthorized (401 from some gateways).
    if (res.status === 401 || (res.status === 403 && readErrors(res.body)?.[0]?.code === 'Unauthorized')) {
      if (c.restricted) rdt = undefined;
      access = undefined;
      res = await send(c, await get());
    }
    if (res.status >= 200 && res.status < 300) return res;
    const errors = readErrors(res.body);
    const first = errors?.[0];
    if (res.status === 429 || first?.code === 'QuotaExceeded') {
      const rate = limits[c.operation] ?? DOCUMENTED_RATE[c.operation] ?? 1;
      throw errorForStatus(partnerId, 429, first?.message ?? 'QuotaExceeded', {
        retryAfterMs: retryAfterMs(res.headers) ?? waitForRate(rate),
        ...(first ? { partnerCode: first.code } : {}),
      });
    }
    if (!errors || !first) {
      if (res.status === 408 || res.status >= 500 || res.status === 401 || res.status === 403)
        throw errorForStatus(partnerId, res.status, res.body.slice(0, 200));
      throw bad(res.status, 'not the SP-API error envelope', c.method === 'GET');
    }
    const kind =
      res.status >= 500 || res.status === 408
        ? 'retry'
        : res.status === 401 || res.status === 403
          ? 'auth'
          : classifyAmazonError(first.code);
    const detail = first.details ? ` (${first.details})` : '';
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
      retryable: kind === 'retry' || kind === 'rate_limited',
      status: res.status,
      partnerCode: first.code,
      partnerMessage: `${first.message}${detail}`,
      message: `${partnerId} ${c.operation}: ${first.code} ${first.message}${detail}`,
    });
  }

  return {
    async call(c) {
      const res = await authorised(c, c.restricted ? restrictedToken : undefined);
      if (res.status === 204 || res.body.trim() === '') return {};
      try {
        return readPayload(res.body);
      } catch (err) {
        if (err instanceof MalformedAnswer) throw bad(res.status, err.message, c.method === 'GET');
        throw err;
      }
    },
    rateLimits: () => ({ ...limits }),
  };
}
