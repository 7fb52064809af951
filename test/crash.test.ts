/**
 * Crash safety: the hub process is SIGKILLed while it works through 2,000 orders and restarted
 * on the same store. Runs the CLI-level drill in test/crash/kill9.mjs against the built CLI.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

const run = promisify(execFile);
const drill = fileURLToPath(new URL('./crash/kill9.mjs', import.meta.url));

for (const dialect of DIALECTS) {
  describe(`kill -9 on ${dialect}`, () => {
    it(
      'loses no order and creates no shipment twice when the hub is killed mid-load',
      { timeout: 300_000 },
      async () => {
        const { url, drop } = await createTestDbUrl(dialect);
        try {
          const { stdout } = await run(process.execPath, [drill, '--orders', '2000', '--db', url], {
            timeout: 280_000,
          }).catch((err: { stdout?: string; stderr?: string }) => {
            throw new Error(`drill failed: ${err.stdout ?? ''} ${err.stderr ?? ''}`);
          });
          const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
          expect(summary.killedAt).toHaveLength(1);
          expect(summary.killedAt[0].waybills).toBeLessThan(2000);
          expect(summary).toMatchObject({
            ordersStored: 2000,
            withExactlyOneWaybill: 2000,
            lost: 0,
            duplicateCreates: 0,
            carrierShipmentsCreated: 2000,
          });
        } finally {
          await drop();
        }
      },
    );
  });
}

describe.runIf(DIALECTS.includes('postgres'))('two hub nodes on one PostgreSQL', () => {
  it(
    'finishes every order on the surviving node after the other is killed, with no duplicate',
    { timeout: 300_000 },
    async () => {
      const { url, drop } = await createTestDbUrl('postgres');
      try {
        const { stdout } = await run(
          process.execPath,
          [drill, '--orders', '2000', '--nodes', '2', '--db', url],
          { timeout: 280_000 },
        ).catch((err: { stdout?: string; stderr?: string }) => {
          throw new Error(`drill failed: ${err.stdout ?? ''} ${err.stderr ?? ''}`);
        });
        const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
        expect(summary).toMatchObject({
          nodes: 2,
          ordersStored: 2000,
          withExactlyOneWaybill: 2000,
          lost: 0,
          duplicateCreates: 0,
          carrierShipmentsCreated: 2000,
        });
      } finally {
        await drop();
      }
    },
  );
});
