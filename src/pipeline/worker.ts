/**
 * Workers: one pool per lane leases due jobs of that lane's kinds (from the job registry) in
 * batches and runs them with bounded concurrency. A leased job whose payload misses its kind's
 * schema is dead-lettered with the reason, never run. A handler decides the job's fate; errors
 * are classified here so every handler gets the same retry semantics: retryable partner errors
 * and unexpected errors are retried on the schedule (a partner's own Retry-After wins when it is
 * later), non-retryable partner errors go to the dead-letter queue.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { PartnerCallError } from '../connectors/errors.js';
import { WaygateError } from '../domain/index.js';
import type { Job, JobQueue } from '../store/queue.js';
import { laneRunners, type JobDeps, type Lane } from './jobs/index.js';
import type { JobRunner, PreparedJob } from './jobs/kind.js';
import { backoffMs, DEFAULT_RETRY, type RetrySchedule } from './retry.js';
import { DeferredError, ScheduledRetryError } from './policy/runtime.js';
import { MAX_PARTNER_WAIT_MS } from './policy/policy.js';
import { errorText, recordJobError } from './job-errors.js';

export { errorText } from './job-errors.js';

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  idlePollMs: number;
  retry: RetrySchedule;
  /** Told of every job's fate (metrics, alert statistics); synchronous, cheap, never throws. */
  observe?: (o: JobObservation) => void;
}

/**
 * One run of a job as metrics see it: `ok`, `retry` (failed, will run again), `dead` (handed to
 * the dead letters) or `deferred` (never reached the partner: window, 429 gate, saturation).
 * `code` is a catalogue or partner-error code, never a partner's own text.
 */
export interface JobObservation {
  kind: string;
  partnerId: string | null;
  outcome: 'ok' | 'retry' | 'dead' | 'deferred';
  code: string;
  durationMs: number;
}

/** The stable code of a failure, for metrics: never free text. */
export function failureCode(err: unknown): string {
  const cause = err instanceof ScheduledRetryError ? err.failure : err;
  if (cause instanceof PartnerCallError) return cause.code;
  if (cause instanceof WaygateError) return cause.code;
  return 'unexpected';
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  concurrency: 32,
  leaseMs: 30_000,
  idlePollMs: 100,
  retry: DEFAULT_RETRY,
};

/** What a stop left behind: jobs still running when the grace period ended. */
export interface StopResult {
  /** Jobs left running (their leases hold them; any node re-runs them once a lease runs out). */
  leftRunning: number;
}

export class WorkerPool {
  readonly owner = `node-${randomUUID().slice(0, 8)}`;
  readonly lane: Lane;
  readonly #queue: JobQueue;
  readonly #runners: ReadonlyMap<string, JobRunner>;
  readonly #kinds: readonly string[];
  readonly #opts: WorkerOptions;
  readonly #log: Logger;
  readonly #wake = new EventEmitter();
  #inFlight = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  /** Set when stop() gave up waiting: late outcomes of the jobs left running are not recorded. */
  #abandoned = false;
  #timer: NodeJS.Timeout | undefined;
  /** Told when the last in-flight job ends (stop waits on it). */
  readonly #idle = new EventEmitter();

