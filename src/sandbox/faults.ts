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
 * - `hostile`: the carrier turns attacker (issue 16): its answers carry attacker-chosen values
 *   (`set`: a field of the carrier's own dialect — a JSON key or an XML element — to a value,
 *   wherever it occurs), in a chosen encoding (`charset`), padded to a huge size (`padBytes`,
 *   streamed, with or without a Content-Length), or it answers 429 with attacker-chosen
 *   `Retry-After` / `X-RateLimit-Reset`. Bytes actually taken by the client are counted
 *   (`hostileBytesSent`), so a test can tell a client that stopped reading from one that did not.
 */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const CHANNELS = ['primary', 'standby'] as const;
export type Channel = (typeof CHANNELS)[number];
/** Path prefix of each channel: the standby channel mounts the same API under `/standby`. */
export const CHANNEL_PREFIX: Readonly<Record<Channel, string>> = { primary: '', standby: '/standby' };

export const isChannel = (v: unknown): v is Channel =>
  typeof v === 'string' && (CHANNELS as readonly string[]).includes(v);

export const HOSTILE_CHARSETS = ['utf8', 'utf8-bom', 'utf16le', 'latin1', 'invalid-utf8'] as const;
export type HostileCharset = (typeof HOSTILE_CHARSETS)[number];

/** What a hostile carrier does to its answers (see the module comment). */
export interface HostileSpec {
  /** Field of the carrier's dialect (JSON key or XML element name) → the value it answers. */
  set?: Record<string, string>;
  charset?: HostileCharset;
  /** Pad every answer to about this many bytes (whitespace after the document), streamed. */
  padBytes?: number;
  /** Announce the padded size in Content-Length (else the answer is chunked). */
  declareLength?: boolean;
  /** Answer every request 429 with this Retry-After (and/or X-RateLimit-Reset). */
  retryAfter?: string;
  rateLimitReset?: string;
}

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
  hostile?: HostileSpec;
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
  /** Answers rewritten by the hostile mode, and the bytes of them the client actually took. */
  hostileAnswers: number;
  hostileBytesSent: number;
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
    ...(faults?.stats(partner, channel) ?? {
      callsBeforeReset: 0,
      faultsInjected: 0,
      hostileAnswers: 0,
      hostileBytesSent: 0,
    }),
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
const MAX_PAD_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_HOSTILE_VALUE = 16 * 1024 * 1024;
const HOSTILE_KEYS = new Set(['set', 'charset', 'padBytes', 'declareLength', 'retryAfter', 'rateLimitReset']);
const SPEC_KEYS = new Set([
  'hostile',
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
  if (body.hostile !== undefined) spec.hostile = parseHostile(body.hostile);
  return spec;
}

function parseHostile(h: unknown): HostileSpec {
  if (!isPlainObject(h)) throw new FaultSpecError('hostile must be an object');
  const extra = Object.keys(h).filter((k) => !HOSTILE_KEYS.has(k));
  if (extra.length > 0) throw new FaultSpecError(`unknown field hostile.${extra.join(', hostile.')}`);
  const out: HostileSpec = {};
  if (h.set !== undefined) {
    if (!isPlainObject(h.set)) throw new FaultSpecError('hostile.set must be an object of field → string');
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(h.set)) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(k))
        throw new FaultSpecError(`hostile.set key ${k} is not a field name`);
      if (typeof v !== 'string' || v.length > MAX_HOSTILE_VALUE) {
        throw new FaultSpecError(
          `hostile.set.${k} must be a string of at most ${MAX_HOSTILE_VALUE} characters`,
        );
      }
      set[k] = v;
    }
    out.set = set;
  }
  if (h.charset !== undefined) {
    if (!(HOSTILE_CHARSETS as readonly unknown[]).includes(h.charset)) {
      throw new FaultSpecError(`hostile.charset must be one of ${HOSTILE_CHARSETS.join(', ')}`);
    }
    out.charset = h.charset as HostileCharset;
  }
  if (h.padBytes !== undefined) out.padBytes = integer(h.padBytes, 'hostile.padBytes', 0, MAX_PAD_BYTES);
  if (h.declareLength !== undefined) {
    if (typeof h.declareLength !== 'boolean')
      throw new FaultSpecError('hostile.declareLength must be true or false');
    out.declareLength = h.declareLength;
  }
  for (const key of ['retryAfter', 'rateLimitReset'] as const) {
    const v = h[key];
    if (v === undefined) continue;
    // A header value: printable ASCII, so the sandbox can send it at all.
    if (typeof v !== 'string' || v.length > 1000 || !/^[\x20-\x7e]*$/.test(v)) {
      throw new FaultSpecError(`hostile.${key} must be printable ASCII, at most 1000 characters`);
    }
    out[key] = v;
  }
  return out;
}

