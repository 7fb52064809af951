/**
 * Fault injection for the kill -9 tests, and nothing else: with `WAYGATE_TEST_CRASH_AT=<point>`
 * in its environment, the process kills itself with SIGKILL the first time it reaches that point
 * — no finally block, no flush, no shutdown hook runs, as when the machine loses power there.
 * Without the variable (every real deployment) a crash point is one string comparison.
 *
 * Points (docs/customs.md, "Crash guarantees"):
 * - `customs.outbox-written`: a declaration's message is in the transfer client's outbox, not
 *   yet recorded as sent.
 * - `customs.receipt-read`: a receipt file is claimed from the inbox, not yet applied.
 * - `customs.receipt-applied`: a receipt is applied and committed, its file not yet moved to done.
 */
export type CrashPoint = 'customs.outbox-written' | 'customs.receipt-read' | 'customs.receipt-applied';

export const CRASH_ENV = 'WAYGATE_TEST_CRASH_AT';

export function crashPoint(point: CrashPoint, env: NodeJS.ProcessEnv = process.env): void {
  if (env[CRASH_ENV] !== point) return;
  process.stderr.write(`waygate: ${CRASH_ENV}=${point} reached; killing this process with SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
  // The signal is delivered asynchronously: nothing else of this process may run meanwhile.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
}
