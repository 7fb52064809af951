/**
 * Fault knobs for the sandbox carriers, settable live over `POST /__faults`, so a hub's retry,
 * rate-limit and failover logic can be exercised over real HTTP. Each carrier is served on two
 * channels — `primary` (its usual paths) and `standby` (the same API under `/standby`) — and
 * each carrier + channel has its own knobs, applied per request before the carrier handles it:
 *
 * - `outage`: the connection is destroyed without an answer (a dead load balancer);
 * - `latencyMs`: the request waits that long before anything else happens;
 * - `rateLimit {limit, windowSec}`: fixed windows; over the limit a 429 with `Retry-After` and
 *   `X-RateLimit-*` headers; calls arriving while an earlier 429 said to wait are counted
 *   (`callsBeforeReset`);
 * - `timeoutRate`: that share of requests is never answered in a useful time (held ~30 s, then
 *   the connection is destroyed); every other one of these is processed first, so the shipment
 *   exists and only the reply is lost;
 * - `errorRate`: that share of requests is answered 503 without being processed.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const CHANNELS = ['primary', 'standby'] as const;
export type Channel = (typeof CHANNELS)[number];
/** Path prefix of each channel: the standby channel mounts the same API under `/standby`. */
export const CHANNEL_PREFIX: Readonly<Record<Channel, string>> = { primary: '', standby: '/standby' };

export const isChannel = (v: unknown): v is Channel =>
  typeof v === 'string' && (CHANNELS as readonly string[]).includes(v);

export interface RateLimitSpec {
  limit: number;
  windowSec: number;
}

/** The knobs of one carrier + channel, as posted to and listed by `/__faults`. */
export interface FaultSpec {
  partner: string;
  channel: Channel;
  errorRate?: number;
  latencyMs?: number;
  timeoutRate?: number;
  rateLimit?: RateLimitSpec;
  outage?: boolean;
}

/** Per carrier + channel counters kept by the carrier itself. */
export interface ChannelCounters {
  calls: number;
  shipmentsCreated: number;
  duplicateCreates: number;
  idempotentReplays: number;
}

/** Per carrier + channel counters kept by the fault injector. */
export interface ChannelFaultStats {
  /** Calls that arrived after a 429 and before the reset time that 429 announced. */
  callsBeforeReset: number;
  /** Requests answered by a fault instead of the carrier: outage, timeout, 503 or 429. */
  faultsInjected: number;
}

export type ChannelStats = ChannelCounters & ChannelFaultStats;

export function newChannelCounters(): Record<Channel, ChannelCounters> {
  const zero = (): ChannelCounters => ({
    calls: 0,
    shipmentsCreated: 0,
    duplicateCreates: 0,
    idempotentReplays: 0,
  });
  return { primary: zero(), standby: zero() };
}

/** The `channels` object of a carrier's stats: its own counters plus the injector's. */
export function channelStats(
  partner: string,
  counters: Record<Channel, ChannelCounters>,
  faults: FaultInjector | undefined,
): Record<Channel, ChannelStats> {
  const one = (channel: Channel): ChannelStats => ({
    ...counters[channel],
    ...(faults?.stats(partner, channel) ?? { callsBeforeReset: 0, faultsInjected: 0 }),
  });
  return { primary: one('primary'), standby: one('standby') };
}

/** How a carrier words a refusal by its gateway (429 or 503) in its own dialect. */
export type FaultResponder = (status: 429 | 503, message: string) => { contentType: string; body: string };

/** A `/__faults` body that does not make sense; the message says why (answered with 400). */
export class FaultSpecError extends Error {}

const MAX_LATENCY_MS = 120_000;
const MAX_WINDOW_SEC = 3_600;
const MAX_LIMIT = 1_000_000;
const SPEC_KEYS = new Set([
  'partner',
  'channel',
  'errorRate',
  'latencyMs',
  'timeoutRate',
  'rateLimit',
  'outage',
]);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function rate(body: Record<string, unknown>, key: 'errorRate' | 'timeoutRate'): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new FaultSpecError(`${key} must be a number from 0 to 1`);
  }
  return v;
}

function integer(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new FaultSpecError(`${name} must be an integer from ${min} to ${max}`);
  }
  return v;
}