  /** A pool running the registered kinds of `lane`. */
  constructor(lane: Lane, deps: JobDeps, log: Logger, opts: Partial<WorkerOptions> = {}) {
    this.lane = lane;
    this.#queue = deps.queue;
    const runners = laneRunners(lane, deps);
    this.#runners = new Map(runners.map((r) => [r.kind, r]));
    this.#kinds = runners.map((r) => r.kind);
    this.#log = log;
    this.#opts = { ...DEFAULT_WORKER_OPTIONS, ...opts };
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Wakes the lease loop at once (after an enqueue in this process). */
  notify(): void {
    this.#wake.emit('wake');
  }

  /**
   * Stops leasing and waits for the jobs in flight, at most `graceMs`. A job still running then
   * (a partner that never answers, a write stuck behind a lock) is not waited for: it keeps its
   * lease, so once the lease runs out any node runs it again — the same as after a crash, which
   * every job kind is built for (idempotent partner calls). Whatever such a job does later is
   * its own business; the pool records nothing more for it.
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<StopResult> {
    this.#running = false;
    this.notify();
    const drained = (async () => {
      await this.#loop;
      while (this.#inFlight > 0) await new Promise((r) => this.#idle.once('idle', r));
    })();
    if (!Number.isFinite(graceMs)) {
      await drained;
      return { leftRunning: 0 };
    }
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, graceMs))));
    await Promise.race([drained, graceOver]);
    clearTimeout(timer);
    const leftRunning = this.#inFlight;
    if (leftRunning > 0) this.#abandoned = true;
    return { leftRunning };
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const free = this.#opts.concurrency - this.#inFlight;
      let leased: Job[] = [];
      // A lane without kinds takes nothing (an empty kind list would mean every kind to the queue).
      if (free > 0 && this.#kinds.length > 0) {
        try {
          leased = await this.#queue.lease(this.owner, free, this.#opts.leaseMs, Date.now(), this.#kinds);
        } catch (err) {
          this.#log.error({ err: errorText(err) }, 'lease failed; will retry');
        }
      }
      if (!this.#running && leased.length > 0) {
        // Leased while stop() was called: handed straight back, uncounted, for any node to take.
        await Promise.all(leased.map((job) => this.#queue.defer(job, Date.now()).catch(() => undefined)));
        break;
      }
      for (const job of leased) {
        this.#inFlight++;
        void this.#execute(job).finally(() => {
          this.#inFlight--;
          if (this.#inFlight === 0) this.#idle.emit('idle');
          this.notify();
        });
      }
      // Fewer due jobs than free slots: nothing more to take now. A full batch: wait for a slot.
      if (leased.length < free || free <= 0) await this.#sleep(free <= 0 ? 1000 : this.#opts.idlePollMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.#timer);
        this.#wake.off('wake', done);
        resolve();
      };
      this.#timer = setTimeout(done, ms);
      this.#wake.once('wake', done);
    });
  }

  async #execute(job: Job): Promise<void> {
    const prepared = this.#runners.get(job.kind)?.prepare(job);
    if (prepared === undefined || prepared instanceof WaygateError) {
      // Leased by kind, so an unknown kind cannot come here; a damaged payload can, and never
      // will match its schema: straight to the dead letters, with the reason.
      const reason = recordJobError(prepared ?? new Error(`no handler for job kind ${job.kind}`));
      this.#log.warn(
        { jobId: job.id, kind: job.kind, error: reason.shown },
        'job dead-lettered without running',
      );
      await this.#queue
        .deadLetter(job, reason)
        .catch((e: unknown) =>
          this.#log.error({ jobId: job.id, err: errorText(e) }, 'could not dead-letter job'),
        );
      return;
    }
    const observe = this.#opts.observe;
    const started = observe ? performance.now() : 0;
    try {
      await prepared.run();
      observe?.({
        kind: job.kind,
        partnerId: job.partnerId ?? job.routedTo ?? null,
        outcome: 'ok',
        code: 'ok',
        durationMs: performance.now() - started,
      });
    } catch (err) {
      if (this.#abandoned) {
        // Ended after stop() stopped waiting (often because shutdown closed what it used): not a
        // verdict on the job, which stays leased and is run again when the lease runs out.
        this.#log.info({ jobId: job.id, kind: job.kind }, 'job left to its lease by shutdown');
        return;
      }
      const outcome = await this.#fail(job, prepared, err);
      observe?.({
        kind: job.kind,
        partnerId: job.partnerId ?? job.routedTo ?? null,
        outcome,
        code: failureCode(err),
        durationMs: performance.now() - started,
      });
    }
  }

  async #fail(job: Job, prepared: PreparedJob, err: unknown): Promise<JobObservation['outcome']> {
    if (err instanceof DeferredError) {
      await this.#queue
        .defer(job, err.untilMs)
        .catch((e: unknown) => this.#log.error({ jobId: job.id, err: errorText(e) }, 'could not defer job'));
      return 'deferred';
    }
    const cause = err instanceof ScheduledRetryError ? err.failure : err;
    // Masked for the logs, the job row and the order's history; the full text is sealed.
    const recorded = recordJobError(cause);
    // A partner's own verdict decides; a payload that cannot become canonical never will.
    const retryable =
      cause instanceof PartnerCallError
        ? cause.retryable
        : !(cause instanceof WaygateError && cause.kind === 'invalid_input');
    const maxAttempts =
      err instanceof ScheduledRetryError ? Math.min(err.maxAttempts, job.maxAttempts) : job.maxAttempts;
    try {
      if (!retryable || job.attempts >= maxAttempts) {
        this.#log.warn(
          { jobId: job.id, kind: job.kind, attempts: job.attempts, error: recorded.shown },
          'job dead-lettered',
        );
        await this.#queue.deadLetter(job, recorded);
        await prepared.onDead(recorded.shown);
        return 'dead';
      }
      let runAt: number;
      if (err instanceof ScheduledRetryError) {
        runAt = err.runAtMs;
      } else {
        let delay = backoffMs(job.attempts, { ...this.#opts.retry, maxAttempts });
        // A partner's Retry-After is honoured only up to the [004-2.2] suspension (issue 16).
        if (cause instanceof PartnerCallError && cause.retryAfterMs !== undefined)
          delay = Math.max(delay, Math.min(cause.retryAfterMs, MAX_PARTNER_WAIT_MS));
        runAt = Date.now() + delay;
      }
      await this.#queue.retryLater(job, runAt, recorded);
    } catch (storeErr) {
      // The lease will run out and the job will be retried; nothing is lost.
      this.#log.error({ jobId: job.id, err: errorText(storeErr) }, 'could not record job failure');
    }
    return 'retry';
  }
}
