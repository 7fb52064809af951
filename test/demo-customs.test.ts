/**
 * The demo's customs act (`waygate demo`, src/cli/demo-customs.ts) on the sandbox config: orders
 * of cross-border-shop into CN (CEB311, 411, 511, 621) and out of it (CEB303, 505, 603) go through
 * the hub's customs jobs to the sandbox customs over HTTP; every message is answered, the one
 * planted fault (a buyer id failing the identity check) is the one rejection, the accepted
 * inventory lists are released, nothing is lost — on each store dialect.
 */
import { describe, expect, it } from 'vitest';
import { customsDemo } from '../src/cli/demo-customs.js';
import { formatSummary, type DemoSummary } from '../src/cli/demo.js';
import { startHub } from '../src/hub/hub.js';
import { createLogger } from '../src/hub/logger.js';
import { sandboxHubConfig } from '../src/hub/sandbox-config.js';
import { startSandbox } from '../src/sandbox/server.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

for (const dialect of DIALECTS) {
  describe(`demo customs act on ${dialect}`, () => {
    it('declares imports and exports: all answered, one planted rejection, lists released, none lost', async () => {
      const { url, drop } = await createTestDbUrl(dialect);
      const sandbox = await startSandbox({ port: 0, stepMs: 25 });
      const hub = await startHub({
        dbUrl: url,
        port: 0,
        config: sandboxHubConfig(sandbox.url, sandbox.credentials),
        logger: createLogger('warn'),
      });
      try {
        const customs = await customsDemo(hub, sandbox);
        // 3 imports with a payment (4 messages each) and 2 exports (3 each); the planted buyer's
        // inventory list is the one rejection; the other 4 lists are released.
        expect(customs).toEqual({ sent: 18, accepted: 17, rejected: 1, released: 4, lost: 0 });
        // The rejection carries customs' code and reason, the id number masked.
        const refused = sandbox.customs.declarations().filter((d) => d.state === 'refused');
        expect(refused).toHaveLength(1);
        expect(refused[0]).toMatchObject({ type: 'CEB621', code: '100' });
        expect(refused[0]!.info).toMatch(/^\[Code:C1301;.*3301\*{10}0031/);
        expect(sandbox.customs.stats()).toMatchObject({ invalid: 0, released: 4, received: 18 });
        const summary: DemoSummary = {
          ...{ orders: 0, waybills: 0, delivered: 0, failed: 0, trackingEvents: 0, lost: 0, duplicates: 0 },
          ...{ p50Ms: 0, p99Ms: 0, seconds: 0, db: dialect, partners: 'invented', perPartner: {} },
          customs,
        };
        const line = formatSummary(summary, 0);
        expect(line).toContain('18 sent, 17 accepted, 1 rejected (planted), 4 released, 0 lost');
      } finally {
        await hub.close();
        await sandbox.close();
        await drop();
      }
    }, 300_000);
  });
}
