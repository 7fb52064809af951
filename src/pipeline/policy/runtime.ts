/**
 * A partner at run time: its channels (primary + standbys), each with a circuit breaker and a
 * 429 gate, the partner's suspension, call windows, rate limit and concurrency limit. Every
 * outbound call goes through `call()`, which either makes the call on the best channel or
 * tells the queue when to come back — without spending one of the job's attempts, because a
 * closed window or a partner's "slow down" is not a failure.
 */
import { PartnerCallError } from '../../connectors/errors.js';
import { nextOpening, windowOpen } from './call-window.js';
import { partnerWaitMs, retryDelayMs, type PartnerPolicy } from './policy.js';

/** A park shorter than this is not worth persisting: a restart outlasts it anyway. */
export const PERSIST_PARK_AFTER_MS = 60_000;

/** Where a partner's gates stand: what is persisted so a park survives a restart. */
export interface ParkState {
  /** The partner is suspended until then (0: not suspended). */
  suspendedUntil: number;
  /** Per channel name: no call before then (a 429's wait). */
  channels: Record<string, number>;
}

/** What a partner's runtime tells the hub (alerts, audit, persistence). */
export interface PartnerEvents {
  /** The partner asked to wait longer than its policy allows; the wait was capped. */
  waitCapped(e: { partnerId: string; channel: string; askedMs: number; waitMs: number; atMs: number }): void;
  /** The partner's gates moved to a park worth keeping across a restart. */
  parked(e: { partnerId: string; state: ParkState; reason: string; atMs: number }): void;
}

/** The job could not run now for a reason that is not its fault; run it again at `untilMs`. */
export class DeferredError extends Error {
  constructor(
    readonly untilMs: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'DeferredError';
  }
}

