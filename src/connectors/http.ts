/**
 * The one transport every connector uses: undici with pooled keep-alive connections and
 * precise timeouts. It does HTTP only; it never interprets a partner's body. Network failures
 * and timeouts become retryable PartnerCallErrors so the queue can treat every partner alike.
 */
import { Agent, request } from 'undici';
import { PartnerCallError } from './errors.js';

export interface HttpRequest {
  partnerId: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface HttpClient {
  send(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export function createHttpClient(
  opts: { connectionsPerOrigin?: number; defaultTimeoutMs?: number } = {},
): HttpClient {
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? 64,
    keepAliveTimeout: 10_000,
    pipelining: 1,
  });
  const defaultTimeout = opts.defaultTimeoutMs ?? 10_000;
  return {
    async send(req) {
      const timeout = req.timeoutMs ?? defaultTimeout;
      try {
        const res = await request(req.url, {
          dispatcher: agent,
          method: req.method,
          headers: req.headers,
          body: req.body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: AbortSignal.timeout(timeout),
        });
        const body = await res.body.text();
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        }
        return { status: res.statusCode, headers, body };
      } catch (err) {
        throw transportError(req.partnerId, err);
      }
    },
    close: () => agent.close(),
  };
}

function transportError(partnerId: string, err: unknown): PartnerCallError {
  const e = err as { name?: string; code?: string; message?: string };
  const timedOut =
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e.code === 'UND_ERR_BODY_TIMEOUT' ||
    e.code === 'UND_ERR_CONNECT_TIMEOUT';
  return new PartnerCallError({
    partnerId,
    code: timedOut ? 'partner_timeout' : 'partner_unreachable',
    retryable: true,
    message: timedOut
      ? `${partnerId} did not answer in time`
      : `${partnerId} could not be reached (${e.code ?? e.name ?? 'network error'})`,
  });
}

/**
 * How long a partner asked us to wait, from `Retry-After` (seconds or HTTP date) or
 * `X-RateLimit-Reset` (unix seconds, or seconds from now when small).
 */
export function retryAfterMs(headers: Record<string, string>, nowMs = Date.now()): number | undefined {
  const ra = headers['retry-after'];
  if (ra !== undefined) {
    const secs = Number(ra);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - nowMs);
  }
  const reset = headers['x-ratelimit-reset'];
  if (reset !== undefined) {
    const n = Number(reset);
    if (Number.isFinite(n)) {
      // Partners disagree: some send an epoch time, some a delta. An epoch is > 1e9.
      return n > 1e9 ? Math.max(0, n * 1000 - nowMs) : Math.max(0, n * 1000);
    }
  }
  return undefined;
}
