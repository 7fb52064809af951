/**
 * The one transport every connector uses: undici with pooled keep-alive connections and
 * precise timeouts. It does HTTP only; it never interprets a partner's body. Network failures
 * and timeouts become retryable PartnerCallErrors so the queue can treat every partner alike.
 *
 * Two defences live here because every partner call passes through (issue 16):
 * - SSRF: the address actually connected to is checked against the network policy at connect
 *   time — names are filtered in the DNS lookup (so a name that resolves, or re-resolves, to an
 *   internal address is never connected to), IP literals before connecting, and the socket's
 *   peer address once more before a byte is sent.
 * - Unbounded answers: a body is streamed and the call is aborted as soon as it passes the
 *   partner's size limit (and refused at once when Content-Length already says so), so a
 *   hostile partner cannot make the hub hold hundreds of megabytes.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type Socket } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import {
  checkAddress,
  checkHostName,
  DEFAULT_NETWORK_POLICY,
  type NetworkPolicy,
} from '../domain/network-policy.js';
import { PartnerCallError } from './errors.js';

export interface HttpRequest {
  partnerId: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Largest answer body accepted for this call (default: the client's limit for the partner). */
  maxResponseBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body's exact bytes, for answers that are not text (a PDF or PNG label). */
  bytes?: Buffer;
}

export interface HttpClient {
  send(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** The client the hub owns: it can also abort the calls in flight (a shutdown past its grace). */
export interface HttpTransport extends HttpClient {
  destroy(): Promise<void>;
}

/** Answers larger than this are refused unless the partner's config says otherwise. */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

type LookupFn = (
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface HttpClientOptions {
  connectionsPerOrigin?: number;
  defaultTimeoutMs?: number;
  /**
   * Which addresses may be connected to; read at every new connection, so a config reload
   * applies. Default: global unicast only (no loopback, private, link-local, …).
   */
  network?: NetworkPolicy | (() => NetworkPolicy);
  /** Largest answer body per partner (a number for all, or per partner id). */
  maxResponseBytes?: number | ((partnerId: string) => number | undefined);
  /** Name resolution (default the system resolver); tests point names at chosen addresses. */
  lookup?: LookupFn;
  /**
   * Told of every call once it ends (metrics). Called synchronously; it must be cheap and must
   * not throw. Carries no URL, header or body: nothing personal can reach a metric label.
   */
  observe?: (o: HttpObservation) => void;
}

/** One partner call as metrics see it. */
export interface HttpObservation {
  partnerId: string;
  method: HttpRequest['method'];
  /** The HTTP status, when an answer came. */
  status?: number;
  /** The transport failure's code, when none came (`partner_timeout`, `partner_unreachable`, …). */
  error?: string;
  durationMs: number;
  bytesSent: number;
  bytesReceived: number;
}

/** A connection refused by the network policy: never retried, it needs a config change. */
export class AddressRefusedError extends Error {
  readonly code = 'WAYGATE_ADDRESS_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'AddressRefusedError';
  }
}

/** The answer was larger than the partner's limit; it was not read further. */
export class ResponseTooLargeError extends Error {
  readonly code = 'WAYGATE_RESPONSE_TOO_LARGE';
  constructor(
    readonly limit: number,
    readonly declared: number | undefined,
  ) {
    super(
      declared !== undefined
        ? `answer of ${declared} bytes is over the limit of ${limit}`
        : `answer passed the limit of ${limit} bytes`,
    );
    this.name = 'ResponseTooLargeError';
  }
}

const systemLookup: LookupFn = (hostname, options, callback) =>
  dnsLookup(hostname, { ...options, all: true }, callback);

/**
 * A `lookup` for net.connect that resolves every address and keeps only those the policy
 * allows; when none is left the connection fails before it is attempted.
 */
function guardedLookup(policy: () => NetworkPolicy, resolve: LookupFn) {
  return (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const p = policy();
    const name = checkHostName(hostname, p);
    if (!name.ok) {
      callback(new AddressRefusedError(`${hostname}: ${name.reason}`), '', 0);
      return;
    }
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      const allowed = addresses.filter((a) => checkAddress(a.address, p).ok);
      if (allowed.length === 0) {
        const first = addresses[0];
        const why = first ? (checkAddress(first.address, p) as { reason: string }).reason : 'no address';
        callback(new AddressRefusedError(`${hostname} resolves only to refused addresses (${why})`), '', 0);
        return;
      }
      if (options.all) callback(null, allowed);
      else callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

export function createHttpClient(opts: HttpClientOptions = {}): HttpTransport {
  const policyOf = opts.network;
  const policy: () => NetworkPolicy =
    typeof policyOf === 'function' ? policyOf : () => policyOf ?? DEFAULT_NETWORK_POLICY;
  const defaultTimeout = opts.defaultTimeoutMs ?? 10_000;
  const base = buildConnector({
    timeout: defaultTimeout,
    lookup: guardedLookup(policy, opts.lookup ?? systemLookup),
  } as buildConnector.BuildOptions);
  const connect: buildConnector.connector = (options, callback) => {
    // An IP literal is never looked up: judge it before connecting.
    const host = options.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      const verdict = checkAddress(host, policy());
      if (!verdict.ok) {
        callback(new AddressRefusedError(`${options.hostname}: ${verdict.reason}`), null);
        return;
      }
    }
    base(options, (err, socket) => {
      if (err || !socket) {
        callback(err ?? new Error('no socket'), null);
        return;
      }
      // The peer we are actually connected to, whatever the name or literal said.
      const peer = (socket as Socket).remoteAddress;
      const verdict = peer ? checkAddress(peer, policy()) : { ok: false as const, reason: 'no peer address' };
      if (!verdict.ok) {
        socket.destroy();
        callback(new AddressRefusedError(`connected to ${peer ?? '?'}: ${verdict.reason}`), null);
        return;
      }
      callback(null, socket);
    });
  };
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? 64,
    keepAliveTimeout: 10_000,
    pipelining: 1,
    connect,
  });
  const limitFor = (req: HttpRequest): number => {
    if (req.maxResponseBytes !== undefined) return req.maxResponseBytes;
    const m = opts.maxResponseBytes;
    const configured = typeof m === 'function' ? m(req.partnerId) : m;
    return configured ?? DEFAULT_MAX_RESPONSE_BYTES;
  };
  return {
    async send(req) {
      const timeout = req.timeoutMs ?? defaultTimeout;
      const limit = limitFor(req);
      const observe = opts.observe;
      const started = observe ? performance.now() : 0;
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
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        }
        const bytes = await readLimited(res.body, limit, headers['content-length']);
        observe?.({
          partnerId: req.partnerId,
          method: req.method,
          status: res.statusCode,
          durationMs: performance.now() - started,
          bytesSent: req.body === undefined ? 0 : Buffer.byteLength(req.body),
          bytesReceived: bytes.length,
        });
        return { status: res.statusCode, headers, body: bytes.toString('utf8'), bytes };
      } catch (err) {
        const failure = transportError(req.partnerId, err);
        observe?.({
          partnerId: req.partnerId,
          method: req.method,
          error: failure.code,
          durationMs: performance.now() - started,
          bytesSent: req.body === undefined ? 0 : Buffer.byteLength(req.body),
          bytesReceived: 0,
        });
        throw failure;
      }
    },
    close: () => agent.close(),
    destroy: () => agent.destroy(),
  };
}

