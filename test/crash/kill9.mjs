#!/usr/bin/env node
// Crash drill: the sandbox shop pushes N orders to a hub process, the hub is SIGKILLed while it
// works, restarted on the same store and port, and the drill then proves that every order got
// exactly one waybill and that no carrier saw a shipment created twice.
//
//   node test/crash/kill9.mjs [--orders 2000] [--db URL] [--kills 1] [--nodes 1]
// With --nodes 2 (PostgreSQL), two hub nodes share the store; the first is killed and not
// restarted: the survivor must finish its work.
// Prints one JSON object; exits 0 only when nothing was lost or duplicated.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openStore } from '../../dist/store/db.js';
import { localFieldCipher } from '../../dist/security/field-cipher.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '2000' },
    db: { type: 'string' },
    kills: { type: 'string', default: '1' },
    nodes: { type: 'string', default: '1' },
  },
});
const ORDERS = Number(values.orders);
const KILLS = Number(values.kills);
const NODES = Number(values.nodes);
const bin = fileURLToPath(new URL('../../bin/waygate.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'waygate-kill9-'));
const dbUrl = values.db ?? `sqlite:${join(tmp, 'hub.db')}`;
const children = new Set();
// The test runner ends a drill that runs too long with SIGTERM: take the sandbox and hubs along
// and remove the folder, instead of leaving them running.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
    process.exit(1);
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(args, readyPattern) {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WAYGATE_LOG_LEVEL: 'error' },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(readyPattern);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`${args[0]} exited ${code}: ${err.slice(-2000)}`)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const getJson = async (url, init) => (await fetch(url, init)).json();

async function counts(store) {
  const o = await store.db
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  const s = await store.db
    .selectFrom('shipments')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  return { orders: Number(o.n), waybills: Number(s.n) };
}

let exitCode = 1;
try {
  const sandbox = await start(['sandbox', '--port', '0', '--step-ms', '60000'], /listening on (\S+)/);
  const hubArgs = async () => [
    'serve',
    '--port',
    String(await freePort()),
    '--db',
    dbUrl,
    '--sandbox-url',
    sandbox.url,
  ];
  const argsOf = [];
  const hubs = [];
  for (let n = 0; n < NODES; n++) {
    argsOf.push(await hubArgs());
    hubs.push(await start(argsOf[n], /listening on (\S+)/));
  }
  const store = await openStore(dbUrl, { migrate: false, cipher: localFieldCipher });
  const started = Date.now();
  await getJson(`${sandbox.url}/__shop/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ count: ORDERS }),
  });

  const killedAt = [];
  for (let k = 1; k <= KILLS; k++) {
    // Kill while the hub is busy: after it stored part of the waybills, before it finished.
    const target = Math.floor((ORDERS * k) / (KILLS + 1));
    while ((await counts(store)).waybills < target) await sleep(20);
    const victim = hubs[0];
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));
    killedAt.push(await counts(store));
    // One node: restart it on the same port. Several: the survivors must finish on their own.
    if (NODES === 1) hubs[0] = await start(argsOf[0], /listening on (\S+)/);
    else hubs.shift();
  }

  const deadline = Date.now() + 240_000;
  let c = await counts(store);
  while ((c.orders < ORDERS || c.waybills < ORDERS) && Date.now() < deadline) {
    await sleep(200);
    c = await counts(store);
  }
  const perOrder = await store.db
    .selectFrom('orders')
    .leftJoin('shipments', 'shipments.order_id', 'orders.id')
    .select(['orders.id', (eb) => eb.fn.count('shipments.id').as('n')])
    .groupBy('orders.id')
    .execute();
  const stats = await getJson(`${sandbox.url}/__stats`);
  const carriers = Object.fromEntries(
    Object.entries(stats.carriers).map(([id, s]) => [
      id,
      {
        shipmentsCreated: s.shipmentsCreated,
        duplicateCreates: s.duplicateCreates,
        idempotentReplays: s.idempotentReplays,
      },
    ]),
  );
  const duplicateCreates = Object.values(carriers).reduce((n, s) => n + s.duplicateCreates, 0);
  const shipmentsCreated = Object.values(carriers).reduce((n, s) => n + s.shipmentsCreated, 0);
  const summary = {
    ordersPushed: ORDERS,
    ordersStored: c.orders,
    withExactlyOneWaybill: perOrder.filter((r) => Number(r.n) === 1).length,
    withoutWaybill: perOrder.filter((r) => Number(r.n) === 0).length,
    lost: ORDERS - c.orders,
    killedAt,
    carrierShipmentsCreated: shipmentsCreated,
    duplicateCreates,
    carriers,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    db: store.dialect,
    nodes: NODES,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  await store.close();
  exitCode =
    summary.lost === 0 &&
    summary.withExactlyOneWaybill === ORDERS &&
    duplicateCreates === 0 &&
    shipmentsCreated === ORDERS
      ? 0
      : 1;
} catch (err) {
  process.stderr.write(`kill9 drill failed: ${err.stack ?? err}\n`);
} finally {
  for (const child of children) child.kill('SIGKILL');
  // Made on every run (it holds the default database), so removed on every run.
  rmSync(tmp, { recursive: true, force: true });
  process.exit(exitCode);
}
