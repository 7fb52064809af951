/**
 * TikTok Shop through the hub, on each store dialect, against the simulated TikTok Shop
 * (src/sandbox/tiktok-shop.ts, written apart from the connector): orders sold in the shop are
 * pulled over signed Search Orders pages, stored with their 18-digit ids exact, shipped, and
 * each shipped back to TikTok once as a package with the waybill — no signature refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSellerCatalogue } from '../src/cli/demo-platforms.js';
import { REAL_PARTNERS_CONFIG } from '../src/cli/demo.js';
import { startHub, type Hub } from '../src/hub/hub.js';
import { createLogger } from '../src/hub/logger.js';
import { sandboxHubConfig } from '../src/hub/sandbox-config.js';
import { startSandbox, type SandboxHandle } from '../src/sandbox/server.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const dialect of DIALECTS) {
  describe(`TikTok Shop orders pulled through the hub on ${dialect}`, () => {
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

    it('pulls every sold order exactly, ships it and marks its package shipped once with the waybill', async () => {
      const { externalIds } = sandbox.tiktokShop.sell(5);
      const stored = await waitFor('the orders to be stored', async () => {
        const rows = await hub.store.db
          .selectFrom('orders')
          .select(['id', 'external_id'])
          .where('source', '=', 'tiktok-shop')
          .execute();
        return rows.length >= externalIds.length ? rows : undefined;
      });
      expect(stored.map((r) => r.external_id).sort()).toEqual([...externalIds].sort());
      for (const { id, external_id } of stored) {
        const shipment = await waitFor('its waybill', async () =>
          hub.store.db.selectFrom('shipments').selectAll().where('order_id', '=', id).executeTakeFirst(),
        );
        const pkg = await waitFor('the package shipped at TikTok', async () =>
          sandbox.tiktokShop.packageOf(external_id),
        );
        expect(pkg.trackingNumber).toBe(shipment.waybill_no);
      }
      expect(sandbox.stats().platforms['tiktok-shop']).toMatchObject({
        shipped: 5,
        duplicateShipments: 0,
        signatureFailures: 0,
        authFailures: 0,
      });
    }, 180_000);
  });
}
