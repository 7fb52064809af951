/**
 * A partner's effective policy: what the YAML says, filled in from its tier's defaults
 * [004-1]: A (SLA ≥ 99.9 %, probe every 30 s, alert within 5 min), B (SLA ≥ 99.5 %, probe every
 * 5 min, alert within 30 min), C (probe hourly; degrade to file exchange when down).
 */
import type { Tier } from '../../connectors/types.js';
import type { CallWindowSpec } from './schema.js';

export interface PartnerPolicy {
  tier: Tier;
  timeoutMs: number;
  retry: { backoffMs: number[]; maxAttempts: number; jitter: number };
  rateLimit?: { rps: number; burst: number };
  callWindows: CallWindowSpec[];
  /**
   * `maxWaitMs` caps any wait a partner asks for (Retry-After, X-RateLimit-Reset): never above
   * `suspendForMs`, the suspension of [004-2.2], so one answer cannot park a partner for longer
   * than the policy itself would.
   */
  on429: { defaultWaitMs: number; suspendAfter: number; suspendForMs: number; maxWaitMs: number };
  circuitBreaker: { failureThreshold: number; failoverAfterMs: number; openForMs: number };
  probeIntervalMs: number;
  concurrency: number;
  alerts: { successRateBelow: number; p99AboveMs: number; alertWithinMs: number };
}

/**
 * The longest any partner-supplied wait is honoured where no partner policy applies: the 2 h
 * suspension of [004-2.2].
 */
export const MAX_PARTNER_WAIT_MS = 2 * 3_600_000;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value);
  if (!m) throw new RangeError(`not a duration: ${value}`);
  return Math.round(Number(m[1]) * (UNITS[m[2]!] ?? 1));
}

export const TIER_DEFAULTS: Record<Tier, PartnerPolicy> = {
  A: {
    tier: 'A',
    timeoutMs: 10_000,
    retry: { backoffMs: [1000, 2000, 4000, 8000], maxAttempts: 6, jitter: 0.2 },
    callWindows: [],
    on429: { defaultWaitMs: 1000, suspendAfter: 10, suspendForMs: 2 * 3_600_000, maxWaitMs: 2 * 3_600_000 },
    circuitBreaker: { failureThreshold: 5, failoverAfterMs: 5 * 60_000, openForMs: 30_000 },
    probeIntervalMs: 30_000,
    concurrency: 32,
    alerts: { successRateBelow: 0.999, p99AboveMs: 2000, alertWithinMs: 5 * 60_000 },
  },
  B: {
    tier: 'B',
    timeoutMs: 15_000,
    retry: { backoffMs: [1000, 2000, 4000, 8000], maxAttempts: 6, jitter: 0.2 },
    callWindows: [],
    on429: { defaultWaitMs: 2000, suspendAfter: 10, suspendForMs: 2 * 3_600_000, maxWaitMs: 2 * 3_600_000 },
    circuitBreaker: { failureThreshold: 5, failoverAfterMs: 5 * 60_000, openForMs: 60_000 },
    probeIntervalMs: 5 * 60_000,
    concurrency: 16,
    alerts: { successRateBelow: 0.995, p99AboveMs: 5000, alertWithinMs: 30 * 60_000 },
  },
  C: {
    tier: 'C',
    timeoutMs: 30_000,
    retry: { backoffMs: [5000, 30_000, 120_000, 600_000], maxAttempts: 8, jitter: 0.2 },
    callWindows: [],
    on429: { defaultWaitMs: 5000, suspendAfter: 5, suspendForMs: 2 * 3_600_000, maxWaitMs: 2 * 3_600_000 },
    circuitBreaker: { failureThreshold: 3, failoverAfterMs: 15 * 60_000, openForMs: 5 * 60_000 },
    probeIntervalMs: 3_600_000,
    concurrency: 4,
    alerts: { successRateBelow: 0.99, p99AboveMs: 10_000, alertWithinMs: 4 * 3_600_000 },
  },
};