/** Validates a `POST /__faults` body against the known partners; throws FaultSpecError. */
export function parseFaultSpec(body: unknown, partners: readonly string[]): FaultSpec {
  if (!isPlainObject(body)) throw new FaultSpecError('body must be a JSON object');
  const unknown = Object.keys(body).filter((k) => !SPEC_KEYS.has(k));
  if (unknown.length > 0) {
    throw new FaultSpecError(`unknown field ${unknown.join(', ')}; allowed: ${[...SPEC_KEYS].join(', ')}`);
  }
  const { partner } = body;
  if (typeof partner !== 'string' || !partners.includes(partner)) {
    throw new FaultSpecError(`partner must be one of ${partners.join(', ')}`);
  }
  const channel = body.channel ?? 'primary';
  if (!isChannel(channel)) throw new FaultSpecError(`channel must be one of ${CHANNELS.join(', ')}`);
  const spec: FaultSpec = { partner, channel };
  const errorRate = rate(body, 'errorRate');
  if (errorRate !== undefined) spec.errorRate = errorRate;
  const timeoutRate = rate(body, 'timeoutRate');
  if (timeoutRate !== undefined) spec.timeoutRate = timeoutRate;
  if (body.latencyMs !== undefined) spec.latencyMs = integer(body.latencyMs, 'latencyMs', 0, MAX_LATENCY_MS);
  if (body.outage !== undefined) {
    if (typeof body.outage !== 'boolean') throw new FaultSpecError('outage must be true or false');
    spec.outage = body.outage;
  }
  if (body.rateLimit !== undefined) {
    const rl = body.rateLimit;
    if (!isPlainObject(rl)) throw new FaultSpecError('rateLimit must be an object {"limit", "windowSec"}');
    const extra = Object.keys(rl).filter((k) => k !== 'limit' && k !== 'windowSec');
    if (extra.length > 0) throw new FaultSpecError(`unknown field rateLimit.${extra.join(', rateLimit.')}`);
    spec.rateLimit = {
      limit: integer(rl.limit, 'rateLimit.limit', 0, MAX_LIMIT),
      windowSec: integer(rl.windowSec, 'rateLimit.windowSec', 1, MAX_WINDOW_SEC),
    };
  }
  return spec;
}

interface ChannelState {
  spec: FaultSpec | undefined;
  /** Start (ms) and calls of the current rate-limit window; start is on a whole second. */
  windowStartMs: number;
  windowCalls: number;
  /** Latest reset time announced by a 429 on this channel. */
  blockedUntilMs: number;
  /** Timeout faults fired so far (odd ones process the request before hanging). */
  timeouts: number;
  stats: ChannelFaultStats;
}

export interface FaultInjectorOptions {
  /** Source of randomness for errorRate and timeoutRate (default Math.random). */
  random?: () => number;
  /** How long a timed-out request is held before its connection is destroyed (default 30 s). */
  holdMs?: number;
}

export class FaultInjector {
  private readonly states = new Map<string, ChannelState>();
  private readonly random: () => number;
  private readonly holdMs: number;
  /** Requests to hold after the carrier has answered them (the reply is lost, not the work). */
  private readonly hangAfter = new WeakSet<object>();
  private readonly held = new Set<Socket>();
  private readonly sleepers = new Set<() => void>();
  private closed = false;

  constructor(
    readonly partners: readonly string[],
    opts: FaultInjectorOptions = {},
  ) {
    this.random = opts.random ?? Math.random;
    this.holdMs = opts.holdMs ?? 30_000;
  }

  private state(partner: string, channel: Channel): ChannelState {
    const key = `${partner}\u0000${channel}`;
    let s = this.states.get(key);
    if (!s) {
      s = {
        spec: undefined,
        windowStartMs: 0,
        windowCalls: 0,
        blockedUntilMs: 0,
        timeouts: 0,
        stats: { callsBeforeReset: 0, faultsInjected: 0 },
      };
      this.states.set(key, s);
    }
    return s;
  }

  /** Sets the knobs of one carrier + channel, replacing what was set there before. */
  set(spec: FaultSpec): void {
    const s = this.state(spec.partner, spec.channel);
    s.spec = spec;
    s.windowStartMs = 0;
    s.windowCalls = 0;
    s.timeouts = 0;
  }

  /** Clears the knobs of every carrier + channel matching the filter; returns how many were set. */
  clear(filter: { partner?: string; channel?: Channel } = {}): number {
    let n = 0;
    for (const s of this.states.values()) {
      if (!s.spec) continue;
      if (filter.partner !== undefined && s.spec.partner !== filter.partner) continue;
      if (filter.channel !== undefined && s.spec.channel !== filter.channel) continue;
      s.spec = undefined;
      n++;
    }
    return n;
  }

