/**
 * The durable job queue (transactional outbox). Jobs are rows in the same store as the business
 * data, so an order and its "create the shipment" job commit together or not at all.
 *
 * A worker leases a batch of due jobs for `leaseMs`; if it dies, the lease runs out and another
 * worker (or the same node after restart) takes the job again. Work must therefore be idempotent,
 * which every partner call is through its idempotency key. On PostgreSQL the lease query uses
 * `FOR UPDATE SKIP LOCKED` so several nodes never take the same job at once; on SQLite the
 * single writer serialises leases.
 *
 * The queue stores any JSON payload: what a kind's payload must look like is declared once in the
 * pipeline's job registry, which checks it when a job is enqueued and again when it is leased.
 */
import { sql, type ExpressionBuilder, type UpdateObject } from 'kysely';
import type { Database, JobsTable } from './schema.js';
import type { Store } from './db.js';
import type { Executor } from './transaction.js';
import { newId } from './ids.js';
import { compiled } from './compiled.js';

export interface NewJob {
  kind: string;
  partnerId?: string | null;
  payload: unknown;
  dedupeKey?: string | null;
  runAt?: number;
  maxAttempts?: number;
}

export interface Job {
  id: string;
  kind: string;
  partnerId: string | null;
  payload: unknown;
  /** Set when the stored payload is not JSON at all (the row was damaged); `payload` is then null. */
  payloadError?: string;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  leaseOwner: string;
  history: AttemptRecord[];
  /** The partner a handler chose at run time (routing), for the worker's metrics; not stored. */
  routedTo?: string;
}

export interface AttemptRecord {
  at: number;
  attempt: number;
  outcome: 'retry' | 'dead' | 'lease_lost' | 'replayed';
  error: string;
  /** `replayed` only: who took the job out of the dead-letter queue, and the fields they edited. */
  by?: string;
  edited?: string[];
}

/** How many jobs of a kind are in a status, and since when the oldest waits. */
export interface KindStats {
  kind: string;
  status: string;
  count: number;
  oldestCreatedAt: number | null;
}

/** The context bound into a sealed job error (see JobError). */
export const JOB_ERROR_CONTEXT = 'jobs.error';

/**
 * A job's error as recorded. Partners echo personal data in their error texts (a refused name,
 * phone or address), so `shown` — what `last_error`, the attempt history, order notes and logs
 * hold in plain text — carries none of the partner's text, and `full`, the error as it was, is
 * sealed into `jobs.error_sealed` under the data-key ring. A plain string is taken as both.
 */
export interface JobError {
  shown: string;
  full?: string;
}

const shownOf = (e: string | JobError) => (typeof e === 'string' ? e : e.shown);

/** Attempts a job gets before the dead letters, unless its kind declares its own. */
export const DEFAULT_MAX_ATTEMPTS = 10;

const insertJob = compiled((ex, row: JobsTable) => ex.insertInto('jobs').values(row));
const insertJobOnce = compiled((ex, row: JobsTable) =>
  ex
    .insertInto('jobs')
    .values(row)
    .onConflict((oc) => oc.column('dedupe_key').doNothing()),
);

export async function enqueue(ex: Executor, job: NewJob, nowMs = Date.now()): Promise<string> {
  const id = newId('job', nowMs);
  const row: JobsTable = {
    id,
    kind: job.kind,
    partner_id: job.partnerId ?? null,
    payload: JSON.stringify(job.payload),
    dedupe_key: job.dedupeKey ?? null,
    status: 'ready',
    attempts: 0,
    max_attempts: job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    run_at: job.runAt ?? nowMs,
    lease_owner: null,
    lease_until: null,
    last_error: null,
    error_sealed: null,
    history: '[]',
    created_at: nowMs,
    updated_at: nowMs,
  };
  await (job.dedupeKey ? insertJobOnce : insertJob)(ex, row);
  return id;
}

const deleteLeased = compiled((ex, a: { id: string; owner: string }) =>
  ex.deleteFrom('jobs').where('id', '=', a.id).where('lease_owner', '=', a.owner),
);

