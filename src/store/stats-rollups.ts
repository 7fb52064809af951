/**
 * The console's statistics read through the hourly rollups of migration 028 (SQLite): whole
 * hours of a window from the rollup tables, the partial hours at either end from the rows, the
 * two summed. The answers are the raw aggregates' (test/store/stats-rollups.test.ts compares
 * them on random streams of writes); on PostgreSQL, which has no rollups, the raw aggregates.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';
import type { DialectName } from './dialect.js';
import type { Store } from './db.js';
import { ROLLUP_REBUILD } from './migrations/028_stats_rollups.js';
import * as raw from './console-stats.js';
import type { Window } from './console-stats.js';

const HOUR = 3_600_000;
/** The wait within which the rollup counts a shipment on time (the console's default). */
export const ROLLUP_ON_TIME_MS = HOUR;

type RollupTables = {
  stats_orders_hourly: { hour: number; source: string; status: string; n: number };
  stats_shipments_hourly: {
    hour: number;
    carrier: string;
    status: string;
    n: number;
    wait_sum: number;
    on_time: number;
  };
};

function rdb(ex: Executor): Kysely<Database & RollupTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<RollupTables>();
}

const n = (v: unknown) => Number(v ?? 0);

/** The whole hours inside a window, and the partial ones at its ends (null when none). */
export function splitWindow(w: Window): { whole: Window | null; edges: Window[] } {
  const a = Math.ceil(w.from / HOUR) * HOUR;
  const b = Math.floor(w.to / HOUR) * HOUR;
  if (a >= b) return { whole: null, edges: w.from < w.to ? [w] : [] };
  const edges: Window[] = [];
  if (w.from < a) edges.push({ from: w.from, to: a });
  if (b < w.to) edges.push({ from: b, to: w.to });
  return { whole: { from: a, to: b }, edges };
}

/** Sums rows with the same key: the numeric fields named in `sums` are added, the rest kept. */
function merge<T extends object>(rows: readonly T[], key: (r: T) => string, sums: readonly (keyof T)[]): T[] {
  const by = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    const seen = by.get(k);
    if (!seen) {
      by.set(k, { ...r });
      continue;
    }
    for (const f of sums) (seen[f] as number) = n(seen[f]) + n(r[f]);
  }
  return [...by.values()];
}

/** Rollups answer this query: SQLite, and (when bucketed) whole hours per bucket. */
const rolls = (dialect: DialectName, bucketMs?: number) =>
  dialect === 'sqlite' && (bucketMs === undefined || bucketMs % HOUR === 0);

async function hybrid<T extends object>(
  w: Window,
  rawPart: (w: Window) => Promise<T[]>,
  rolledPart: (w: Window) => Promise<T[]>,
  key: (r: T) => string,
  sums: readonly (keyof T)[],
): Promise<T[]> {
  const { whole, edges } = splitWindow(w);
  const parts = await Promise.all([...(whole ? [rolledPart(whole)] : []), ...edges.map((e) => rawPart(e))]);
  return merge(parts.flat(), key, sums);
}

const bucketOf = (bucketMs: number) => sql<number>`(hour / ${sql.lit(bucketMs)}) * ${sql.lit(bucketMs)}`;

export async function orderVolumeSeries(ex: Executor, dialect: DialectName, w: Window, bucketMs: number) {
  if (!rolls(dialect, bucketMs)) return raw.orderVolumeSeries(ex, w, bucketMs);
  return hybrid(
    w,
    (e) => raw.orderVolumeSeries(ex, e, bucketMs),
    async (e) => {
      const rows = await rdb(ex)
        .selectFrom('stats_orders_hourly')
        .select([bucketOf(bucketMs).as('at'), 'status', sql<number>`sum(n)`.as('n')])
        .where('hour', '>=', e.from)
        .where('hour', '<', e.to)
        .groupBy([bucketOf(bucketMs), 'status'])
        .having(sql<number>`sum(n)`, '>', 0)
        .execute();
      return rows.map((r) => ({ at: n(r.at), status: r.status, count: n(r.n) }));
    },
    (r) => `${r.at}|${r.status}`,
    ['count'],
  );
}

