#!/usr/bin/env node
// Scaling: Waygate's throughput and p99 as the work grows, with the same job as bench/run.mjs.
//   - store size: 0, 10k, 100k, 1M finished orders already in the SQLite store (bench/lib/prefill.mjs);
//   - workers: jobs in flight per node (`waygate serve --concurrency N`), 1, 2, 4 and the default;
//   - hub nodes: 1 vs 2 `waygate serve` processes on one PostgreSQL database, the client alternating.
// Writes bench/results/scaling-YYYY-MM-DD.md.
//   node bench/scaling.mjs [--orders 3000] [--sizes 10000,100000,1000000] [--workers 1,2,4]
//                          [--nodes 1,2] [--rate 500] [--rate-seconds 5] [--pg URL] [--out-dir DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scratch } from './lib/proc.mjs';
import { measure } from './lib/job.mjs';
import { ROOT, waygateSystem } from './systems/waygate.mjs';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '3000' },
    sizes: { type: 'string', default: '10000,100000,1000000' },
    workers: { type: 'string', default: '1,2,4' },
    nodes: { type: 'string', default: '1,2' },
    concurrency: { type: 'string', default: '64' },
    rate: { type: 'string', default: '500' },
    'rate-seconds': { type: 'string', default: '5' },
    'error-rate': { type: 'string', default: '0.005' },
    pg: {
      type: 'string',
      default: process.env.WAYGATE_TEST_PG_URL ?? 'postgres://waygate@127.0.0.1:55432/postgres',
    },
    'out-dir': { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const list = (s) => (s ? s.split(',').filter(Boolean).map(Number) : []);
const say = (m) => process.stderr.write(`[scaling] ${m}\n`);
const { tmp, log, finish } = scratch('waygate-scaling-', say);
const job = {
  tmp,
  log,
  say,
  orders: Number(values.orders),
  warm: 200,
  concurrency: Number(values.concurrency),
  rate: Number(values.rate),
  rateSeconds: Number(values['rate-seconds']),
  errorRate: Number(values['error-rate']),
  doneTimeoutMs: 900_000,
};
const f1 = (x) =>
  x === undefined || Number.isNaN(x) ? '—' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
const k = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

const sections = [];
async function section(title, what, cases) {
  const rows = [];
  for (const [name, sys] of cases) {
    const t0 = Date.now();
    const r = await measure(sys, job);
    rows.push([
      name,
      r.error ? `failed: ${r.error}` : f1(r.ordersPerS),
      r.ingest ? `${f1(r.ingest.p50)} / ${f1(r.ingest.p99)}` : '—',
      r.e2e ? `${f1(r.e2e.p50)} / ${f1(r.e2e.p99)}` : '—',
      f1(r.peakRssMb),
      f1(r.cpuPer1000),
      f1((Date.now() - t0) / 1000),
    ]);
  }
  const head = [
    what,
    'orders/s end to end',
    `ingest p50 / p99 @ ${job.rate}/s (ms)`,
    `end to end p50 / p99 @ ${job.rate}/s (ms)`,
    'peak RSS (MB)',
    'CPU s / 1,000 orders',
    'case took (s, incl. pre-fill)',
  ];
  sections.push(
    [
      `## ${title}`,
      '',
      `| ${head.join(' | ')} |`,
      `| ${head.map(() => '---').join(' | ')} |`,
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      '',
    ].join('\n'),
  );
}

let code = 1;
try {
  const started = new Date().toISOString();
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  await section('Orders already in the store (SQLite, every commit fsynced)', 'orders in the store', [
    ['0', waygateSystem('sqlite')],
    ...list(values.sizes).map((n) => [
      k(n),
      waygateSystem('sqlite', { prefill: n, id: `waygate-sqlite-${k(n)}` }),
    ]),
  ]);
  await section('Workers: jobs in flight per node (`waygate serve --concurrency N`, SQLite)', 'workers', [
    ...list(values.workers).map((n) => [
      String(n),
      waygateSystem('sqlite', { serveArgs: ['--concurrency', String(n)], id: `waygate-w${n}` }),
    ]),
    ['96 (default)', waygateSystem('sqlite', { id: 'waygate-wdefault' })],
  ]);
  await section('Hub nodes on one PostgreSQL database (the client alternates between them)', 'hub nodes', [
    ...list(values.nodes).map((n) => [
      String(n),
      waygateSystem('postgres', { pgAdminUrl: values.pg, nodes: n, id: `waygate-pg-${n}n` }),
    ]),
  ]);
  const md = [
    `# Waygate scaling — ${started}`,
    '',
    `Machine: ${cpus().length} cores, Node ${process.version}; load average at the start ${load}. Other work was running on the machine at the same time, so the figures are noisy.`,
    '',
    `Each case is the job of \`npm run bench\`: a fresh sandbox carrier (carrier-alpha answering ${(job.errorRate * 100).toFixed(1)} % of calls 503), ` +
      `${job.warm} warm-up orders, ${job.orders.toLocaleString('en-US')} orders at maximum rate (${job.concurrency} in flight), then ${job.rate}/s for ${job.rateSeconds} s. ` +
      'Pre-filled orders are finished ones (order, history, shipment, tracking event, carrier push), cloned from one real order by bench/lib/prefill.mjs.',
    '',
    ...sections,
  ].join('\n');
  mkdirSync(values['out-dir'], { recursive: true });
  const file = join(values['out-dir'], `scaling-${started.slice(0, 10)}.md`);
  writeFileSync(file, `${md}\n`);
  process.stdout.write(`${md}\nwritten: ${file}\n`);
  code = 0;
} catch (err) {
  say(`scaling failed: ${err.stack ?? err}`);
} finally {
  await finish(code);
}
