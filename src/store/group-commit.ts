/**
 * Group commit for SQLite. SQLite has one writer and, with `synchronous=FULL`, one fsync per
 * commit; committing each request on its own caps the hub at the disk's fsync rate and blocks
 * the event loop once per request. Writes submitted while a batch commits are gathered and
 * committed together in the next transaction, each inside its own savepoint so one failing
 * write rolls back alone. A caller's promise settles only after its batch's COMMIT returned,
 * so "acknowledged" still means "durable".
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
  #pending: Pending[] = [];
  #flushing = false;

  constructor(db: Kysely<Database>, maxBatch = 512) {
    this.#db = db;
    this.#maxBatch = maxBatch;
  }

  /** Runs `fn` in a transaction shared with other writes; `fn` must use only `trx`. */
  write<T>(fn: WriteFn<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // Let the writes of the current event-loop turn join before the batch starts.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatch);
      const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
      try {
        await this.#db.transaction().execute(async (trx) => {
          for (const item of batch) {
            await sql`savepoint wg_write`.execute(trx);
            try {
              const value = await item.fn(trx);
              await sql`release savepoint wg_write`.execute(trx);
              outcomes.push({ ok: true, value });
            } catch (err) {
              await sql`rollback to savepoint wg_write`.execute(trx);
              await sql`release savepoint wg_write`.execute(trx);
              outcomes.push({ ok: false, err });
            }
          }
        });
      } catch (err) {
        // The commit itself failed: nothing of the batch is durable, every caller hears so.
        for (const item of batch) item.reject(err);
        continue;
      }
      batch.forEach((item, i) => {
        const o = outcomes[i]!;
        if (o.ok) item.resolve(o.value);
        else item.reject(o.err);
      });
    }
    this.#flushing = false;
  }
}
