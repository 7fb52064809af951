/**
 * Service-quality figures for the console's overview and the monthly partner breakdown
 * [001-6.5] [003-6.2]: aggregates computed in the database (GROUP BY over indexed time ranges,
 * see migration 014), so a store of millions of orders answers in well under a second; only
 * small grouped rows come back to the hub.
 */
import { sql } from 'kysely';
import type { DialectName } from './dialect.js';
import type { Executor } from './transaction.js';

export interface Window {
  /** epoch ms, inclusive */
  from: number;
  /** epoch ms, exclusive */
  to: number;
}

const n = (v: unknown) => Number(v ?? 0);

/** Orders received, shipped (waybill stored), failed and cancelled per time bucket. */
/**
 * Buckets are written into the SQL as integer literals (a bucket size is one of a few fixed
 * numbers, never caller text): bound, SQLite would take them as REAL and divide without
 * truncating, and both dialects would see SELECT and GROUP BY as different expressions.
 */
export async function orderVolumeSeries(ex: Executor, w: Window, bucketMs: number) {
  const bucket = sql<number>`(created_at / ${sql.lit(bucketMs)}) * ${sql.lit(bucketMs)}`;
  const rows = await ex
    .selectFrom('orders')
    .select([bucket.as('at'), 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('created_at', '>=', w.from)
    .where('created_at', '<', w.to)
    .groupBy([bucket, 'status'])
    .execute();
  return rows.map((r) => ({ at: n(r.at), status: r.status, count: n(r.n) }));
}

/** Orders per sales channel and status in the window. */
export async function ordersBySource(ex: Executor, w: Window) {
  const rows = await ex
    .selectFrom('orders')
    .select(['source', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('created_at', '>=', w.from)
    .where('created_at', '<', w.to)
    .groupBy(['source', 'status'])
    .execute();
  return rows.map((r) => ({ source: r.source, status: r.status, count: n(r.n) }));
}

/**
 * Per carrier and time bucket: shipments created, how long the order waited for its waybill
 * (sum for the average, and how many within `withinMs`), and how many are in an exception state.
 * The order's time is the copy on the shipment (migration 022): one covering index, no join.
 * That column is kept by a trigger and left out of the row type, so no code writes it.
 */
export async function carrierTimeliness(ex: Executor, w: Window, bucketMs: number, withinMs: number) {
  const bucket = sql<number>`(created_at / ${sql.lit(bucketMs)}) * ${sql.lit(bucketMs)}`;
  const wait = sql<number>`(created_at - order_created_at)`;
  const rows = await ex
    .selectFrom('shipments')
    .select([
      bucket.as('at'),
      'carrier',
      (eb) => eb.fn.countAll<number>().as('n'),
      sql<number>`sum(${wait})`.as('wait_sum'),
      sql<number>`sum(case when ${wait} <= ${withinMs} then 1 else 0 end)`.as('on_time'),
      sql<number>`sum(case when status = 'exception' then 1 else 0 end)`.as('exceptions'),
      sql<number>`sum(case when status = 'delivered' then 1 else 0 end)`.as('delivered'),
    ])
    .where('created_at', '>=', w.from)
    .where('created_at', '<', w.to)
    .groupBy([bucket, 'carrier'])
    .execute();
  return rows.map(timelinessRow);
}

/** One carrier-timeliness bucket as the console reads it, from the raw query or the rollups. */
export function timelinessRow(r: {
  at: unknown;
  carrier: string;
  n: unknown;
  wait_sum: unknown;
  on_time: unknown;
  exceptions: unknown;
  delivered: unknown;
}) {
  return {
    at: n(r.at),
    carrier: r.carrier,
    shipments: n(r.n),
    waitSumMs: n(r.wait_sum),
    onTime: n(r.on_time),
    exceptions: n(r.exceptions),
    delivered: n(r.delivered),
  };
}

/**
 * The hub's own API per route and time bucket, from the call audit [000-15]: calls, answers
 * of 4xx and 5xx, and summed answer time (`detail.ms`).
 */
export async function apiCallSeries(ex: Executor, dialect: DialectName, w: Window, bucketMs: number) {
  const bucket = sql<number>`(at / ${sql.lit(bucketMs)}) * ${sql.lit(bucketMs)}`;
  const ms =
    dialect === 'postgres'
      ? sql<number>`coalesce((detail::jsonb ->> 'ms')::numeric, 0)`
      : sql<number>`coalesce(json_extract(detail, '$.ms'), 0)`;
  const rows = await ex
    .selectFrom('audit_log')
    .select([
      bucket.as('at'),
      'target',
      (eb) => eb.fn.countAll<number>().as('n'),
      sql<number>`sum(case when status >= 400 and status < 500 then 1 else 0 end)`.as('client_errors'),
      sql<number>`sum(case when status >= 500 then 1 else 0 end)`.as('server_errors'),
      sql<number>`sum(${ms})`.as('ms_sum'),
      sql<number>`max(${ms})`.as('ms_max'),
    ])
    .where('action', '=', 'api.call')
    .where('at', '>=', w.from)
    .where('at', '<', w.to)
    .groupBy([bucket, 'target'])
    .execute();
  return rows.map((r) => ({
    at: n(r.at),
    route: r.target,
    calls: n(r.n),
    clientErrors: n(r.client_errors),
    serverErrors: n(r.server_errors),
    msSum: n(r.ms_sum),
    msMax: n(r.ms_max),
  }));
}

/** Shipments per carrier and status created in the window. */
export async function shipmentsByCarrierStatus(ex: Executor, w: Window) {
  const rows = await ex
    .selectFrom('shipments')
    .select(['carrier', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('created_at', '>=', w.from)
    .where('created_at', '<', w.to)
    .groupBy(['carrier', 'status'])
    .execute();
  return rows.map((r) => ({ carrier: r.carrier, status: r.status, count: n(r.n) }));
}

/**
 * Partner jobs created in the window that carry an error (retrying or dead), grouped by partner,
 * state and the recorded error (the masked form: no partner text, see store/queue.ts).
 */
export async function partnerJobErrors(ex: Executor, w: Window) {
  const rows = await ex
    .selectFrom('jobs')
    .select(['partner_id', 'status', 'last_error', (eb) => eb.fn.countAll<number>().as('n')])
    .where('created_at', '>=', w.from)
    .where('created_at', '<', w.to)
    .where('partner_id', 'is not', null)
    .where('last_error', 'is not', null)
    .groupBy(['partner_id', 'status', 'last_error'])
    .execute();
  return rows.map((r) => ({
    partnerId: r.partner_id as string,
    status: r.status,
    lastError: r.last_error as string,
    count: n(r.n),
  }));
}

/** Orders that ended `failed` in the window, per sales channel (no carrier took them). */
export async function failedOrdersBySource(ex: Executor, w: Window) {
  const rows = await ex
    .selectFrom('orders')
    .select(['source', (eb) => eb.fn.countAll<number>().as('n')])
    .where('created_at', '>=', w.from)
    .where('created_at', '<', w.to)
    .where('status', '=', 'failed')
    .groupBy('source')
    .execute();
  return rows.map((r) => ({ source: r.source, count: n(r.n) }));
}
