import { describe, expect, it } from 'vitest';
import { PartnerCallError } from '../../connectors/errors.js';
import { nextOpening, windowOpen } from './call-window.js';
import { parseDuration, resolvePolicy, retryDelayMs } from './policy.js';
import {
  ChannelHealth,
  DeferredError,
  PartnerRuntime,
  PartnerShared,
  ScheduledRetryError,
} from './runtime.js';

const weekdays = [
  {
    days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const,
    from: '09:00',
    to: '21:00',
    timezone: 'Asia/Shanghai',
  },
].map((w) => ({
  ...w,
  days: [...w.days],
}));

describe('call windows', () => {
  it('is open on a weekday at 10:00 Shanghai time and closed at 22:00 and on Saturday', () => {
    expect(windowOpen(weekdays, Date.parse('2026-11-23T02:00:00Z'))).toBe(true); // Mon 10:00 +08
    expect(windowOpen(weekdays, Date.parse('2026-11-23T14:00:00Z'))).toBe(false); // Mon 22:00 +08
    expect(windowOpen(weekdays, Date.parse('2026-11-28T02:00:00Z'))).toBe(false); // Sat
  });

  it('finds the next opening: Friday night waits for Monday 09:00 local', () => {
    const fridayNight = Date.parse('2026-11-27T14:30:00Z'); // Fri 22:30 +08
    expect(new Date(nextOpening(weekdays, fridayNight)).toISOString()).toBe('2026-11-30T01:00:00.000Z');
  });

  it('handles windows that cross midnight', () => {
    const night = [{ days: ['mon' as const], from: '22:00', to: '06:00' }];
    expect(windowOpen(night, Date.parse('2026-11-23T23:00:00Z'))).toBe(true); // Mon 23:00 UTC
    expect(windowOpen(night, Date.parse('2026-11-24T05:00:00Z'))).toBe(true); // Tue 05:00, Monday's window
    expect(windowOpen(night, Date.parse('2026-11-24T07:00:00Z'))).toBe(false);
  });
});

describe('policy resolution', () => {
  it('fills what the file leaves out from the tier defaults of [004-1]', () => {
    expect(resolvePolicy({ tier: 'A' }, 'B').probeIntervalMs).toBe(30_000);
    expect(resolvePolicy({}, 'B').probeIntervalMs).toBe(300_000);
    expect(resolvePolicy({ tier: 'C' }, 'A').probeIntervalMs).toBe(3_600_000);
    const p = resolvePolicy({ tier: 'A', retry: { backoff: ['1s', '2s', '4s', '8s'], maxAttempts: 6 } }, 'A');
    expect(p.retry).toMatchObject({ backoffMs: [1000, 2000, 4000, 8000], maxAttempts: 6 });
  });

  it('parses durations and follows the backoff schedule, repeating its last step', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2h')).toBe(7_200_000);
    const p = resolvePolicy({ retry: { backoff: ['1s', '2s', '4s'], jitter: 0 } }, 'A');
    expect([1, 2, 3, 4, 9].map((a) => retryDelayMs(p, a))).toEqual([1000, 2000, 4000, 4000, 4000]);
  });
});

function runtime(policyInput: Parameters<typeof resolvePolicy>[0] = {}) {
  const policy = resolvePolicy({ tier: 'A', retry: { jitter: 0 }, ...policyInput }, 'A');
  const mk = (name: string) => ({
    name,
    url: `http://${name}`,
    connector: name,
    health: new ChannelHealth(),
  });
  return new PartnerRuntime('carrier-x', policy, [mk('primary'), mk('standby')], new PartnerShared());
}

const fail = (code: 'partner_server_error' | 'partner_rate_limited', retryAfterMs?: number) =>
  new PartnerCallError({
    partnerId: 'carrier-x',
    code,
    retryable: true,
    message: code,
    ...(retryAfterMs ? { retryAfterMs } : {}),
  });

describe('partner runtime', () => {
  it('schedules a retry on a 5xx and fails over to the standby after the threshold, then back after a healthy probe', async () => {
    const rt = runtime({ circuitBreaker: { failureThreshold: 3, openFor: 1000 } });
    for (let i = 1; i <= 3; i++) {
      await expect(
        rt.call(async () => Promise.reject(fail('partner_server_error')), i),
      ).rejects.toBeInstanceOf(ScheduledRetryError);
    }
    expect(await rt.call(async (c) => c, 1)).toBe('standby');
    const primary = rt.channels[0]!;
    rt.recordProbe(primary, { at: Date.now() + 1001, ok: true, latencyMs: 3 });
    expect(await rt.call(async (c) => c, 1)).toBe('primary');
  });

  it('makes no call before a 429 reset time and defers instead of spending an attempt', async () => {
    const rt = runtime();
    const single = new PartnerRuntime('carrier-x', rt.policy, [rt.channels[0]!], new PartnerShared());
    await expect(
      single.call(async () => Promise.reject(fail('partner_rate_limited', 5000)), 1),
    ).rejects.toBeInstanceOf(DeferredError);
    let called = false;
    const deferred = await single
      .call(async () => {
        called = true;
      }, 1)
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(deferred).toBeInstanceOf(DeferredError);
    expect((deferred as DeferredError).untilMs).toBeGreaterThanOrEqual(Date.now() + 4000);
  });

  it('suspends the partner after repeated 429s', async () => {
    const rt = runtime({ on429: { suspendAfter: 2, suspendFor: '2h', defaultWait: '1ms' } });
    for (let i = 0; i < 2; i++) {
      await rt.call(async () => Promise.reject(fail('partner_rate_limited', 1)), 1).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(rt.suspendedUntil).toBeGreaterThan(Date.now() + 7_000_000);
    await expect(rt.call(async () => 'x', 1)).rejects.toThrow(/suspended/);
  });

  it('defers calls outside the call window to its next opening', async () => {
    const rt = runtime({ callWindows: [{ days: ['mon'], from: '09:00', to: '10:00' }] });
    const saturdayNoon = Date.parse('2026-11-28T12:00:00Z');
    const err = await rt.call(async () => 'x', 1, saturdayNoon).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeferredError);
    expect(new Date((err as DeferredError).untilMs).toISOString()).toBe('2026-11-30T09:00:00.000Z');
  });

  it('queues calls beyond the concurrency limit in memory, sends back to the queue beyond that, and holds to the rate limit', async () => {
    const rt = runtime({ rateLimit: { rps: 1, burst: 2 }, concurrency: 1 });
    const now = Date.now();
    let release = () => undefined as void;
    const slow = rt.call(() => new Promise<void>((r) => (release = r)), 1, now);
    const waiting = rt.call(async () => 'second', 1, now);
    await expect(rt.call(async () => 'x', 1, now)).rejects.toThrow(/in flight/);
    release();
    await slow;
    await expect(waiting).resolves.toBe('second');
    await expect(rt.call(async () => 'x', 1, now)).rejects.toThrow(/rate limit/);
  });
});