/** The YAML fields of one partner's policy (validated by the schema beforehand). */
export interface PolicyInput {
  tier?: Tier;
  timeoutMs?: number;
  retry?: { backoff?: Array<string | number>; maxAttempts?: number; jitter?: number };
  rateLimit?: { rps: number; burst?: number };
  callWindows?: CallWindowSpec[];
  on429?: {
    defaultWait?: string | number;
    suspendAfter?: number;
    suspendFor?: string | number;
    maxWait?: string | number;
  };
  circuitBreaker?: { failureThreshold?: number; failoverAfter?: string | number; openFor?: string | number };
  probe?: { interval: string | number };
  concurrency?: number;
  alerts?: { successRateBelow?: number; p99AboveMs?: number; alertWithin?: string | number };
}

export function resolvePolicy(input: PolicyInput, fallbackTier: Tier): PartnerPolicy {
  const d = TIER_DEFAULTS[input.tier ?? fallbackTier];
  const dur = (v: string | number | undefined, def: number) => (v === undefined ? def : parseDuration(v));
  return {
    tier: d.tier,
    timeoutMs: input.timeoutMs ?? d.timeoutMs,
    retry: {
      backoffMs: input.retry?.backoff?.map(parseDuration) ?? d.retry.backoffMs,
      maxAttempts: input.retry?.maxAttempts ?? d.retry.maxAttempts,
      jitter: input.retry?.jitter ?? d.retry.jitter,
    },
    ...(input.rateLimit
      ? {
          rateLimit: {
            rps: input.rateLimit.rps,
            burst: input.rateLimit.burst ?? Math.max(1, Math.ceil(input.rateLimit.rps)),
          },
        }
      : {}),
    callWindows: input.callWindows ?? d.callWindows,
    on429: on429Of(input, d),
    circuitBreaker: {
      failureThreshold: input.circuitBreaker?.failureThreshold ?? d.circuitBreaker.failureThreshold,
      failoverAfterMs: dur(input.circuitBreaker?.failoverAfter, d.circuitBreaker.failoverAfterMs),
      openForMs: dur(input.circuitBreaker?.openFor, d.circuitBreaker.openForMs),
    },
    probeIntervalMs: dur(input.probe?.interval, d.probeIntervalMs),
    concurrency: input.concurrency ?? d.concurrency,
    alerts: {
      successRateBelow: input.alerts?.successRateBelow ?? d.alerts.successRateBelow,
      p99AboveMs: input.alerts?.p99AboveMs ?? d.alerts.p99AboveMs,
      alertWithinMs: dur(input.alerts?.alertWithin, d.alerts.alertWithinMs),
    },
  };
}

function on429Of(input: PolicyInput, d: PartnerPolicy): PartnerPolicy['on429'] {
  const dur = (v: string | number | undefined, def: number) => (v === undefined ? def : parseDuration(v));
  const suspendForMs = dur(input.on429?.suspendFor, d.on429.suspendForMs);
  // The suspension is the ceiling: a cap above it (or none given) falls back to it.
  const maxWaitMs = Math.min(dur(input.on429?.maxWait, suspendForMs), suspendForMs);
  return {
    defaultWaitMs: Math.min(dur(input.on429?.defaultWait, d.on429.defaultWaitMs), maxWaitMs),
    suspendAfter: input.on429?.suspendAfter ?? d.on429.suspendAfter,
    suspendForMs,
    maxWaitMs,
  };
}

/**
 * The wait a partner's 429 imposes: what it asked (Retry-After / X-RateLimit-Reset, any form),
 * or the policy's default when it named none, never more than `on429.maxWaitMs`. `capped` says
 * the partner asked for more than the policy allows (raised as an alert by the caller).
 */
export function partnerWaitMs(
  policy: PartnerPolicy,
  askedMs: number | undefined,
): { waitMs: number; capped: boolean } {
  const cap = policy.on429.maxWaitMs;
  if (askedMs === undefined || Number.isNaN(askedMs))
    return { waitMs: Math.min(policy.on429.defaultWaitMs, cap), capped: false };
  const asked = Math.max(0, askedMs);
  return asked > cap ? { waitMs: cap, capped: true } : { waitMs: asked, capped: false };
}

/** Delay before attempt `attempt + 1`, from the schedule (last step repeats), with jitter. */
export function retryDelayMs(
  policy: PartnerPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const steps = policy.retry.backoffMs;
  const base = steps[Math.min(Math.max(attempt, 1), steps.length) - 1] ?? 1000;
  const spread = base * policy.retry.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}