const escapeXml = (v: string) =>
  v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Sets every occurrence of each field, in a JSON document (any depth) or an XML one (element text). */
export function rewriteAnswer(body: string, contentType: string, set: Record<string, string>): string {
  if (/json/i.test(contentType)) {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      return body;
    }
    const walk = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(walk);
      if (isPlainObject(v)) {
        return Object.fromEntries(
          Object.entries(v).map(([k, x]) => [k, Object.hasOwn(set, k) ? set[k] : walk(x)]),
        );
      }
      return v;
    };
    return JSON.stringify(walk(doc));
  }
  let out = body;
  for (const [name, value] of Object.entries(set)) {
    const el = name.replace(/[.]/g, '\\.');
    out = out
      .replace(new RegExp(`<${el}>[^<]*</${el}>`, 'g'), () => `<${name}>${escapeXml(value)}</${name}>`)
      .replace(new RegExp(`<${el}/>`, 'g'), () => `<${name}>${escapeXml(value)}</${name}>`);
  }
  return out;
}

function encode(text: string, charset: HostileCharset | undefined): Buffer {
  switch (charset) {
    case 'utf8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'latin1':
      return Buffer.from(text, 'latin1');
    case 'invalid-utf8': {
      // Stray continuation and overlong bytes in the middle of the document.
      const b = Buffer.from(text, 'utf8');
      const mid = Math.floor(b.length / 2);
      return Buffer.concat([
        b.subarray(0, mid),
        Buffer.from([0xc0, 0x80, 0xff, 0xfe, 0xed, 0xa0, 0x80]),
        b.subarray(mid),
      ]);
    }
    default:
      return Buffer.from(text, 'utf8');
  }
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
        stats: { callsBeforeReset: 0, faultsInjected: 0, hostileAnswers: 0, hostileBytesSent: 0 },
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
    scope.addHook('onSend', (req, reply, payload, done) => {
      if (!this.hangAfter.has(req.raw)) {
        const hostile = this.state(partner, channel).spec?.hostile;
        if (hostile && !this.closed && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
          done(null, this.hostileAnswer(partner, channel, reply, String(payload), hostile));
          return;
        }
        done(null, payload);
        return;
      }
      // The carrier has done the work; its answer is never sent (done is not called) and the
      // connection is destroyed by hold().
      this.hangAfter.delete(req.raw);
      this.hold(req.raw.socket);
    });
  }

  /** The carrier's answer as the hostile spec rewrites it: values, encoding, size. */
  private hostileAnswer(
    partner: string,
    channel: Channel,
    reply: FastifyReply,
    body: string,
    h: HostileSpec,
  ): Buffer | Readable {
    const st = this.state(partner, channel);
    st.stats.hostileAnswers++;
    const contentType = String(reply.getHeader('content-type') ?? '');
    const doc = encode(h.set ? rewriteAnswer(body, contentType, h.set) : body, h.charset);
    const pad = Math.max(0, (h.padBytes ?? 0) - doc.length);
    if (pad === 0) {
      st.stats.hostileBytesSent += doc.length;
      void reply.header('content-length', String(doc.length));
      return doc;
    }
    if (h.declareLength) void reply.header('content-length', String(doc.length + pad));
    else void reply.removeHeader('content-length');
    // Generated as it is read: a 2 GB answer never sits in the sandbox's memory either.
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = pad;
    let first = true;
    return new Readable({
      read() {
        if (first) {
          first = false;
          st.stats.hostileBytesSent += doc.length;
          this.push(doc);
          return;
        }
        if (left <= 0) {
          this.push(null);
          return;
        }
        const n = Math.min(left, chunk.length);
        left -= n;
        st.stats.hostileBytesSent += n;
        this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      },
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

    const h = spec.hostile;
    if (h && (h.retryAfter !== undefined || h.rateLimitReset !== undefined)) {
      st.stats.faultsInjected++;
      this.refuse(
        reply,
        429,
        {
          ...(h.retryAfter !== undefined ? { 'retry-after': h.retryAfter } : {}),
          ...(h.rateLimitReset !== undefined ? { 'x-ratelimit-reset': h.rateLimitReset } : {}),
        },
        respond,
        'Rate limit exceeded (sandbox hostile mode)',
      );
      return;
    }

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
