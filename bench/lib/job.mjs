// The common job, the same for every system: a fresh sandbox carrier process → the system →
// warm-up → N orders at maximum rate (throughput = N ÷ time from the first post to the last
// waybill stored; CPU and peak memory of the system's processes) → a fixed rate for some seconds
// (ingest latency, and end-to-end latency from the post to the waybill stored).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, rssSampler, start, stop } from './proc.mjs';
import { LoadClient, pct, waitFor } from './load.mjs';
import { ROOT } from '../systems/waygate.mjs';

/** `waygate sandbox` in its own process; carrier-alpha answers `errorRate` of its calls 503. */
export async function startSandbox({ log, errorRate }) {
  const p = start(
    process.execPath,
    [join(ROOT, 'bin/waygate.js'), 'sandbox', '--port', '0', '--step-ms', '3600000'],
    {
      ready: /listening on (\S+)/,
      name: 'waygate sandbox',
      log,
    },
  );
  const url = await p.ready;
  if (errorRate > 0) {
    const res = await fetch(`${url}/__faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partner: 'carrier-alpha', channel: 'primary', errorRate }),
    });
    if (!res.ok) throw new Error(`sandbox refused the fault knobs: ${await res.text()}`);
  }
  const credentials = await (await fetch(`${url}/__credentials`)).json();
  return { url, credentials, child: p.child };
}

/**
 * Runs the job on `sys` (see bench/systems/*.mjs); returns its figures. A failure is recorded in
 * `error` rather than thrown, so one system's failure does not lose the others' figures.
 * @param o {{ tmp, log, say, orders, warm, concurrency, rate, rateSeconds, errorRate, doneTimeoutMs }}
 */
export async function measure(sys, o) {
  const say = o.say ?? (() => undefined);
  const sandbox = await startSandbox(o);
  const result = { id: sys.id, label: sys.label, durability: sys.durability };
  let client;
  let rss;
  try {
    const t0 = Date.now();
    const { targets } = await sys.start({
      sandboxUrl: sandbox.url,
      tmp: mkdtempSync(join(o.tmp, `${sys.id}-`)),
      log: o.log,
      credentials: sandbox.credentials,
    });
    say(`${sys.label}: up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    client = new LoadClient(targets, { concurrency: o.concurrency });
    const done = sys.synchronous ? async () => client.ok : () => sys.done();
    const base = await done();
    rss = rssSampler(() => sys.pids());
    const wait = (n, what) =>
      waitFor(done, base + n, { timeoutMs: o.doneTimeoutMs, what: `${sys.id} ${what}` });

    await client.maxRate('warm', o.warm);
    await wait(o.warm, 'warm-up orders');

    const cpu0 = cpuSeconds(sys.pids());
    // The machinery every system shares the two cores with, measured over the same phase.
    const sandboxCpu0 = cpuSeconds([sandbox.child.pid]);
    const clientCpu0 = process.cpuUsage();
    const tStart = Date.now();
    const max = await client.maxRate('max', o.orders);
    const tDone = await wait(o.warm + o.orders, 'orders at maximum rate');
    const cpu1 = cpuSeconds(sys.pids());
    const clientCpu = process.cpuUsage(clientCpu0);
    result.ordersPerS = o.orders / ((tDone - tStart) / 1000);
    result.ingestAtMax = { p50: pct(max.lat, 50), p99: pct(max.lat, 99) };
    result.cpuPer1000 = ((cpu1 - cpu0) / o.orders) * 1000;
    result.sandboxCpuPer1000 = ((cpuSeconds([sandbox.child.pid]) - sandboxCpu0) / o.orders) * 1000;
    // The benchmark process also polls the system's store for done orders: counted with the client.
    result.clientCpuPer1000 = ((clientCpu.user + clientCpu.system) / 1e6 / o.orders) * 1000;
    say(`${sys.label}: ${result.ordersPerS.toFixed(1)} orders/s end to end`);

    const fixed = await client.fixedRate('fixed', o.rate, o.rateSeconds);
    await wait(o.warm + o.orders + Math.round(o.rate * o.rateSeconds), 'orders at fixed rate');
    const e2e = sys.synchronous ? fixed : client.e2e('fixed', await sys.storedAt('fixed'));
    result.ingest = { p50: pct(fixed, 50), p99: pct(fixed, 99) };
    result.e2e = { p50: pct(e2e, 50), p99: pct(e2e, 99), n: e2e.length };
    result.peakRssMb = rss.stop() / 2 ** 20;
    const stats = await (await fetch(`${sandbox.url}/__stats`)).json();
    const alpha = stats.carriers['carrier-alpha'];
    result.carrier = {
      shipmentsCreated: alpha.shipmentsCreated,
      duplicateCreates: alpha.duplicateCreates,
      faultsInjected: alpha.channels?.primary?.faultsInjected ?? 0,
    };
    result.clientErrors = client.errors;
    say(
      `${sys.label}: ingest p50/p99 ${result.ingest.p50.toFixed(1)}/${result.ingest.p99.toFixed(1)} ms, ` +
        `e2e ${result.e2e.p50.toFixed(1)}/${result.e2e.p99.toFixed(1)} ms, peak RSS ${result.peakRssMb.toFixed(0)} MB`,
    );
  } catch (err) {
    result.error = String(err.message ?? err).split('\n')[0];
    if (rss) result.peakRssMb = rss.stop() / 2 ** 20;
    say(`${sys.label}: FAILED: ${err.message}`);
  } finally {
    await client?.close();
    await sys.stop();
    await stop(sandbox.child);
  }
  return result;
}
