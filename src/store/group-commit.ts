/**
 * Group commit. Every commit costs an fsync (SQLite `synchronous=FULL`, PostgreSQL
 * `synchronous_commit=on`); committing each request on its own caps the hub at the disk's fsync
 * rate (and on SQLite blocks the event loop once per request). Writes submitted while a batch
 * commits are gathered and committed together in the next transaction, each inside its own
 * savepoint so one failing write rolls back alone. A caller's promise settles only after its
 * batch's COMMIT returned, so "acknowledged" still means "durable".
 *
 * SQLite has one writer, so one batch runs at a time. PostgreSQL runs several batches at once on
 * separate connections (`lanes`); a batch that loses a deadlock or serialisation conflict is run
 * again as a whole, which is safe because each write only touches its transaction.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

export type WriteFn<T> = (trx: Transaction<Database>) => Promise<T>;

interface Pending {
  fn: WriteFn<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class GroupCommitter {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  readonly #lanes: number;
  #pending: Pending[] = [];
  #flushing = 0;

  constructor(db: Kysely<Database>, opts: { maxBatch?: number; lanes?: number } = {}) {
    this.#db = db;
    this.#maxBatch = opts.maxBatch ?? 512;
    this.#lanes = opts.lanes ?? 1;
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
      let outcomes: Outcome[] | undefined;
      let failure: unknown;
      for (let attempt = 1; attempt <= 3 && !outcomes; attempt++) {
        try {
          outcomes = await this.#commit(batch);
        } catch (err) {
          failure = err;
          if (!isRetryableConflict(err)) break;
        }
      }
      if (!outcomes) {
        // The commit itself failed: nothing of the batch is durable, every caller hears so.
        for (const item of batch) item.reject(failure);
        continue;
      }
      batch.forEach((item, i) => {
        const o = outcomes[i]!;
        if (o.ok) item.resolve(o.value);
        else item.reject(o.err);
      });
    }
    this.#flushing--;
  }

  async #commit(batch: Pending[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    await this.#db.transaction().execute(async (trx) => {
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

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/** PostgreSQL deadlock (40P01) and serialisation failure (40001). */
function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}