/**
 * A stored payload read back. A row damaged in the database must not make a whole lease batch
 * throw: the job comes back with `payloadError`, and the worker dead-letters it with that reason.
 */
export function parsePayload(text: string): { payload: unknown; payloadError?: string } {
  try {
    return { payload: JSON.parse(text) as unknown };
  } catch (err) {
    return { payload: null, payloadError: `the stored payload is not JSON (${(err as Error).message})` };
  }
}

/** A job's attempt history read back; a damaged one reads as empty rather than failing the lease. */
export function parseHistory(text: string): AttemptRecord[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as AttemptRecord[]) : [];
  } catch {
    return [];
  }
}

function toJob(row: JobsTable): Job {
  return {
    id: row.id,
    kind: row.kind,
    partnerId: row.partner_id,
    ...parsePayload(row.payload),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    leaseOwner: row.lease_owner ?? '',
    history: parseHistory(row.history),
  };
}

/** How often a worker looks for jobs whose lease ran out. */
const RECLAIM_EVERY_MS = 1000;

export class JobQueue {
  readonly #store: Store;
  #lastReclaim = Number.NEGATIVE_INFINITY;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Runs in the caller's transaction when given one, else as a group-committed write. */
  #in<T>(ex: Executor | undefined, fn: (e: Executor) => Promise<T>): Promise<T> {
    return ex ? fn(ex) : this.#store.write((trx) => fn(trx));
  }

  /** Takes up to `limit` due jobs (ready and due, or leased by someone whose lease ran out). */
  async lease(
    owner: string,
    limit: number,
    leaseMs: number,
    nowMs = Date.now(),
    /** Only jobs of these kinds (a worker lane); all kinds when absent. */
    kinds?: readonly string[],
  ): Promise<Job[]> {
    if (limit <= 0) return [];
    if (nowMs - this.#lastReclaim >= RECLAIM_EVERY_MS) {
      this.#lastReclaim = nowMs;
      await this.reclaimExpiredLeases(nowMs);
    }
    const lockClause = this.#store.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    // Only ready rows are looked at, so the (status, run_at) index answers the inner query.
    const query = sql<JobsTable>`
      update jobs
         set status = 'leased', lease_owner = ${owner}, lease_until = ${nowMs + leaseMs},
             attempts = attempts + 1, updated_at = ${nowMs}
       where id in (
         select id from jobs
          where status = 'ready' and run_at <= ${nowMs}
          ${kinds && kinds.length > 0 ? sql`and kind in (${sql.join(kinds)})` : sql``}
          order by run_at
          limit ${limit}
          ${lockClause})
      returning *`;
    // Through the group committer: on SQLite a lease shares its fsync with the writes around it.
    const result = await this.#store.write((trx) => query.execute(trx));
    return result.rows.map(toJob);
  }

  /**
   * Makes jobs whose lease ran out (their worker died or stalled) ready again. Done on a timer
   * rather than in every lease query, which keeps that query on one index.
   */
  async reclaimExpiredLeases(nowMs = Date.now()): Promise<number> {
    const res = await this.#store.write((trx) =>
      trx
        .updateTable('jobs')
        .set({
          status: 'ready',
          lease_owner: null,
          lease_until: null,
          last_error: 'lease expired',
          error_sealed: null,
          updated_at: nowMs,
        })
        .where('status', '=', 'leased')
        .where('lease_until', '<=', nowMs)
        .executeTakeFirst(),
    );
    return Number(res.numUpdatedRows);
  }

  /** Deletes a finished job, inside the caller's transaction when given one. */
  async complete(job: Job, ex?: Executor): Promise<boolean> {
    const res = await this.#in(ex, (e) => deleteLeased(e, { id: job.id, owner: job.leaseOwner }));
    return Boolean(res.numAffectedRows);
  }

  /** The sealed full text of an error, when it differs from what is shown. */
  #sealed(error: string | JobError): string | null {
    if (typeof error === 'string' || error.full === undefined || error.full === error.shown) return null;
    return this.#store.keys.cipher.seal(error.full, JOB_ERROR_CONTEXT);
  }

  /** Puts a job back for a later attempt, recording why this one failed. */
  async retryLater(job: Job, runAt: number, error: string | JobError, nowMs = Date.now()): Promise<void> {
    const shown = shownOf(error);
    const history = [
      ...job.history,
      { at: nowMs, attempt: job.attempts, outcome: 'retry', error: shown } as AttemptRecord,
    ];
    await this.#release(job, runAt, nowMs, undefined, () => ({
      last_error: shown,
      error_sealed: this.#sealed(error),
      history: JSON.stringify(history.slice(-50)),
    }));
  }

  /**
   * Puts a job back untouched for later: the attempt it just used is given back, because it
   * never reached the partner (closed call window, suspension, rate limit, saturated partner).
   */
  async defer(job: Job, runAt: number, nowMs = Date.now()): Promise<void> {
    await this.#release(job, runAt, nowMs, undefined, (eb) => ({ attempts: eb('attempts', '-', 1) }));
  }

  /** Re-arms a recurring job (e.g. a tracking poll) for its next run, as a fresh job. */
  async reschedule(job: Job, runAt: number, ex?: Executor, nowMs = Date.now()): Promise<void> {
    await this.#release(job, runAt, nowMs, ex, () => ({
      attempts: 0,
      last_error: null,
      error_sealed: null,
    }));
  }

  /** Returns a leased job to `ready` at `runAt`, if this lease still holds it, with `changes`. */
  async #release(
    job: Job,
    runAt: number,
    nowMs: number,
    ex: Executor | undefined,
    changes: (eb: ExpressionBuilder<Database, 'jobs'>) => UpdateObject<Database, 'jobs'>,
  ): Promise<void> {
    await this.#in(ex, (e) =>
      e
        .updateTable('jobs')
        .set((eb) => ({
          status: 'ready',
          run_at: runAt,
          lease_owner: null,
          lease_until: null,
          updated_at: nowMs,
          ...changes(eb),
        }))
        .where('id', '=', job.id)
        .where('lease_owner', '=', job.leaseOwner)
        .execute(),
    );
  }

  /** Parks a job for a human: kept with its full history, never retried on its own. */
  async deadLetter(job: Job, error: string | JobError, ex?: Executor, nowMs = Date.now()): Promise<void> {
    const shown = shownOf(error);
    const sealed = this.#sealed(error);
    const history = [
      ...job.history,
      { at: nowMs, attempt: job.attempts, outcome: 'dead', error: shown } as AttemptRecord,
    ];
    await this.#in(ex, (e) =>
      e
        .updateTable('jobs')
        .set({
          status: 'dead',
          lease_owner: null,
          lease_until: null,
          last_error: shown,
          error_sealed: sealed,
          history: JSON.stringify(history.slice(-50)),
          updated_at: nowMs,
        })
        .where('id', '=', job.id)
        .where('lease_owner', '=', job.leaseOwner)
        .execute(),
    );
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.#store.db
      .selectFrom('jobs')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Jobs waiting or in progress: the backlog admission control weighs. */
  async backlog(): Promise<number> {
    const row = await this.#store.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['ready', 'leased'])
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Per kind and status: how many jobs, and the oldest one's creation time (for queue depth,
   * oldest-job age and dead-letter gauges). One grouped read over the jobs table.
   */
  async stats(): Promise<KindStats[]> {
    const rows = await this.#store.db
      .selectFrom('jobs')
      .select([
        'kind',
        'status',
        (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.min<number>('created_at').as('oldest'),
      ])
      .groupBy(['kind', 'status'])
      .execute();
    return rows.map((r) => ({
      kind: r.kind,
      status: r.status,
      count: Number(r.n),
      oldestCreatedAt: r.oldest === null ? null : Number(r.oldest),
    }));
  }

  /** Throws unless the jobs table answers a read: the readiness probe's view of the store. */
  async probe(): Promise<void> {
    await this.#store.db.selectFrom('jobs').select('id').limit(1).execute();
  }
}
