#!/usr/bin/env node
// Responsiveness on a store of one million orders [003-6.2], through the real HTTP API of a
// `waygate serve` process with a user's session (as the console calls it), on SQLite and PostgreSQL. Each figure is printed beside the limit the
// requirement sets (and the tenth of it we aim at):
//   console operation    < 1 s   an order's page (GET /v1/orders/{id}) and the first page of the list
//   complex filtered query < 3 s  status + channel + country + 30-day range; a waybill/external-id search
//   statistics page       < 8 s  GET /v1/stats/quality over 30 days, per day
//   complex analysis      < 15 s GET /v1/stats/partner-errors for a month
//
//   node bench/console.mjs [--orders 1000000] [--db sqlite,postgres] [--pg URL] [--reps 5] [--out DIR]
//                          [--suffix b]   (results in console-<date><suffix>.md beside earlier runs)
// Needs `npm run build`. PostgreSQL from --pg or WAYGATE_TEST_PG_URL (scripts/test-postgres.sh);
// without one it is skipped. Not part of the test suite: nothing here is asserted.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { sql } from 'kysely';
import { openStore } from '../dist/store/db.js';
import { localFieldCipher } from '../dist/security/field-cipher.js';
import { start, stop } from './lib/proc.mjs';
import { freshPgDatabase, ROOT } from './systems/waygate.mjs';
import { seedOrders, SOURCES, COUNTRIES } from './lib/orders-million.mjs';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '1000000' },
    db: { type: 'string', default: 'sqlite,postgres' },
    pg: { type: 'string' },
    reps: { type: 'string', default: '5' },
    out: { type: 'string' },
    suffix: { type: 'string', default: '' },
  },
});
const ORDERS = Number(values.orders);
const REPS = Number(values.reps);
const PG = values.pg ?? process.env.WAYGATE_TEST_PG_URL;
const BIN = join(ROOT, 'bin/waygate.js');
const DAY = 86_400_000;
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function call(hubUrl, token, path) {
  const t0 = performance.now();
  const res = await request(`${hubUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.body.text();
  const ms = performance.now() - t0;
  if (res.statusCode !== 200)
    throw new Error(`GET ${path} answered ${res.statusCode}: ${body.slice(0, 300)}`);
  return { ms, body: JSON.parse(body) };
}

/** One warm-up call, then `REPS` timed ones; returns the median and the slowest. */
async function measure(hubUrl, token, path) {
  await call(hubUrl, token, path);
  const times = [];
  let last;
  for (let i = 0; i < REPS; i++) {
    last = await call(hubUrl, token, path);
    times.push(last.ms);
  }
  return { median: median(times), max: Math.max(...times), body: last.body };
}

async function runOne(dialect) {
  const tmp = mkdtempSync(join(tmpdir(), 'waygate-bench-console-'));
  let pg;
  const dbUrl =
    dialect === 'sqlite'
      ? `sqlite:${join(tmp, 'bench.db')}`
      : (pg = await freshPgDatabase(PG, 'waygate_bench_console')).url;
  // The master key of a PostgreSQL store lives under the working folder: seed and serve from tmp.
  const cwd = process.cwd();
  process.chdir(tmp);
  let hub;
  try {
    const store = await openStore(dbUrl, { cipher: localFieldCipher });
    const now = Date.now();
    const t0 = performance.now();
    let shown = 0;
    const written = await seedOrders(store, {
      count: ORDERS,
      now,
      progress: (done) => {
        if (done - shown >= ORDERS / 10 || done === ORDERS) {
          shown = done;
          process.stderr.write(`  ${dialect}: ${done.toLocaleString('en')} orders loaded\n`);
        }
      },
    });
    const seedS = (performance.now() - t0) / 1000;
    // A sample of real ids for the order page: one with tracking events (every 20th), one failed.
    const sample = await store.db
      .selectFrom('orders')
      .select(['id', 'external_id'])
      .where('external_id', 'in', ['SO-500001', 'SO-500002', `SO-${Math.min(ORDERS, 777_777)}`])
      .execute();
    // What autovacuum would have done by now on a live server.
    if (dialect === 'postgres') await sql`VACUUM ANALYZE`.execute(store.db);
    await store.close();
    // A person signed in, as in the console: a management account's session.
    const password = 'Bench-Console-Passw0rd!';
    execFileSync(
      process.execPath,
      [BIN, 'user', 'add', '--username', 'bench.manager', '--role', 'management', '--db', dbUrl],
      {
        cwd: tmp,
        input: `${password}\n`,
        env: { ...process.env, WAYGATE_LOG_LEVEL: 'error' },
      },
    );
    // The sandbox partners in-process: the seeded jobs wait a day or are dead, so the hub's
    // workers stay idle and only its probes run beside the measured calls.
    hub = start(process.execPath, [BIN, 'serve', '--port', '0', '--db', dbUrl, '--sandbox'], {
      ready: /listening on (\S+)/,
      cwd: tmp,
      env: { WAYGATE_LOG_LEVEL: 'error' },
      name: 'waygate serve',
    });
    const hubUrl = await hub.ready;
    const login = await request(`${hubUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench.manager', password }),
    });
    const { token } = await login.body.json();
    if (!token) throw new Error(`login answered ${login.statusCode}`);

    const iso = (ms) => new Date(ms).toISOString();
    const month = iso(now - 15 * DAY).slice(0, 7);
    const ops = [
      {
        group: 'console operation',
        limitMs: 1000,
        what: "an order's page",
        path: `/v1/orders/${sample[0].id}`,
      },
      {
        group: 'console operation',
        limitMs: 1000,
        what: 'the order list, first page',
        path: '/v1/orders?limit=50',
      },
      {
        group: 'complex filtered query',
        limitMs: 3000,
        what: 'status + channel + country + 30 days',
        path: `/v1/orders?status=in_transit&source=${SOURCES[2]}&country=${COUNTRIES[2]}&from=${iso(now - 30 * DAY)}&to=${iso(now)}&limit=50`,
      },
      {
        group: 'complex filtered query',
        limitMs: 3000,
        what: 'search by waybill number',
        path: `/v1/orders?q=WB${String(654321).padStart(10, '0')}&limit=50`,
      },
      {
        group: 'complex filtered query',
        limitMs: 3000,
        what: 'search by part of an external id',
        path: `/v1/orders?q=54321&limit=50`,
      },
      {
        group: 'complex filtered query',
        limitMs: 3000,
        what: 'search by external id, 30 days, failed',
        path: `/v1/orders?q=SO-98765&status=failed&from=${iso(now - 30 * DAY)}&limit=50`,
      },
      {
        group: 'statistics page',
        limitMs: 8000,
        what: 'service quality, 30 days per day',
        path: `/v1/stats/quality?from=${iso(now - 30 * DAY)}&to=${iso(now)}&bucket=1d`,
      },
      {
        group: 'statistics page',
        limitMs: 8000,
        what: 'service quality, 24 h per hour',
        path: `/v1/stats/quality?from=${iso(now - DAY)}&to=${iso(now)}&bucket=1h`,
      },
      {
        group: 'complex analysis',
        limitMs: 15000,
        what: `errors per partner, month ${month}`,
        path: `/v1/stats/partner-errors?month=${month}`,
      },
    ];
    const results = [];
    for (const op of ops) {
      const m = await measure(hubUrl, token, op.path);
      const rows =
        m.body.data?.length ?? m.body.partners?.length ?? m.body.totals?.received ?? (m.body.id ? 1 : 0);
      results.push({ ...op, ...m, rows });
      process.stderr.write(`  ${dialect}: ${op.what}: median ${fmt(m.median)}, max ${fmt(m.max)}\n`);
    }
    return { dialect, seedS, written, results };
  } finally {
    if (hub) await stop(hub.child);
    process.chdir(cwd);
    await pg?.drop();
    // WAYGATE_BENCH_KEEP=1 keeps the store for a look at the query plans.
    if (process.env.WAYGATE_BENCH_KEEP) process.stderr.write(`  kept ${tmp}\n`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

const dialects = values.db
  .split(',')
  .filter(
    (d) =>
      d === 'sqlite' ||
      (d === 'postgres' && (PG || console.error('postgres skipped: no --pg or WAYGATE_TEST_PG_URL'), PG)),
  );
const runs = [];
for (const d of dialects) runs.push(await runOne(d));

const lines = [
  `# Responsiveness on ${ORDERS.toLocaleString('en')} orders (${new Date().toISOString().slice(0, 10)})`,
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(
      ' / ',
    )} at the end (the machine is shared). Each figure: median and slowest of ${REPS} calls after one warm-up, through \`waygate serve\` over HTTP with a signed-in user's session, as the console calls it (the client's time, answer read in full).`,
  '',
];
for (const r of runs) {
  const w = r.written;
  lines.push(
    `## ${r.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    '',
    `Loaded ${w.orders.toLocaleString('en')} orders, ${w.order_history.toLocaleString('en')} history lines, ${w.shipments.toLocaleString('en')} shipments, ${w.tracking_events.toLocaleString('en')} tracking events and ${w.jobs.toLocaleString('en')} jobs in ${r.seedS.toFixed(1)} s (${Math.round(w.orders / r.seedS).toLocaleString('en')} orders/s).`,
    '',
    '| requirement | limit | aim (a tenth) | operation | median | slowest | within aim |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.results.map(
      (x) =>
        `| ${x.group} | ${fmt(x.limitMs)} | ${fmt(x.limitMs / 10)} | ${x.what} | ${fmt(x.median)} | ${fmt(x.max)} | ${x.max <= x.limitMs / 10 ? 'yes' : x.max <= x.limitMs ? 'within limit' : 'NO'} |`,
    ),
    '',
  );
}
const report = lines.join('\n');
process.stdout.write(`\n${report}\n`);
if (values.out !== '-') {
  const dir = values.out ?? join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `console-${new Date().toISOString().slice(0, 10)}${values.suffix}.md`);
  writeFileSync(file, `${report}\n`);
  process.stderr.write(`written ${file}\n`);
}
