import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Hourly statistics rollups for the console on a SQLite store of a million orders [003-6.2]:
 * orders per hour, sales channel and status; shipments per hour, carrier and status with the
 * summed wait from order to waybill and how many waited at most an hour (the tier A target, the
 * console's default "on time"). Kept by triggers, so every writer (pipeline, API, imports, an
 * operator's SQL) keeps them right in the same transaction as the row; `rebuildStatsRollups`
 * (store/stats-rollups.ts, `waygate stats rebuild`) recomputes them from the rows on demand.
 *
 * SQLite only. A 30-day aggregate there reads half a million index entries in one thread
 * (4.3 s); the rollup holds about a thousand rows for the same window. PostgreSQL answers the
 * raw aggregates within a tenth of the limits already (bench/results/console-2026-12-03b.md),
 * and there concurrent writers would queue on the lock of the hour's single rollup row.
 */
export const statsRollups = (dialect: DialectName): Migration => ({
  up: async (db) => {
    if (dialect === 'sqlite') await up(db);
  },
  down: async (db) => {
    if (dialect === 'sqlite') await down(db);
  },
});

/** The hour a time falls in (integer division: both operands are integers on SQLite). */
const hour = (col: string) => `(${col} / 3600000) * 3600000`;
/** A shipment's contribution: its wait from order to waybill, and whether within an hour. */
const wait = (r: string) => `coalesce(${r}.created_at - ${r}.order_created_at, 0)`;
const onTime = (r: string) =>
  `(case when ${r}.order_created_at is not null and ${r}.created_at - ${r}.order_created_at <= 3600000 then 1 else 0 end)`;

function orderAdd(r: string, sign: '+' | '-'): string {
  return sign === '+'
    ? `insert into stats_orders_hourly (hour, source, status, n)
         values (${hour(`${r}.created_at`)}, ${r}.source, ${r}.status, 1)
         on conflict (hour, source, status) do update set n = n + 1;`
    : `update stats_orders_hourly set n = n - 1
         where hour = ${hour(`${r}.created_at`)} and source = ${r}.source and status = ${r}.status;`;
}

function shipmentAdd(r: string, sign: '+' | '-'): string {
  return sign === '+'
    ? `insert into stats_shipments_hourly (hour, carrier, status, n, wait_sum, on_time)
         values (${hour(`${r}.created_at`)}, ${r}.carrier, ${r}.status, 1, ${wait(r)}, ${onTime(r)})
         on conflict (hour, carrier, status) do update set
           n = n + 1, wait_sum = wait_sum + excluded.wait_sum, on_time = on_time + excluded.on_time;`
    : `update stats_shipments_hourly set
           n = n - 1, wait_sum = wait_sum - ${wait(r)}, on_time = on_time - ${onTime(r)}
         where hour = ${hour(`${r}.created_at`)} and carrier = ${r}.carrier and status = ${r}.status;`;
}

async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table stats_orders_hourly (
    hour integer not null, source text not null, status text not null, n integer not null,
    primary key (hour, source, status)) without rowid`.execute(db);
  await sql`create table stats_shipments_hourly (
    hour integer not null, carrier text not null, status text not null, n integer not null,
    wait_sum integer not null, on_time integer not null,
    primary key (hour, carrier, status)) without rowid`.execute(db);
  for (const stmt of ROLLUP_REBUILD.slice(2)) await sql.raw(stmt).execute(db);
  const triggers = [
    `create trigger stats_orders_insert after insert on orders begin ${orderAdd('new', '+')} end`,
    `create trigger stats_orders_update after update of created_at, source, status on orders
       when old.created_at is not new.created_at or old.source is not new.source or old.status is not new.status
       begin ${orderAdd('old', '-')} ${orderAdd('new', '+')} end`,
    `create trigger stats_orders_delete after delete on orders begin ${orderAdd('old', '-')} end`,
    `create trigger stats_shipments_insert after insert on shipments begin ${shipmentAdd('new', '+')} end`,
    // Also fires when migration 022's trigger fills in the order's time just after the insert.
    `create trigger stats_shipments_update
       after update of created_at, carrier, status, order_created_at on shipments
       when old.created_at is not new.created_at or old.carrier is not new.carrier
         or old.status is not new.status or old.order_created_at is not new.order_created_at
       begin ${shipmentAdd('old', '-')} ${shipmentAdd('new', '+')} end`,
    `create trigger stats_shipments_delete after delete on shipments begin ${shipmentAdd('old', '-')} end`,
  ];
  for (const t of triggers) await sql.raw(t).execute(db);
}

async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['orders_insert', 'orders_update', 'orders_delete'])
    await sql.raw(`drop trigger if exists stats_${t}`).execute(db);
  for (const t of ['shipments_insert', 'shipments_update', 'shipments_delete'])
    await sql.raw(`drop trigger if exists stats_${t}`).execute(db);
  await sql`drop table if exists stats_shipments_hourly`.execute(db);
  await sql`drop table if exists stats_orders_hourly`.execute(db);
}

/** The statements that fill the rollups from the rows (the migration's backfill; a rebuild). */
export const ROLLUP_REBUILD = [
  'delete from stats_orders_hourly',
  'delete from stats_shipments_hourly',
  `insert into stats_orders_hourly (hour, source, status, n)
   select ${hour('created_at')}, source, status, count(*) from orders group by 1, 2, 3`,
  `insert into stats_shipments_hourly (hour, carrier, status, n, wait_sum, on_time)
   select ${hour('s.created_at')}, s.carrier, s.status, count(*), sum(${wait('s')}), sum(${onTime('s')})
   from shipments s group by 1, 2, 3`,
];
