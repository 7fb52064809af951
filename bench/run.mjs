#!/usr/bin/env node
// `npm run bench`: one run of every system on the same job on this machine, written to
// bench/results/compare-YYYY-MM-DD.md (table) and .png (chart). See bench/README.md.
//
//   node bench/run.mjs [--orders 3000] [--concurrency 64] [--rate 500] [--rate-seconds 5]
//                      [--only waygate-sqlite,waygate-postgres,n8n,node-red,passthrough]
//                      [--skip n8n] [--error-rate 0.005] [--pg postgres://…] [--out-dir DIR]
//   node bench/run.mjs --smoke     # < 2 minutes: Waygate on SQLite, the limits, small counts;
//                                  # no peers; writes to a temporary folder unless --out-dir
//
// The job, for every system: a fresh sandbox carrier process (`waygate sandbox`, same options,
// same fault knobs) → warm-up → N orders at maximum rate (throughput = N ÷ time from the first
// post to the last waybill stored; CPU and memory of the system's processes meanwhile) → a fixed
// rate for some seconds (ingest latency, and end-to-end latency order posted → waybill stored).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scratch } from './lib/proc.mjs';
import { measure } from './lib/job.mjs';
import { ROOT, waygateSystem } from './systems/waygate.mjs';
import { passthroughSystem } from './systems/passthrough.mjs';
import { n8nSystem } from './systems/n8n.mjs';
import { nodeRedSystem } from './systems/node-red.mjs';
import { sqliteWriteRates, pgWriteRates } from './limits/durable-writes.mjs';

const { values } = parseArgs({
  options: {
    orders: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    rate: { type: 'string' },
    'rate-seconds': { type: 'string' },
    only: { type: 'string' },
    skip: { type: 'string', default: '' },
    'error-rate': { type: 'string', default: '0.005' },
    pg: {
      type: 'string',
      default: process.env.WAYGATE_TEST_PG_URL ?? 'postgres://waygate@127.0.0.1:55432/postgres',
    },
    'out-dir': { type: 'string' },
    'done-timeout': { type: 'string', default: '900' },
    smoke: { type: 'boolean', default: false },
    'no-chart': { type: 'boolean', default: false },
  },
});
const SMOKE = values.smoke;
const ORDERS = Number(values.orders ?? (SMOKE ? 300 : 3000));
const RATE = Number(values.rate ?? (SMOKE ? 100 : 500));
const RATE_S = Number(values['rate-seconds'] ?? (SMOKE ? 2 : 5));
const WARM = SMOKE ? 50 : 200;
const CONC = Number(values.concurrency);
const ERROR_RATE = Number(values['error-rate']);
const DONE_TIMEOUT_MS = Number(values['done-timeout']) * 1000;
const ALL = ['waygate-sqlite', 'waygate-sqlite-pushes', 'waygate-postgres', 'n8n', 'node-red', 'passthrough'];
const selected = (
  values.only ? values.only.split(',') : SMOKE ? ['waygate-sqlite', 'passthrough'] : ALL
).filter((s) => !values.skip.split(',').includes(s));
for (const s of selected)
  if (!ALL.includes(s)) throw new Error(`unknown system ${s} (one of ${ALL.join(', ')})`);
const day = new Date().toISOString().slice(0, 10);
const outDir =
  values['out-dir'] ??
  (SMOKE ? mkdtempSync(join(tmpdir(), 'waygate-bench-smoke-')) : join(ROOT, 'bench/results'));
const say = (m) => process.stderr.write(`[bench] ${m}\n`);
const { tmp, log, finish } = scratch('waygate-bench-', say);

