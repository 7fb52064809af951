import { PostgresAdapter, type Kysely } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/** The dialect an executor (the store's Kysely or a transaction of it) speaks. */
export function dialectOf(ex: Pick<Kysely<never>, 'getExecutor'>): DialectName {
  return ex.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
