#!/usr/bin/env node
// Spine benchmark: orders/s end to end (signed POST /v1/orders → waybill stored by the hub) and
// ingest latency, beside the physical limit measured in the same run: a bare pass-through to
// the same sandbox carrier with no persistence (bench/passthrough.mjs). Every process is
// separate: load client (this one), hub, pass-through, sandbox.
//   node bench/spine.mjs [--orders 3000] [--concurrency 64] [--rate 500] [--rate-seconds 5] [--db URL]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { openStore } from '../dist/store/db.js';
import { localFieldCipher } from '../dist/security/field-cipher.js';
import { signedHeaders } from '../dist/gateway/signature.js';
import { createApiKey } from './systems/waygate.mjs';
import { canonicalOrder } from './lib/load.mjs';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '64' },
    rate: { type: 'string', default: '500' },
    'rate-seconds': { type: 'string', default: '5' },
    db: { type: 'string' },
    out: { type: 'string' },
  },
});
const ORDERS = Number(values.orders);
const CONC = Number(values.concurrency);
const RATE = Number(values.rate);
const RATE_S = Number(values['rate-seconds']);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/waygate.js');
const tmp = mkdtempSync(join(tmpdir(), 'waygate-bench-'));
const dbUrl = values.db ?? `sqlite:${join(tmp, 'bench.db')}`;
const children = [];
const dispatcher = new Agent({ connections: CONC * 2 });

// WAYGATE_BENCH_PROFILE=DIR writes a V8 CPU profile of the hub process into DIR (open it in
// Chrome DevTools or speedscope) to find what to optimise next.
const PROFILE_DIR = process.env.WAYGATE_BENCH_PROFILE;

function start(file, args, pattern, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The hub finds the master key of a PostgreSQL store under its working folder.
    cwd: tmp,
    env: { ...process.env, WAYGATE_LOG_LEVEL: 'error' },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) resolve(m[1]);
    });
    child.on('exit', (c) => reject(new Error(`${file} ${args[0] ?? ''} exited ${c}`)));
  });
}

const pct = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0;
let counter = 0;
const order = (run) => canonicalOrder(`${run}-${++counter}`);

async function post(url, path, body, key) {
  const payload = JSON.stringify(body);
  const headers = {
    'content-type': 'application/json',
    ...(key ? signedHeaders(key, 'POST', path, payload) : {}),
  };
  const t0 = performance.now();
  const res = await request(`${url}${path}`, { method: 'POST', body: payload, headers, dispatcher });
  await res.body.dump();
  if (res.statusCode >= 300) throw new Error(`${path} answered ${res.statusCode}`);
  return performance.now() - t0;
}

/** Posts `count` orders with `CONC` in flight; returns per-request latencies (ms) and seconds. */
async function maxRate(url, path, key, count, run) {
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (next < count) {
        next++;
        lat.push(await post(url, path, order(run), key));
      }
    }),
  );
  return { lat: lat.sort((a, b) => a - b), seconds: (performance.now() - t0) / 1000 };
}

/** Posts at a fixed rate (open loop) for `seconds`; returns latencies. */
async function fixedRate(url, path, key, rate, seconds, run) {
  const lat = [];
  const pending = [];
  const t0 = performance.now();
  const total = rate * seconds;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(post(url, path, order(run), key).then((ms) => lat.push(ms)));
  }
  await Promise.all(pending);
  return lat.sort((a, b) => a - b);
}

async function waybills(store) {
  const r = await store.db
    .selectFrom('shipments')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  return Number(r.n);
}

let code = 1;
try {
  const sandboxUrl = await start(
    bin,
    ['sandbox', '--port', '0', '--step-ms', '3600000'],
    /listening on (\S+)/,
  );
  const key = createApiKey(dbUrl, tmp);
  const hubUrl = await start(
    bin,
    ['serve', '--port', '0', '--db', dbUrl, '--sandbox-url', sandboxUrl],
    /listening on (\S+)/,
    PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
  );
  const ptUrl = await start(
    join(root, 'bench/passthrough.mjs'),
    ['--sandbox-url', sandboxUrl],
    /listening on (\S+)/,
  );
  const store = await openStore(dbUrl, { migrate: false, cipher: localFieldCipher });

  // Warm up both paths (JIT, connection pools) before measuring.
  await maxRate(hubUrl, '/v1/orders', key, 200, 'warm');
  await maxRate(ptUrl, '/orders', null, 200, 'warm');
  while ((await waybills(store)) < 200) await new Promise((r) => setTimeout(r, 20));

  // End to end at maximum rate: from the first post to the last waybill stored.
  const before = await waybills(store);
  const t0 = performance.now();
  const hubIngest = await maxRate(hubUrl, '/v1/orders', key, ORDERS, 'max');
  while ((await waybills(store)) < before + ORDERS) await new Promise((r) => setTimeout(r, 10));
  const hubE2eS = (performance.now() - t0) / 1000;
  const pt = await maxRate(ptUrl, '/orders', null, ORDERS, 'max');

  // Ingest latency at a fixed rate.
  const hubFixed = await fixedRate(hubUrl, '/v1/orders', key, RATE, RATE_S, 'fixed');
  const ptFixed = await fixedRate(ptUrl, '/orders', null, RATE, RATE_S, 'fixed');
  const f = (n) => n.toFixed(1);
  const rows = [
    ['system', 'orders/s end to end (max rate)', `ingest p50 / p99 @ max (ms)`, `p50 / p99 @ ${RATE}/s (ms)`],
    [
      `Waygate (${store.dialect}${store.sqliteSynchronous ? `, synchronous=${store.sqliteSynchronous}` : ''})`,
      f(ORDERS / hubE2eS),
      `${f(pct(hubIngest.lat, 50))} / ${f(pct(hubIngest.lat, 99))}`,
      `${f(pct(hubFixed, 50))} / ${f(pct(hubFixed, 99))}`,
    ],
    [
      'limit: bare pass-through, no persistence',
      f(ORDERS / pt.seconds),
      `${f(pct(pt.lat, 50))} / ${f(pct(pt.lat, 99))}`,
      `${f(pct(ptFixed, 50))} / ${f(pct(ptFixed, 99))}`,
    ],
  ];
  const md = [
    `Spine benchmark — ${new Date().toISOString()} — ${cpus().length} cores, Node ${process.version}`,
    `${ORDERS} orders at ${CONC} in flight; fixed rate ${RATE}/s for ${RATE_S} s. Waygate counts an order done when its waybill is stored; the pass-through when the carrier answered.`,
    '',
    `| ${rows[0].join(' | ')} |`,
    `| ${rows[0].map(() => '---').join(' | ')} |`,
    ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
    '',
    `Waygate / limit throughput: ${f((100 * (ORDERS / hubE2eS)) / (ORDERS / pt.seconds))} %`,
  ].join('\n');
  process.stdout.write(`${md}\n`);
  if (values.out) {
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(values.out, `${md}\n`);
  }
  await store.close();
  code = 0;
} catch (err) {
  process.stderr.write(`benchmark failed: ${err.stack ?? err}\n`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await dispatcher.close();
  if (!values.db) rmSync(tmp, { recursive: true, force: true });
  process.exit(code);
}