async function ordersPerSourceStatus(ex: Executor, e: Window, failedOnly: boolean) {
  let q = rdb(ex)
    .selectFrom('stats_orders_hourly')
    .select(['source', 'status', sql<number>`sum(n)`.as('n')])
    .where('hour', '>=', e.from)
    .where('hour', '<', e.to);
  if (failedOnly) q = q.where('status', '=', 'failed');
  const rows = await q
    .groupBy(['source', 'status'])
    .having(sql<number>`sum(n)`, '>', 0)
    .execute();
  return rows.map((r) => ({ source: r.source, status: r.status, count: n(r.n) }));
}

export async function ordersBySource(ex: Executor, dialect: DialectName, w: Window) {
  if (!rolls(dialect)) return raw.ordersBySource(ex, w);
  return hybrid(
    w,
    (e) => raw.ordersBySource(ex, e),
    (e) => ordersPerSourceStatus(ex, e, false),
    (r) => `${r.source}|${r.status}`,
    ['count'],
  );
}

export async function failedOrdersBySource(ex: Executor, dialect: DialectName, w: Window) {
  if (!rolls(dialect)) return raw.failedOrdersBySource(ex, w);
  return hybrid(
    w,
    (e) => raw.failedOrdersBySource(ex, e),
    async (e) =>
      (await ordersPerSourceStatus(ex, e, true)).map((r) => ({ source: r.source, count: r.count })),
    (r) => r.source,
    ['count'],
  );
}

export async function carrierTimeliness(
  ex: Executor,
  dialect: DialectName,
  w: Window,
  bucketMs: number,
  withinMs: number,
) {
  if (!rolls(dialect, bucketMs) || withinMs !== ROLLUP_ON_TIME_MS)
    return raw.carrierTimeliness(ex, w, bucketMs, withinMs);
  return hybrid(
    w,
    (e) => raw.carrierTimeliness(ex, e, bucketMs, withinMs),
    async (e) => {
      const rows = await rdb(ex)
        .selectFrom('stats_shipments_hourly')
        .select([
          bucketOf(bucketMs).as('at'),
          'carrier',
          sql<number>`sum(n)`.as('n'),
          sql<number>`sum(wait_sum)`.as('wait_sum'),
          sql<number>`sum(on_time)`.as('on_time'),
          sql<number>`sum(case when status = 'exception' then n else 0 end)`.as('exceptions'),
          sql<number>`sum(case when status = 'delivered' then n else 0 end)`.as('delivered'),
        ])
        .where('hour', '>=', e.from)
        .where('hour', '<', e.to)
        .groupBy([bucketOf(bucketMs), 'carrier'])
        .having(sql<number>`sum(n)`, '>', 0)
        .execute();
      return rows.map(raw.timelinessRow);
    },
    (r) => `${r.at}|${r.carrier}`,
    ['shipments', 'waitSumMs', 'onTime', 'exceptions', 'delivered'],
  );
}

export async function shipmentsByCarrierStatus(ex: Executor, dialect: DialectName, w: Window) {
  if (!rolls(dialect)) return raw.shipmentsByCarrierStatus(ex, w);
  return hybrid(
    w,
    (e) => raw.shipmentsByCarrierStatus(ex, e),
    async (e) => {
      const rows = await rdb(ex)
        .selectFrom('stats_shipments_hourly')
        .select(['carrier', 'status', sql<number>`sum(n)`.as('n')])
        .where('hour', '>=', e.from)
        .where('hour', '<', e.to)
        .groupBy(['carrier', 'status'])
        .having(sql<number>`sum(n)`, '>', 0)
        .execute();
      return rows.map((r) => ({ carrier: r.carrier, status: r.status, count: n(r.n) }));
    },
    (r) => `${r.carrier}|${r.status}`,
    ['count'],
  );
}

/**
 * Recomputes the rollups from the rows in one write transaction (after a restore, or to prove
 * them: the answers must not change). On PostgreSQL there is nothing to rebuild.
 */
export async function rebuildStatsRollups(store: Store): Promise<{ rebuilt: boolean }> {
  if (store.dialect !== 'sqlite') return { rebuilt: false };
  await store.write(async (trx) => {
    for (const stmt of ROLLUP_REBUILD) await sql.raw(stmt).execute(trx);
  });
  return { rebuilt: true };
}
