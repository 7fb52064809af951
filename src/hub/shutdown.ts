/**
 * The steps of a hub's shutdown, each bounded: a step that has not finished in its time is cut
 * off (when it has a way to be) or left behind, so close() always returns. Each step's duration
 * is kept for the closing log line: a slow shutdown says which step was slow.
 */
import type { Logger } from 'pino';

export class ShutdownSteps {
  readonly durations: Record<string, number> = {};
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /**
   * Runs `step` for at most `boundMs`. When the bound passes first, `cutOff` (if any) is called
   * and given the bound again to take effect; the step is then left behind, with a warning.
   * Returns whether the step finished. A step that fails is logged, not thrown: the steps after
   * it must still run.
   */
  async run(
    name: string,
    boundMs: number,
    step: () => Promise<unknown>,
    cutOff?: () => unknown,
  ): Promise<boolean> {
    const started = performance.now();
    const settled = step().then(
      () => true,
      (err: unknown) => {
        this.#log.error(
          { step: name, err: err instanceof Error ? err.message : String(err) },
          'shutdown step failed',
        );
        return true;
      },
    );
    let finished = await within(settled, boundMs);
    if (!finished && cutOff) {
      this.#log.warn({ step: name, boundMs }, 'shutdown step over its time; cutting it off');
      await Promise.resolve()
        .then(cutOff)
        .catch(() => undefined);
      finished = await within(settled, boundMs);
    }
    if (!finished) this.#log.error({ step: name, boundMs }, 'shutdown step did not finish; left behind');
    this.durations[name] = Math.round(performance.now() - started);
    return finished;
  }
}

/** Whether `p` settles within `ms` (its outcome, true, or false when the time ran out first). */
async function within(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms))));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How often a closing server looks for connections that have just gone idle. */
const IDLE_SWEEP_MS = 50;

/**
 * Closes an HTTP(S) server's listener through `close` (Fastify's, which runs its hooks) and
 * keeps closing connections as they go idle until it is done. Node closes the idle keep-alive
 * connections once, when close() is called; a connection whose request was still running then
 * stays open after its answer until the keep-alive timeout (72 s in Fastify), and the close with
 * it. Requests in flight still get their answers.
 */
export async function closeDraining(
  server: { closeIdleConnections(): void },
  close: () => Promise<unknown>,
): Promise<void> {
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  try {
    await close();
  } finally {
    clearInterval(sweep);
  }
}
