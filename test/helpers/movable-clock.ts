/**
 * A process clock that runs at the real rate and can be moved forward, for tests that must meet
 * a wall-clock boundary (a call window opens at a whole minute) without waiting for it. Only
 * `Date` is replaced — timers stay real — and it is re-synchronised to real time plus the offset
 * every few milliseconds, so it never drifts behind as a fixed-step fake clock does when the
 * event loop is busy. Moving it forward is what a process paused for that long would see.
 */
import { vi } from 'vitest';

export interface MovableClock {
  /** Moves the clock forward to `ms` (never back); it runs on from there. */
  moveTo(ms: number): void;
  /** The real clock again. */
  restore(): void;
}

export function movableClock(): MovableClock {
  let offset = 0;
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  const sync = setInterval(() => vi.setSystemTime(vi.getRealSystemTime() + offset), 5);
  sync.unref();
  return {
    moveTo(ms) {
      const next = ms - vi.getRealSystemTime();
      if (next < offset) throw new Error('a movable clock only moves forward');
      offset = next;
      vi.setSystemTime(ms);
    },
    restore() {
      clearInterval(sync);
      vi.useRealTimers();
    },
  };
}