async function pgReachable(url) {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const f1 = (x) =>
  x === undefined || Number.isNaN(x) ? '—' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
const lat = (o) => (o ? `${f1(o.p50)} / ${f1(o.p99)}` : '—');

function table(results, limits, meta) {
  const ref = results.find((r) => r.id === 'waygate-sqlite' && r.ordersPerS);
  const limit = results.find((r) => r.id === 'passthrough' && r.ordersPerS);
  const head = [
    'system',
    'orders/s (max rate, end to end)',
    '÷ Waygate (SQLite)',
    '÷ limit (pass-through)',
    `ingest p50 / p99 @ ${RATE}/s (ms)`,
    `end to end p50 / p99 @ ${RATE}/s (ms)`,
    'peak RSS (MB)',
    'CPU s / 1,000 orders',
  ];
  const rows = results.map((r) => [
    r.label,
    r.error ? `failed: ${r.error}` : f1(r.ordersPerS),
    ref && r.ordersPerS ? `${(r.ordersPerS / ref.ordersPerS).toFixed(3)}×` : '—',
    limit && r.ordersPerS ? `${((100 * r.ordersPerS) / limit.ordersPerS).toFixed(1)} %` : '—',
    lat(r.ingest),
    lat(r.e2e),
    f1(r.peakRssMb),
    f1(r.cpuPer1000),
  ]);
  for (const l of limits) {
    const per = (x) => `${f1(x)} rows/s`;
    rows.push([
      `limit: durable writes, ${l.setting}, 1 row per transaction${l.connections ? ` (${l.connections} sessions)` : ''}`,
      per(l.single),
      ref ? `${(l.single / ref.ordersPerS).toFixed(1)}×` : '—',
      '—',
      '—',
      '—',
      '—',
      '—',
    ]);
    rows.push([
      `limit: durable writes, ${l.setting}, ${l.batch} rows per transaction`,
      per(l.batched),
      ref ? `${(l.batched / ref.ordersPerS).toFixed(1)}×` : '—',
      '—',
      '—',
      '—',
      '—',
      '—',
    ]);
  }
  const md = [
    `# Waygate against its peers and the limit — ${meta.when}`,
    '',
    `Machine: ${meta.cores} cores, ${meta.memGb} GB RAM, Node ${process.version}; load average at the start ${meta.load}. ` +
      'Other work was running on the machine at the same time, so the figures are noisy: compare systems within one run, not across runs.',
    '',
    `Job: ${ORDERS.toLocaleString('en-US')} orders at maximum rate (${CONC} in flight) after ${WARM} warm-up orders, then ${RATE}/s for ${RATE_S} s. ` +
      `Each system gets its own fresh sandbox carrier process (\`waygate sandbox --step-ms 3600000\`) with carrier-alpha answering ${(ERROR_RATE * 100).toFixed(1)} % of calls 503, ` +
      'so every system must retry. An order is done when its waybill is stored durably (the pass-through: when the carrier answered).',
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    'Durability of each system:',
    '',
    ...results.map((r) => `- ${r.label}: ${r.durability}.`),
    '',
    'CPU seconds per 1,000 orders over the maximum-rate phase of the machinery every system shares the machine with ' +
      '(the sandbox carrier; the benchmark process: load client and polling of the store):',
    '',
    ...results.map((r) =>
      r.sandboxCpuPer1000 !== undefined
        ? `- ${r.label}: sandbox ${r.sandboxCpuPer1000.toFixed(2)}, benchmark process ${r.clientCpuPer1000.toFixed(2)}`
        : `- ${r.label}: —`,
    ),
    '',
    'Carrier check (shipments created / duplicates / 503s injected; client errors):',
    '',
    ...results.map((r) =>
      r.carrier
        ? `- ${r.label}: ${r.carrier.shipmentsCreated} / ${r.carrier.duplicateCreates} / ${r.carrier.faultsInjected}; ${r.clientErrors}`
        : `- ${r.label}: —`,
    ),
    '',
    'Ingest latency counts from the moment an order was due (open loop), so a system that falls behind cannot hide it. ' +
      'End to end: from the post to the stored-at time the system wrote with the waybill (Waygate: shipments.created_at; ' +
      "Node-RED: the row it inserts; n8n: the execution's stoppedAt, set just before n8n saves it, which favours n8n slightly). " +
      "Peak RSS and CPU are those of the system's own processes (all descendants), sampled from /proc; not the sandbox, not the load client, not the PostgreSQL server. " +
      'CPU is measured over the maximum-rate phase.',
  ];
  return md.join('\n');
}

let code = 1;
try {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    say('dist/ is missing: npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const pgOk = await pgReachable(values.pg);
  const meta = {
    when: new Date().toISOString(),
    cores: cpus().length,
    memGb: Math.round(totalmem() / 2 ** 30),
    load: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
  const factories = {
    'waygate-sqlite': () => waygateSystem('sqlite'),
    'waygate-sqlite-pushes': () =>
      waygateSystem('sqlite', {
        pushes: true,
        id: 'waygate-sqlite-pushes',
        label: 'Waygate (SQLite) + tracking pushes',
      }),
    'waygate-postgres': () => waygateSystem('postgres', { pgAdminUrl: values.pg }),
    n8n: () => n8nSystem(),
    'node-red': () => nodeRedSystem(),
    passthrough: () => passthroughSystem(),
  };
  const results = [];
  for (const id of selected) {
    if (id === 'waygate-postgres' && !pgOk) {
      say(`skipping ${id}: no PostgreSQL at ${values.pg}`);
      continue;
    }
    results.push(
      await measure(factories[id](), {
        tmp,
        log,
        say,
        orders: ORDERS,
        warm: WARM,
        concurrency: CONC,
        rate: RATE,
        rateSeconds: RATE_S,
        errorRate: ERROR_RATE,
        doneTimeoutMs: DONE_TIMEOUT_MS,
      }),
    );
  }
  say('durable-write limits…');
  const limits = [sqliteWriteRates({ seconds: SMOKE ? 1 : 3 })];
  if (pgOk) limits.push(await pgWriteRates(values.pg, { seconds: SMOKE ? 1 : 3 }));

  const md = table(results, limits, meta);
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, `${SMOKE ? 'smoke' : 'compare'}-${day}`);
  writeFileSync(`${base}.md`, `${md}\n`);
  writeFileSync(
    `${base}.json`,
    `${JSON.stringify({ meta, job: { ORDERS, CONC, RATE, RATE_S, WARM, ERROR_RATE }, results, limits }, null, 2)}\n`,
  );
  process.stdout.write(`${md}\n\nwritten: ${base}.md\n`);
  if (!values['no-chart']) {
    const { ensureInstalled } = await import('./systems/peers.mjs');
    ensureInstalled('the chart renderer', say, 'chart');
    const { renderChart } = await import('./chart/render.mjs');
    await renderChart({ results, limits, rate: RATE }, `${base}.png`);
    process.stdout.write(`written: ${base}.png\n`);
  }
  const failed = results.filter((r) => r.error);
  code = failed.length ? 1 : 0;
} catch (err) {
  say(`benchmark failed: ${err.stack ?? err}`);
} finally {
  await finish(code);
}
