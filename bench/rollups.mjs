#!/usr/bin/env node
// The console statistics on one SQLite store, read both ways in the same run: the raw aggregates
// over the rows (as before migration 028) and through the hourly rollups (as the hub reads them
// now), with the answers compared. Point it at a store kept by bench/console.mjs
// (WAYGATE_BENCH_KEEP=1 prints its folder):
//   node bench/rollups.mjs --db sqlite:/tmp/waygate-bench-console-XXXX/bench.db [--reps 3]
// Needs `npm run build`. Not part of the test suite: nothing here is asserted.
import { parseArgs } from 'node:util';
import { openStore } from '../dist/store/db.js';
import { localFieldCipher } from '../dist/security/field-cipher.js';
import * as raw from '../dist/store/console-stats.js';
import * as rolled from '../dist/store/stats-rollups.js';

const { values } = parseArgs({ options: { db: { type: 'string' }, reps: { type: 'string', default: '3' } } });
if (!values.db?.startsWith('sqlite:')) {
  console.error('usage: node bench/rollups.mjs --db sqlite:PATH [--reps 3]');
  process.exit(2);
}
const REPS = Number(values.reps);
const DAY = 86_400_000;
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const canon = (rows) => JSON.stringify(rows.map((r) => JSON.stringify(r)).sort());

const store = await openStore(values.db, { cipher: localFieldCipher });
const db = store.db;
const newest = Number(
  (
    await db
      .selectFrom('orders')
      .select((eb) => eb.fn.max('created_at').as('m'))
      .executeTakeFirst()
  ).m,
);
const now = newest + 1;
const last30 = { from: now - 30 * DAY, to: now };
const m = new Date(now - 20 * DAY);
const month = {
  from: Date.UTC(m.getUTCFullYear(), m.getUTCMonth(), 1),
  to: Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1),
};

const cases = [
  [
    '30 days per day: orders per day and status',
    () => raw.orderVolumeSeries(db, last30, DAY),
    () => rolled.orderVolumeSeries(db, 'sqlite', last30, DAY),
  ],
  [
    '30 days: orders per channel and status',
    () => raw.ordersBySource(db, last30),
    () => rolled.ordersBySource(db, 'sqlite', last30),
  ],
  [
    '30 days per day: carrier timeliness',
    () => raw.carrierTimeliness(db, last30, DAY, 3_600_000),
    () => rolled.carrierTimeliness(db, 'sqlite', last30, DAY, 3_600_000),
  ],
  [
    'month: shipments per carrier and status',
    () => raw.shipmentsByCarrierStatus(db, month),
    () => rolled.shipmentsByCarrierStatus(db, 'sqlite', month),
  ],
  [
    'month: failed orders per channel',
    () => raw.failedOrdersBySource(db, month),
    () => rolled.failedOrdersBySource(db, 'sqlite', month),
  ],
];

async function time(fn) {
  await fn();
  const times = [];
  let last;
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    last = await fn();
    times.push(performance.now() - t0);
  }
  return { median: median(times), rows: last };
}

const orders = Number(
  (
    await db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst()
  ).n,
);
console.log(`| query (store of ${orders.toLocaleString('en')} orders) | raw rows | rollups | same answer |`);
console.log('| --- | --- | --- | --- |');
for (const [what, r, q] of cases) {
  const a = await time(r);
  const b = await time(q);
  console.log(
    `| ${what} | ${fmt(a.median)} | ${fmt(b.median)} | ${canon(a.rows) === canon(b.rows) ? 'yes' : 'NO'} |`,
  );
}
await store.close();
