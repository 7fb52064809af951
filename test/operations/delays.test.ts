/**
 * Issue 15 must-show: a parcel that stops scanning gets a delay exception on its shipment and
 * its merchant a signed webhook within the lane's threshold (plus one check interval); the
 * exception is raised once, and written on the order's history.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { DIALECTS } from '../helpers/stores.js';
import { startHookReceiver } from '../helpers/receivers.js';
import { signWebhook } from '../../src/monitor/notify.js';
import { listShipmentExceptions } from '../../src/store/operations.js';
import { historyForOrder } from '../../src/store/orders.js';

const SECRET = 'merchant-hook-secret-0123456789';
const THRESHOLD_MS = 3000;

for (const dialect of DIALECTS) {
  describe(`a parcel that stops scanning (${dialect})`, () => {
    let h: Harness;
    let hooks: Awaited<ReturnType<typeof startHookReceiver>>;
    let dir: string;

    beforeAll(async () => {
      hooks = await startHookReceiver();
      dir = mkdtempSync(join(tmpdir(), 'waygate-delays-'));
      const file = join(dir, 'operations.yaml');
      writeFileSync(
        file,
        [
          'tierDefaults: false',
          'delays:',
          '  checkEvery: 250ms',
          '  lanes:',
          // The sandbox scans a parcel once a minute here: past 3 s without one it is late.
          `    - { carrier: carrier-alpha, destination: US, transit: 7d, noScanAfter: ${THRESHOLD_MS}ms }`,
          '  merchants:',
          `    sandbox-shop: { url: "${hooks.url}/delays", secret: "${SECRET}" }`,
          '',
        ].join('\n'),
      );
      h = await startHarness({ dialect, operations: { file } });
    }, 60_000);

    afterAll(async () => {
      await h?.close();
      await hooks?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('raises a no_scan exception and tells the merchant by signed webhook within the threshold', async () => {
      const [order] = h.usOrders(1);
      expect((await h.postOrder(order!)).status).toBe(202);
      await waitFor(async () => (await h.waybillCount()) === 1, 30_000, 'the waybill');
      const shipment = await h.hub.store.db.selectFrom('shipments').selectAll().executeTakeFirstOrThrow();
      const lastScan = shipment.last_event_at ?? shipment.created_at;

      await waitFor(() => hooks.hooks.length > 0, 20_000, 'the merchant webhook');
      const hook = hooks.hooks[0]!;
      const receivedAt = Date.now();
      // Within the threshold plus one check and the webhook's own trip.
      expect(receivedAt - lastScan).toBeLessThan(THRESHOLD_MS + 5000);
      expect(hook.headers['x-waygate-event']).toBe('shipment.delayed');
      const ts = Number(hook.headers['x-waygate-timestamp']);
      expect(hook.headers['x-waygate-signature']).toBe(signWebhook(SECRET, ts, hook.body));
      const body = JSON.parse(hook.body);
      expect(body.shipment).toMatchObject({
        id: shipment.id,
        waybillNo: shipment.waybill_no,
        carrier: 'carrier-alpha',
      });
      expect(body.exception.reason).toBe('no_scan');
      // Nothing personal travels to the merchant's endpoint beyond what identifies the parcel.
      expect(hook.body).not.toContain(order!.recipient.name);

      // Marked notified just after the merchant answered.
      await waitFor(
        async () =>
          (await listShipmentExceptions(h.hub.store.db, { shipmentId: shipment.id, limit: 10 }))[0]
            ?.notified_at != null,
        10_000,
        'the exception marked notified',
      );
      const [exception] = await listShipmentExceptions(h.hub.store.db, {
        shipmentId: shipment.id,
        limit: 10,
      });
      expect(exception).toMatchObject({ reason: 'no_scan', resolved_at: null });
      expect(exception!.notified_at).not.toBeNull();
      const history = await historyForOrder(h.hub.store.db, shipment.order_id);
      expect(history.map((e) => e.note).join('\n')).toMatch(/delay exception no_scan/);

      // Raised once: later checks neither duplicate it nor tell the merchant again.
      await new Promise((r) => setTimeout(r, 1000));
      expect(
        await listShipmentExceptions(h.hub.store.db, { shipmentId: shipment.id, limit: 10 }),
      ).toHaveLength(1);
      expect(hooks.hooks).toHaveLength(1);
    }, 90_000);
  });
}