/** A failed attempt, to be retried at `runAtMs` unless the job has used `maxAttempts`. */
export class ScheduledRetryError extends Error {
  constructor(
    readonly runAtMs: number,
    readonly maxAttempts: number,
    readonly failure: PartnerCallError,
  ) {
    super(failure.message);
    this.name = 'ScheduledRetryError';
  }
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface ProbeResult {
  at: number;
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** Mutable health of one channel; kept across policy reloads while its name and URL stay. */
export class ChannelHealth {
  consecutiveFailures = 0;
  firstFailureAt: number | undefined;
  openUntil = 0;
  open = false;
  /** No call before this time: the partner answered 429 and named its reset. */
  resetAt = 0;
  calls = 0;
  failures = 0;
  lastProbe: ProbeResult | undefined;
  lastSwitchAt: number | undefined;

  state(nowMs: number): BreakerState {
    if (!this.open) return 'closed';
    return nowMs >= this.openUntil ? 'half_open' : 'open';
  }
}

export interface Channel<C> {
  name: string;
  url: string;
  connector: C;
  health: ChannelHealth;
}

export interface ChannelView {
  name: string;
  url: string;
  state: BreakerState;
  active: boolean;
  consecutiveFailures: number;
  calls: number;
  failures: number;
  rateLimitedUntil: string | null;
  lastProbe: (Omit<ProbeResult, 'at'> & { at: string }) | null;
}

export class PartnerRuntime<C> {
  readonly id: string;
  readonly policy: PartnerPolicy;
  readonly channels: readonly Channel<C>[];
  /** Suspension, rate-limit tokens and in-flight count, carried over on policy reload. */
  readonly shared: PartnerShared;
  readonly #events: PartnerEvents | undefined;

  constructor(
    id: string,
    policy: PartnerPolicy,
    channels: readonly Channel<C>[],
    shared: PartnerShared,
    events?: PartnerEvents,
  ) {
    if (channels.length === 0) throw new Error(`partner ${id} has no channel`);
    this.id = id;
    this.policy = policy;
    this.channels = channels;
    this.shared = shared;
    this.#events = events;
  }

  /**
   * Gates a channel after a 429 for the wait the partner asked, capped by policy; a request
   * above the cap is reported (alert + audit by the hub). Returns the wait applied.
   */
  #rateLimited(ch: Channel<C>, err: PartnerCallError, now: number): number {
    const { waitMs, capped } = partnerWaitMs(this.policy, err.retryAfterMs);
    if (capped) {
      this.shared.lastWaitCapped = { channel: ch.name, askedMs: err.retryAfterMs ?? 0, waitMs, atMs: now };
      this.#events?.waitCapped({
        partnerId: this.id,
        channel: ch.name,
        askedMs: err.retryAfterMs ?? 0,
        waitMs,
        atMs: now,
      });
    }
    ch.health.resetAt = Math.max(ch.health.resetAt, now + waitMs);
    return waitMs;
  }

  /** Reports the gates as a park when one of them is long enough to outlive a restart. */
  #maybePersist(now: number, reason: string): void {
    const state = this.parkState();
    const longest = Math.max(state.suspendedUntil, ...Object.values(state.channels));
    if (longest - now < PERSIST_PARK_AFTER_MS) return;
    this.shared.parkedAt = now;
    this.#events?.parked({ partnerId: this.id, state, reason, atMs: now });
  }

  /** The partner's gates as persisted (suspension and each channel's 429 reset time). */
  parkState(): ParkState {
    return {
      suspendedUntil: this.shared.suspendedUntil,
      channels: Object.fromEntries(this.channels.map((c) => [c.name, c.health.resetAt])),
    };
  }

  /**
   * Applies a park read back from the store (a restart, another node). Every time is capped
   * again by the policy in force, so a park written under a longer policy cannot outlast it.
   */
  applyPark(state: ParkState, parkedAtMs: number, nowMs = Date.now()): void {
    const o = this.policy.on429;
    if (state.suspendedUntil > nowMs) {
      this.shared.suspendedUntil = Math.max(
        this.shared.suspendedUntil,
        Math.min(state.suspendedUntil, nowMs + o.suspendForMs),
      );
    }
    for (const ch of this.channels) {
      const until = state.channels[ch.name] ?? 0;
      if (until > nowMs)
        ch.health.resetAt = Math.max(ch.health.resetAt, Math.min(until, nowMs + o.maxWaitMs));
    }
    this.shared.parkedAt = Math.max(this.shared.parkedAt, parkedAtMs);
  }

  /** An operator's release: suspension and every 429 gate cleared; true when any was set. */
  release(nowMs = Date.now()): boolean {
    const parked = this.shared.suspendedUntil > nowMs || this.channels.some((c) => c.health.resetAt > nowMs);
    this.shared.suspendedUntil = 0;
    this.shared.consecutive429 = 0;
    this.shared.parkedAt = 0;
    for (const ch of this.channels) ch.health.resetAt = 0;
    return parked;
  }

  get primary(): C {
    return this.channels[0]!.connector;
  }

  get suspendedUntil(): number {
    return this.shared.suspendedUntil;
  }

  /** The channel calls go to now, or when the next one can be used. */
  pick(nowMs: number): { channel: Channel<C> } | { untilMs: number; reason: string } {
    for (const ch of this.channels) {
      if (ch.health.resetAt > nowMs) continue;
      if (ch.health.state(nowMs) !== 'open') return { channel: ch };
    }
    const until = Math.min(
      ...this.channels.map((c) => Math.max(c.health.resetAt, c.health.open ? c.health.openUntil : 0)),
    );
    return {
      untilMs: Math.max(until, nowMs + 10),
      reason: `every channel of ${this.id} is open or rate-limited`,
    };
  }

  async call<T>(fn: (connector: C) => Promise<T>, attempt: number, nowMs = Date.now()): Promise<T> {
    const p = this.policy;
    const shared = this.shared;
    if (shared.suspendedUntil > nowMs) {
      throw new DeferredError(shared.suspendedUntil, `${this.id} is suspended after repeated 429s`);
    }
    if (!windowOpen(p.callWindows, nowMs)) {
      throw new DeferredError(nextOpening(p.callWindows, nowMs), `${this.id} is outside its call window`);
    }
    // Wait in memory for a free slot (the job keeps its lease); only when as many jobs already
    // wait as may run does the job go back to the queue, so a slow partner cannot take every worker.
    if (!(await shared.acquire(p.concurrency))) {
      throw new DeferredError(
        Date.now() + 250,
        `${this.id} has ${shared.inFlight} calls in flight (limit ${p.concurrency})`,
      );
    }
    let released = false;
    const release = () => {
      if (!released) shared.release();
      released = true;
    };
    const picked = this.pick(nowMs);
    if (!('channel' in picked)) {
      release();
      throw new DeferredError(picked.untilMs, picked.reason);
    }
    if (p.rateLimit) {
      const wait = shared.takeToken(p.rateLimit.rps, p.rateLimit.burst, nowMs);
      if (wait > 0) {
        release();
        throw new DeferredError(nowMs + wait, `${this.id} rate limit ${p.rateLimit.rps}/s`);
      }
    }
    const ch = picked.channel;
    const h = ch.health;
    h.calls++;
    try {
      const result = await fn(ch.connector);
      this.#succeeded(ch);
      return result;
    } catch (err) {
      if (!(err instanceof PartnerCallError) || !err.retryable) throw err;
      const now = Date.now();
      if (err.code === 'partner_rate_limited') {
        this.#rateLimited(ch, err, now);
        shared.consecutive429++;
        let reason = `${this.id} answered 429 on ${ch.name}`;
        if (shared.consecutive429 >= p.on429.suspendAfter) {
          shared.suspendedUntil = now + p.on429.suspendForMs;
          shared.consecutive429 = 0;
          reason = `${this.id} suspended after ${p.on429.suspendAfter} 429s in a row`;
        }
        this.#maybePersist(now, reason);
        const next = this.pick(now);
        throw new DeferredError(
          'channel' in next ? now : Math.max(next.untilMs, shared.suspendedUntil),
          err.message,
        );
      }
      this.#failed(ch, now);
      throw new ScheduledRetryError(now + retryDelayMs(p, attempt), p.retry.maxAttempts, err);
    } finally {
      release();
    }
  }

  #succeeded(ch: Channel<C>): void {
    const h = ch.health;
    h.consecutiveFailures = 0;
    h.firstFailureAt = undefined;
    if (h.open) {
      h.open = false;
      h.lastSwitchAt = Date.now();
    }
    this.shared.consecutive429 = 0;
  }

  #failed(ch: Channel<C>, nowMs: number): void {
    const h = ch.health;
    const b = this.policy.circuitBreaker;
    h.failures++;
    h.consecutiveFailures++;
    h.firstFailureAt ??= nowMs;
    const failingTooLong = nowMs - h.firstFailureAt >= b.failoverAfterMs;
    if (h.consecutiveFailures >= b.failureThreshold || failingTooLong || h.open) {
      if (!h.open) h.lastSwitchAt = nowMs;
      h.open = true;
      h.openUntil = nowMs + b.openForMs;
    }
  }

  /**
   * Probes one channel with the same manners as real traffic: never during a suspension,
   * outside a call window or before a 429 reset, and a 429 answer is a gate, not a failure.
   */
  async probe(
    ch: Channel<C>,
    probeFn: (connector: C) => Promise<void>,
    nowMs = Date.now(),
  ): Promise<ProbeResult | undefined> {
    if (
      this.shared.suspendedUntil > nowMs ||
      ch.health.resetAt > nowMs ||
      !windowOpen(this.policy.callWindows, nowMs)
    ) {
      return undefined;
    }
    // A probe counts against the partner's concurrency like any call, and never queues for it:
    // when traffic is flowing, that traffic already tells us the channel's health.
    if (!this.shared.tryAcquire(this.policy.concurrency)) return undefined;
    try {
      await probeFn(ch.connector);
      const result = { at: nowMs, ok: true, latencyMs: Date.now() - nowMs };
      this.recordProbe(ch, result);
      return result;
    } catch (err) {
      if (err instanceof PartnerCallError && err.code === 'partner_rate_limited') {
        const now = Date.now();
        this.#rateLimited(ch, err, now);
        this.#maybePersist(now, `${this.id} answered a probe with 429 on ${ch.name}`);
        return undefined;
      }
      const result = { at: nowMs, ok: false, latencyMs: Date.now() - nowMs, error: (err as Error).message };
      this.recordProbe(ch, result);
      return result;
    } finally {
      this.shared.release();
    }
  }

  /** Records a probe; a healthy probe closes an open channel so traffic moves back to it. */
  recordProbe(ch: Channel<C>, result: ProbeResult): void {
    ch.health.lastProbe = result;
    if (result.ok) {
      if (ch.health.open && result.at >= ch.health.openUntil) this.#succeeded(ch);
    } else {
      this.#failed(ch, result.at);
    }
  }

  view(nowMs = Date.now()): {
    id: string;
    tier: string;
    suspendedUntil: string | null;
    channels: ChannelView[];
  } {
    const picked = this.pick(nowMs);
    const active = 'channel' in picked ? picked.channel.name : undefined;
    return {
      id: this.id,
      tier: this.policy.tier,
      suspendedUntil:
        this.shared.suspendedUntil > nowMs ? new Date(this.shared.suspendedUntil).toISOString() : null,
      channels: this.channels.map((c) => ({
        name: c.name,
        url: c.url,
        state: c.health.state(nowMs),
        active: c.name === active,
        consecutiveFailures: c.health.consecutiveFailures,
        calls: c.health.calls,
        failures: c.health.failures,
        rateLimitedUntil: c.health.resetAt > nowMs ? new Date(c.health.resetAt).toISOString() : null,
        lastProbe: c.health.lastProbe
          ? { ...c.health.lastProbe, at: new Date(c.health.lastProbe.at).toISOString() }
          : null,
      })),
    };
  }
}

