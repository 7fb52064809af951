/**
 * The store's connection and transaction types, in the store's own module: every repository
 * function takes an `Executor`, so a caller composes several of them into one transaction
 * (`store.write((trx) => …)`) or runs one on its own. Layers above name these types, never
 * Kysely's, so the query builder stays an implementation detail of `store/`.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** The store's connection pool. */
export type Db = Kysely<Database>;

/** An open write transaction (what `Store.write` hands its callback). */
export type Tx = Transaction<Database>;

/** Either: a statement runs in the caller's transaction when given one. */
export type Executor = Db | Tx;
