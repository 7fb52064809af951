/**
 * Group commit. Every commit costs an fsync (SQLite `synchronous=FULL`, PostgreSQL
 * `synchronous_commit=on`); committing each request on its own caps the hub at the disk's fsync
 * rate (and on SQLite blocks the event loop once per request). Writes submitted while a batch
 * commits are gathered and committed together in the next transaction; one failing write is
 * rolled back alone (see `#optimistic`). A caller's promise settles only after its
 * batch's COMMIT returned and, where the fsync is done outside the database (SQLite, see
 * wal-sync.ts), after that fsync: "acknowledged" still means "durable".
 *
 * SQLite has one writer, so one batch runs at a time. PostgreSQL runs several batches at once on
 * separate connections (`lanes`); a batch that loses a deadlock or serialisation conflict is run
 * again one write per transaction, which is safe because each write only touches its transaction.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Tx } from './transaction.js';

/** Durability done outside the database's COMMIT (see wal-sync.ts). */
export interface DeferredDurability {
  /**
   * Set by the committer once its transaction holds the connection (one lane, so nothing else
   * runs on it until that transaction ends) and consumed by its COMMIT, which therefore needs no
   * fsync of its own (`sync()` follows it), or by its ROLLBACK. A transaction that merely waited for the connection
   * while the flag was set never sees it.
   */
  groupCommitting: boolean;
  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void>;
}

export type WriteFn<T> = (trx: Tx) => Promise<T>;

interface Pending {
  fn: WriteFn<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class GroupCommitter {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  readonly #lanes: number;
  readonly #durable: DeferredDurability | undefined;
  #pending: Pending[] = [];
  #flushing = 0;

  constructor(
    db: Kysely<Database>,
    opts: {
      maxBatch?: number;
      lanes?: number;
      /**
       * Makes what was committed so far durable (SQLite: the WAL fsync of wal-sync.ts). When
       * given, a batch's callers settle only after it resolves, while the next batch already
       * runs: the fsync of one batch overlaps the statements of the next.
       */
      durable?: DeferredDurability;
    } = {},
  ) {
    this.#db = db;
    this.#maxBatch = opts.maxBatch ?? 512;
    this.#lanes = opts.lanes ?? 1;
    this.#durable = opts.durable;
  }

  /** Runs `fn` in a transaction shared with other writes; `fn` must use only `trx`. */
  write<T>(fn: WriteFn<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.#flushing < this.#lanes) {
        this.#flushing++;
        // Let the writes of the current event-loop turn join before the batch starts.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatch);
      let outcomes: Outcome[];
      try {
        outcomes = await this.#commit(batch);
      } catch (err) {
        if (!isRetryableConflict(err)) {
          // The commit itself failed: nothing of the batch is durable, every caller hears so.
          for (const item of batch) item.reject(err);
          continue;
        }
        // Another lane's batch took the same rows in another order. Batches mix unrelated writes,
        // so running this one again whole can meet the same cycle again (CI saw a batch lose three
        // times running); each write alone takes its rows in its own, consistent order.
        outcomes = await this.#oneByOne(batch);
      }
      const settle = (done: Outcome[]) =>
        batch.forEach((item, i) => {
          const o = done[i]!;
          if (o.ok) item.resolve(o.value);
          else item.reject(o.err);
        });
      if (!this.#durable) {
        settle(outcomes);
        continue;
      }
      const committed = outcomes;
      this.#durable.sync().then(
        () => settle(committed),
        // Committed but not known to be on disk: nobody may be told it is kept.
        (err: unknown) => {
          const failure = new StoreSyncError(err);
          for (const item of batch) item.reject(failure);
        },
      );
    }
    this.#flushing--;
  }

  /**
   * Runs each write of a batch that lost a conflict in a transaction of its own, each retried
   * after a short random pause (so two writes that deadlocked do not meet again in step) until it
   * commits, fails on its own account, or has lost `CONFLICT_ATTEMPTS` times.
   */
  async #oneByOne(batch: Pending[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const item of batch) {
      let outcome: Outcome | undefined;
      for (let attempt = 1; !outcome; attempt++) {
        await pause(attempt);
        try {
          [outcome] = await this.#commit([item]);
        } catch (err) {
          if (!isRetryableConflict(err) || attempt >= CONFLICT_ATTEMPTS) outcome = { ok: false, err };
        }
      }
      outcomes.push(outcome);
    }
    return outcomes;
  }

  async #commit(batch: Pending[]): Promise<Outcome[]> {
    try {
      return await this.#optimistic(batch);
    } finally {
      // A rolled-back batch never reached its COMMIT.
      if (this.#durable) this.#durable.groupCommitting = false;
    }
  }

  #holding(): void {
    if (this.#durable) this.#durable.groupCommitting = true;
  }

  /**
   * Writes almost never fail (the edge validates first), so a batch first runs without a
   * savepoint per write: two statements fewer per write (on PostgreSQL two round trips). If one
   * write fails, that transaction is rolled back whole and the batch runs again, this time with
   * a savepoint around each write so the failing one is rolled back alone. Running a write twice
   * is safe for the same reason a deadlocked batch may be re-run: it only touches its transaction.
   */
  async #optimistic(batch: Pending[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        this.#holding();
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: await item.fn(trx) });
          } catch (err) {
            throw new WriteFailed(err);
          }
        }
      });
      return outcomes;
    } catch (err) {
      if (!(err instanceof WriteFailed)) throw err;
      if (isRetryableConflict(err.cause)) throw err.cause;
      // A batch of one needs no second run: its only write failed and nothing was kept.
      if (batch.length === 1) return [{ ok: false, err: err.cause }];
      return this.#isolated(batch);
    }
  }

  async #isolated(batch: Pending[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    await this.#db.transaction().execute(async (trx) => {
      this.#holding();
      for (const item of batch) {
        await sql`savepoint wg_write`.execute(trx);
        try {
          const value = await item.fn(trx);
          await sql`release savepoint wg_write`.execute(trx);
          outcomes.push({ ok: true, value });
        } catch (err) {
          // A conflict aborts the whole transaction on PostgreSQL: retry the batch, not the write.
          if (isRetryableConflict(err)) throw err;
          await sql`rollback to savepoint wg_write`.execute(trx);
          await sql`release savepoint wg_write`.execute(trx);
          outcomes.push({ ok: false, err });
        }
      }
    });
    return outcomes;
  }
}

/** Carries one write's failure out of the optimistic transaction (so it is rolled back). */
class WriteFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('a write in the batch failed');
  }
}

/** The commit went through but the fsync that makes it durable failed. */
export class StoreSyncError extends Error {
  readonly code = 'store_sync_failed';
  constructor(cause: unknown) {
    super(
      `the store could not make a commit durable: ${(cause as Error | undefined)?.message ?? String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'StoreSyncError';
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/** How often one write may lose a deadlock or serialisation conflict before its caller is told. */
const CONFLICT_ATTEMPTS = 8;

/** A random pause growing with each attempt: up to 10 ms, 20 ms, … (PostgreSQL already waited
 * its deadlock_timeout before choosing the loser). */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
}

/** PostgreSQL deadlock (40P01) and serialisation failure (40001). */
function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}
