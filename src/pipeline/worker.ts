/**
 * Workers: lease due jobs in batches and run them with bounded concurrency. A handler decides
 * the job's fate; errors are classified here so every handler gets the same retry semantics:
 * retryable partner errors and unexpected errors are retried on the schedule (a partner's own
 * Retry-After wins when it is later), non-retryable partner errors go to the dead-letter queue.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { PartnerCallError } from '../connectors/errors.js';
import { WaygateError } from '../domain/index.js';
import type { Job, JobQueue } from '../store/queue.js';
import { backoffMs, DEFAULT_RETRY, type RetrySchedule } from './retry.js';
import { DeferredError, ScheduledRetryError } from './policy/runtime.js';

export interface JobHandler {
  /** Does the work and completes the job (usually inside its own business transaction). */
  run(job: Job): Promise<void>;
  /** Called once a job is dead-lettered, to mark the business record (never to roll it back). */
  onDead?(job: Job, error: string): Promise<void>;
}

export interface WorkerOptions {
  concurrency: number;
  /** The job kinds this pool (lane) takes; every kind when empty. */
  kinds: readonly string[];
  leaseMs: number;
  idlePollMs: number;
  retry: RetrySchedule;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  concurrency: 32,
  kinds: [],
  leaseMs: 30_000,
  idlePollMs: 100,
  retry: DEFAULT_RETRY,
};

export class WorkerPool {
  readonly owner = `node-${randomUUID().slice(0, 8)}`;
  readonly #queue: JobQueue;
  readonly #handlers: Record<string, JobHandler>;
  readonly #opts: WorkerOptions;
  readonly #log: Logger;
  readonly #wake = new EventEmitter();
  #inFlight = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    queue: JobQueue,
    handlers: Record<string, JobHandler>,
    log: Logger,
    opts: Partial<WorkerOptions> = {},
  ) {
    this.#queue = queue;
    this.#handlers = handlers;
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

  async stop(): Promise<void> {
    this.#running = false;
    this.notify();
    await this.#loop;
    while (this.#inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const free = this.#opts.concurrency - this.#inFlight;
      let leased: Job[] = [];
      if (free > 0) {
        try {
          leased = await this.#queue.lease(
            this.owner,
            free,
            this.#opts.leaseMs,
            Date.now(),
            this.#opts.kinds,
          );
        } catch (err) {
          this.#log.error({ err: errorText(err) }, 'lease failed; will retry');
        }
      }
      for (const job of leased) {
        this.#inFlight++;
        void this.#execute(job).finally(() => {
          this.#inFlight--;
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
    const handler = this.#handlers[job.kind];
    if (!handler) {
      await this.#queue.deadLetter(job, `no handler for job kind ${job.kind}`);
      return;
    }
    try {
      await handler.run(job);
    } catch (err) {
      await this.#fail(job, handler, err);
    }
  }

  async #fail(job: Job, handler: JobHandler, err: unknown): Promise<void> {
    if (err instanceof DeferredError) {
      await this.#queue
        .defer(job, err.untilMs)
        .catch((e: unknown) => this.#log.error({ jobId: job.id, err: errorText(e) }, 'could not defer job'));
      return;
    }
    const cause = err instanceof ScheduledRetryError ? err.failure : err;
    const message = errorText(cause);
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
          { jobId: job.id, kind: job.kind, attempts: job.attempts, error: message },
          'job dead-lettered',
        );
        await this.#queue.deadLetter(job, message);
        await handler.onDead?.(job, message);
        return;
      }
      let runAt: number;
      if (err instanceof ScheduledRetryError) {
        runAt = err.runAtMs;
      } else {
        let delay = backoffMs(job.attempts, { ...this.#opts.retry, maxAttempts });
        if (cause instanceof PartnerCallError && cause.retryAfterMs !== undefined)
          delay = Math.max(delay, cause.retryAfterMs);
        runAt = Date.now() + delay;
      }
      await this.#queue.retryLater(job, runAt, message);
    } catch (storeErr) {
      // The lease will run out and the job will be retried; nothing is lost.
      this.#log.error({ jobId: job.id, err: errorText(storeErr) }, 'could not record job failure');
    }
  }
}

export function errorText(err: unknown): string {
  if (err instanceof PartnerCallError) return JSON.stringify(err.toJSON());
  if (err instanceof WaygateError)
    return JSON.stringify({ code: err.code, message: err.message, details: err.details });
  if (err instanceof Error) return err.message;
  return String(err);
}