  list(): FaultSpec[] {
    return [...this.states.values()]
      .flatMap((s) => (s.spec ? [s.spec] : []))
      .sort((a, b) => a.partner.localeCompare(b.partner) || a.channel.localeCompare(b.channel));
  }

  stats(partner: string, channel: Channel): ChannelFaultStats {
    return { ...this.state(partner, channel).stats };
  }

  /**
   * Installs the knobs on a carrier's scope for one channel. Call it after the carrier's own
   * call-counting hook, so faulted calls still count as calls.
   */
  install(scope: FastifyInstance, partner: string, channel: Channel, respond: FaultResponder): void {
    scope.addHook('onRequest', async (req, reply) => this.before(partner, channel, req, reply, respond));
    scope.addHook('onSend', (req, _reply, payload, done) => {
      if (!this.hangAfter.has(req.raw)) {
        done(null, payload);
        return;
      }
      // The carrier has done the work; its answer is never sent (done is not called) and the
      // connection is destroyed by hold().
      this.hangAfter.delete(req.raw);
      this.hold(req.raw.socket);
    });
  }

  /** Answers on the raw response, outside fastify's lifecycle (which hijack() stops). */
  private refuse(
    reply: FastifyReply,
    status: 429 | 503,
    headers: Record<string, string>,
    respond: FaultResponder,
    message: string,
  ): void {
    const { contentType, body } = respond(status, message);
    reply.hijack();
    reply.raw.writeHead(status, {
      ...headers,
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
    });
    reply.raw.end(body);
  }

  private async before(
    partner: string,
    channel: Channel,
    req: FastifyRequest,
    reply: FastifyReply,
    respond: FaultResponder,
  ): Promise<void> {
    const st = this.state(partner, channel);
    if (Date.now() < st.blockedUntilMs) st.stats.callsBeforeReset++;
    const spec = st.spec;
    if (!spec || this.closed) return;

    if (spec.outage) {
      st.stats.faultsInjected++;
      reply.hijack();
      req.raw.socket.destroy();
      return;
    }

    if (spec.latencyMs) await this.sleep(spec.latencyMs);

    if (spec.rateLimit) {
      const { limit, windowSec } = spec.rateLimit;
      const now = Date.now();
      const windowMs = windowSec * 1000;
      if (now >= st.windowStartMs + windowMs) {
        st.windowStartMs = Math.floor(now / 1000) * 1000;
        st.windowCalls = 0;
      }
      st.windowCalls++;
      const resetMs = st.windowStartMs + windowMs;
      const headers = {
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': String(Math.max(0, limit - st.windowCalls)),
        'x-ratelimit-reset': String(resetMs / 1000),
      };
      if (st.windowCalls > limit) {
        st.stats.faultsInjected++;
        st.blockedUntilMs = Math.max(st.blockedUntilMs, resetMs);
        const retryAfter = String(Math.max(1, Math.ceil((resetMs - now) / 1000)));
        this.refuse(
          reply,
          429,
          { ...headers, 'retry-after': retryAfter },
          respond,
          `Rate limit of ${limit} calls per ${windowSec} s exceeded, retry after ${retryAfter} s (sandbox fault injection)`,
        );
        return;
      }
      void reply.headers(headers);
    }

    if (spec.timeoutRate && this.random() < spec.timeoutRate) {
      st.stats.faultsInjected++;
      st.timeouts++;
      if (st.timeouts % 2 === 1) {
        // The carrier does the work (a create creates the shipment); only its answer is lost.
        this.hangAfter.add(req.raw);
        return;
      }
      reply.hijack();
      this.hold(req.raw.socket);
      return;
    }

    if (spec.errorRate && this.random() < spec.errorRate) {
      st.stats.faultsInjected++;
      this.refuse(reply, 503, {}, respond, 'Service temporarily unavailable (sandbox fault injection)');
    }
  }

  /** Keeps a connection open without answering, then destroys it. */
  private hold(socket: Socket): void {
    if (this.closed || socket.destroyed) {
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => socket.destroy(), this.holdMs);
    timer.unref();
    this.held.add(socket);
    socket.once('close', () => {
      clearTimeout(timer);
      this.held.delete(socket);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleepers.add(wake);
    });
  }

  /** Destroys held connections and wakes delayed requests, so the server can close at once. */
  close(): void {
    this.closed = true;
    for (const wake of [...this.sleepers]) wake();
    for (const socket of [...this.held]) socket.destroy();
    this.held.clear();
  }
}
