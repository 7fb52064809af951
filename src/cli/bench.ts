/**
 * `waygate bench`: Waygate's own part of the benchmark suite [003-6.2] [003-6.4] — the spine
 * (signed order in → waybill stored) beside the bare pass-through limit, run by bench/spine.mjs
 * in a child process so the hub, the sandbox and the load client stay separate processes. The
 * peers (n8n, Node-RED) run only under `npm run bench` in a source checkout.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SPINE = fileURLToPath(new URL('../../bench/spine.mjs', import.meta.url));

function positive(name: string, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
    return value;
  };
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('benchmark the spine: orders/s end to end and ingest latency, beside a bare pass-through')
    .option('--orders <n>', 'orders at maximum rate', positive('orders', 10_000_000), '3000')
    .option('--concurrency <n>', 'orders in flight at maximum rate', positive('concurrency', 4096), '64')
    .option('--rate <n>', 'orders/s of the fixed-rate phase', positive('rate', 100_000), '500')
    .option('--rate-seconds <n>', 'seconds of the fixed-rate phase', positive('rate-seconds', 3600), '5')
    .option('--db <url>', 'store: sqlite:PATH or postgres://… (default: a fresh SQLite file)')
    .option('--out <file>', 'also write the Markdown table to this file')
    .action(
      async (o: {
        orders: string;
        concurrency: string;
        rate: string;
        rateSeconds: string;
        db?: string;
        out?: string;
      }) => {
        if (!existsSync(SPINE)) {
          process.stderr.write(`waygate bench needs a source checkout: ${SPINE} is missing\n`);
          process.exitCode = 1;
          return;
        }
        const args = [
          SPINE,
          '--orders',
          o.orders,
          '--concurrency',
          o.concurrency,
          '--rate',
          o.rate,
          '--rate-seconds',
          o.rateSeconds,
          ...(o.db ? ['--db', o.db] : []),
          ...(o.out ? ['--out', o.out] : []),
        ];
        process.exitCode = await new Promise<number>((resolve) => {
          const child = spawn(process.execPath, args, { cwd: PACKAGE_ROOT, stdio: 'inherit' });
          child.on('exit', (code) => resolve(code ?? 1));
          child.on('error', () => resolve(1));
        });
      },
    );
}