/** Partner-wide state shared by all channels and kept across policy reloads. */
export class PartnerShared {
  suspendedUntil = 0;
  consecutive429 = 0;
  /** When the gates last became a persisted park (a release made after it clears them). */
  parkedAt = 0;
  /** The last wait a partner asked for beyond the policy's cap. */
  lastWaitCapped: { channel: string; askedMs: number; waitMs: number; atMs: number } | undefined;
  inFlight = 0;
  readonly #waiters: Array<() => void> = [];

  /**
   * Takes a call slot, waiting for one while few others wait (a quarter of `limit`); false when
   * more wait, so a stalled partner holds at most limit × 1.25 workers of the outbound lane.
   */
  async acquire(limit: number): Promise<boolean> {
    if (this.inFlight < limit && this.#waiters.length === 0) {
      this.inFlight++;
      return true;
    }
    if (this.#waiters.length >= Math.max(1, Math.floor(limit / 4))) return false;
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return true;
  }

  /** Takes a free slot without waiting; false when none is free or others wait. */
  tryAcquire(limit: number): boolean {
    if (this.inFlight >= limit || this.#waiters.length > 0) return false;
    this.inFlight++;
    return true;
  }

  release(): void {
    const next = this.#waiters.shift();
    // The slot passes straight to the next waiter, so inFlight stays as it is.
    if (next) next();
    else this.inFlight--;
  }
  #tokens = Number.NaN;
  #refilledAt = 0;

  /** Token bucket: 0 when a call may go now, else milliseconds until a token is free. */
  takeToken(rps: number, burst: number, nowMs: number): number {
    if (Number.isNaN(this.#tokens)) {
      this.#tokens = burst;
      this.#refilledAt = nowMs;
    }
    this.#tokens = Math.min(burst, this.#tokens + ((nowMs - this.#refilledAt) / 1000) * rps);
    this.#refilledAt = nowMs;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / rps) * 1000);
  }
}
