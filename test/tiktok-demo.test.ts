/**
 * The TikTok Shop act of `waygate demo --partners real` (src/cli/demo-tiktok.ts), on each store
 * dialect: orders announced by signed pushes (each re-delivered) and orders left to the pull all
 * end up stored once, delivered, marked shipped at TikTok once and told delivered — the figures
 * the summary and --json print for `tiktok-shop`, as the simulated TikTok Shop counted them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSellerCatalogue } from '../src/cli/demo-platforms.js';
import { REAL_PARTNERS_CONFIG } from '../src/cli/demo.js';
import { tiktokDemo, tiktokOrderCount } from '../src/cli/demo-tiktok.js';
import { startHub, type Hub } from '../src/hub/hub.js';
import { createLogger } from '../src/hub/logger.js';
import { sandboxHubConfig } from '../src/hub/sandbox-config.js';
import { startSandbox, type SandboxHandle } from '../src/sandbox/server.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

for (const dialect of DIALECTS) {
  describe(`the demo's TikTok Shop act on ${dialect}`, () => {
    let sandbox: SandboxHandle;
    let hub: Hub;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0, stepMs: 25 });
      const db = await createTestDbUrl(dialect);
      drop = db.drop;
      hub = await startHub({
        dbUrl: db.url,
        port: 0,
        config: sandboxHubConfig(sandbox.url, sandbox.credentials, REAL_PARTNERS_CONFIG),
        logger: createLogger('silent'),
      });
      await loadSellerCatalogue(hub.store);
    }, 60_000);
    afterAll(async () => {
      await hub?.close();
      await sandbox?.close();
      await drop?.();
    });

    it('takes every order once whether pushed, re-delivered, pulled or all three, and reports it', async () => {
      const sold = tiktokOrderCount(16);
      const pushed = Math.ceil(sold / 2);
      const figures = await tiktokDemo(hub, sandbox, 16, 120_000);
      expect(figures).toMatchObject({
        kind: 'platform',
        orders: sold,
        stored: sold,
        lost: 0,
        delivered: sold,
        // First pushes, their re-deliveries and the later-status pushes, all answered 202.
        webhooks: pushed * 2 + sold,
        webhooksRefused: 0,
        redeliveries: pushed,
        updates: sold,
        fulfilments: sold,
        duplicates: 0,
        signatureFailures: 0,
        deliveredTold: sold,
      });
      // The pull read at least the orders never pushed.
      expect(figures.pulledOrders).toBeGreaterThanOrEqual(sold - pushed);
    }, 180_000);
  });
}
