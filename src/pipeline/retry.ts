/** When to try a failed job again: exponential backoff with full jitter, capped. */

export interface RetrySchedule {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetrySchedule = { baseMs: 500, capMs: 30_000, maxAttempts: 10 };

export function backoffMs(
  attempt: number,
  schedule: RetrySchedule,
  random: () => number = Math.random,
): number {
  const exp = Math.min(schedule.capMs, schedule.baseMs * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half jittered: spreads a burst of retries without ever retrying instantly.
  return Math.round(exp / 2 + random() * (exp / 2));
}