/** Reads a body up to `limit` bytes; past it the stream is destroyed (the socket is not reused). */
async function readLimited(
  body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown },
  limit: number,
  contentLength: string | undefined,
): Promise<Buffer> {
  const declared =
    contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : undefined;
  if (declared !== undefined && declared > limit) {
    body.destroy();
    throw new ResponseTooLargeError(limit, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new ResponseTooLargeError(limit, undefined);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function transportError(partnerId: string, err: unknown): PartnerCallError {
  if (err instanceof PartnerCallError) return err;
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  const refused =
    err instanceof AddressRefusedError ? err : e.cause instanceof AddressRefusedError ? e.cause : undefined;
  if (refused) {
    return new PartnerCallError({
      partnerId,
      code: 'partner_address_refused',
      retryable: false,
      message: `${partnerId} was not called: ${refused.message} (network policy)`,
    });
  }
  if (err instanceof ResponseTooLargeError) {
    return new PartnerCallError({
      partnerId,
      code: 'partner_response_too_large',
      retryable: false,
      message: `${partnerId} sent an answer that was refused: ${err.message}`,
    });
  }
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
 * `X-RateLimit-Reset` (unix seconds, or seconds from now when small). This is the partner's
 * word, unbounded: the partner policy caps it (policy.ts `partnerWaitMs`) before anything waits.
 */
export function retryAfterMs(headers: Record<string, string>, nowMs = Date.now()): number | undefined {
  const ra = headers['retry-after']?.trim();
  if (ra !== undefined && ra !== '') {
    const secs = Number(ra);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - nowMs);
  }
  const reset = headers['x-ratelimit-reset']?.trim();
  if (reset !== undefined && reset !== '') {
    const n = Number(reset);
    if (Number.isFinite(n)) {
      // Partners disagree: some send an epoch time, some a delta. An epoch is > 1e9.
      return n > 1e9 ? Math.max(0, n * 1000 - nowMs) : Math.max(0, n * 1000);
    }
  }
  return undefined;
}
