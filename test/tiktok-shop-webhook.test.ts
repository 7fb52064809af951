/**
 * TikTok Shop's order pushes end to end through the hub's gateway, on each store dialect, against
 * the simulated TikTok Shop (src/sandbox/tiktok-shop.ts, written apart from the connector). An
 * ORDER_STATUS_CHANGE push carries only the order id and status: the hub verifies its
 * `Authorization` signature over the exact bytes, stores it, and reads the order back with Get
 * Order Detail (`orders.fetch`, through the platform runtime) into the same pipeline as a pulled
 * order — stored once with its 18-digit id exact, shipped, and marked shipped at TikTok once.
 * The hub here reads the feed only at start (pull interval one hour), so the orders of the first
 * case came by push alone; the second case has the pull take the orders first and the pushes
 * arrive after, the third case pushes first and pulls after: one order each, whatever the order
 * of arrival. A TikTok outage during the read counts on the platform's channel (the runtime's
 * breaker) and the fetch waits and retries. Re-deliveries are acknowledged as duplicates; later statuses fetch nothing; a
 * forged or mangled push is refused (401 partner_signature_invalid; 400 when no longer JSON) and
 * leaves nothing stored.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSellerCatalogue } from '../src/cli/demo-platforms.js';
import { REAL_PARTNERS_CONFIG } from '../src/cli/demo.js';
import { ERROR_CATALOGUE } from '../src/domain/error-catalogue.js';
import { startHub, type Hub } from '../src/hub/hub.js';
import { createLogger } from '../src/hub/logger.js';
import { sandboxHubConfig } from '../src/hub/sandbox-config.js';
import { startSandbox, type SandboxHandle } from '../src/sandbox/server.js';
import { listPullCursors } from '../src/store/platform-flow.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

const ID = 'tiktok-shop';

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

for (const dialect of DIALECTS) {
  describe(`TikTok Shop order pushes through the gateway on ${dialect}`, () => {
    let sandbox: SandboxHandle;
    let hub: Hub;
    let drop: () => Promise<void>;
    let hookUrl: string;
    let creds: { appKey: string; appSecret: string };

    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0, stepMs: 25 });
      const db = await createTestDbUrl(dialect);
      drop = db.drop;
      const config = sandboxHubConfig(sandbox.url, sandbox.credentials, REAL_PARTNERS_CONFIG);
      hub = await startHub({
        dbUrl: db.url,
        port: 0,
        // The feed is read once at start (empty) and then only when a case asks for it.
        config: { ...config, orders: { ...config.orders, pullIntervalMs: 3_600_000 } },
        logger: createLogger('silent'),
      });
      await loadSellerCatalogue(hub.store);
      hookUrl = `${hub.url}/v1/webhooks/${ID}/orders`;
      creds = sandbox.credentials[ID];
      // The start's read of the (empty) feed is done before any order is sold.
      await waitFor('the first read of the feed', async () =>
        (await listPullCursors(hub.store.db)).find((c) => c.partnerId === ID),
      );
    }, 120_000);
    afterAll(async () => {
      await hub?.close();
      await sandbox?.close();
      await drop?.();
    });

    /** A push signed here, by hand, as TikTok signs them: hex HMAC-SHA256(secret, app_key + body). */
    const post = async (body: string | Buffer, authorization?: string) => {
      const res = await request(hookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization !== undefined
            ? { authorization }
            : {
                authorization: createHmac('sha256', creds.appSecret)
                  .update(creds.appKey)
                  .update(body)
                  .digest('hex'),
              }),
        },
        body,
      });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    };
    const statusChange = (orderId: string, status: string, notification: string) =>
      JSON.stringify({
        type: 1,
        tts_notification_id: notification,
        shop_id: '7494049642642441621',
        timestamp: Math.floor(Date.now() / 1000),
        data: { order_id: orderId, order_status: status, is_on_hold_order: false, update_time: 1 },
      });
    const orders = async () =>
      hub.store.db.selectFrom('orders').select(['id', 'external_id']).where('source', '=', ID).execute();
    const messages = async () =>
      Number(
        (
          await hub.store.db
            .selectFrom('inbound_messages')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('partner_id', '=', ID)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const fetchJobs = async () =>
      hub.store.db
        .selectFrom('jobs')
        .select(['status', 'last_error'])
        .where('kind', '=', 'orders.fetch')
        .execute();
    const shippedAtTiktok = (ids: readonly string[]) =>
      waitFor('every package marked shipped at TikTok', async () => {
        const pkgs = ids.map((id) => sandbox.tiktokShop.packageOf(id));
        return pkgs.every(Boolean) ? pkgs : undefined;
      });
    const stats = () => sandbox.stats().platforms[ID] as Record<string, number>;
    const pullNow = async (atLeastSeen: number) => {
      await hub.store.db
        .updateTable('jobs')
        .set({ run_at: Date.now() })
        .where('kind', '=', 'orders.pull')
        .where('dedupe_key', '=', `orders.pull:${ID}`)
        .where('status', '=', 'ready')
        .execute();
      hub.pool.notify();
      await waitFor('the pull to read the feed', async () => {
        const c = (await listPullCursors(hub.store.db)).find((x) => x.partnerId === ID);
        return c && c.ordersSeen >= atLeastSeen ? c : undefined;
      });
    };

    it('fetches a pushed order, stores it once with its id exact, ships it and marks it shipped once', async () => {
      const { externalIds } = sandbox.tiktokShop.sell(3);
      expect(await sandbox.tiktokShop.pushStatusChanges(hookUrl, externalIds)).toEqual([202, 202, 202]);
      const stored = await waitFor('the pushed orders', async () => {
        const rows = await orders();
        return rows.length >= 3 ? rows : undefined;
      });
      expect(stored.map((r) => r.external_id).sort()).toEqual([...externalIds].sort());
      const pkgs = await shippedAtTiktok(externalIds);
      for (const [i, id] of externalIds.entries()) {
        const order = stored.find((r) => r.external_id === id)!;
        const shipment = await hub.store.db
          .selectFrom('shipments')
          .select('waybill_no')
          .where('order_id', '=', order.id)
          .executeTakeFirstOrThrow();
        expect(pkgs[i]?.trackingNumber).toBe(shipment.waybill_no);
      }
      // They came by push: the feed, read once at start, saw none of them.
      const cursor = (await listPullCursors(hub.store.db)).find((c) => c.partnerId === ID);
      expect(cursor?.ordersSeen ?? 0).toBe(0);

      // TikTok re-sends a push byte for byte: acknowledged, stored once, nothing more done.
      expect(await messages()).toBe(3);
      expect(await sandbox.tiktokShop.redeliver(hookUrl, externalIds)).toEqual([202, 202, 202]);
      const late = statusChange(externalIds[0]!, 'AWAITING_SHIPMENT', '7327000000000000001');
      const again = await post(late);
      const twice = await post(late);
      expect([again.body.status, twice.body.status]).toEqual(['queued', 'duplicate']);
      expect(await messages()).toBe(4);
      // The order moved on (IN_TRANSIT): its push is taken and fetches nothing.
      expect(await sandbox.tiktokShop.pushStatusChanges(hookUrl, externalIds)).toEqual([202, 202, 202]);
      await waitFor('the pushes handled', async () => ((await fetchJobs()).length === 0 ? true : undefined));
      expect(await orders()).toHaveLength(3);
      expect(stats()).toMatchObject({ shipped: 3, duplicateShipments: 0, signatureFailures: 0 });
    }, 180_000);

    it('stores once an order the pull took before its push arrived, and calls TikTok for nothing more', async () => {
      const before = (await orders()).length;
      const { externalIds } = sandbox.tiktokShop.sell(2);
      await pullNow(2);
      await shippedAtTiktok(externalIds);
      const detailQueries = stats().detailQueries;
      // A push delayed past the shipment, still saying AWAITING_SHIPMENT.
      for (const [i, id] of externalIds.entries())
        expect((await post(statusChange(id, 'AWAITING_SHIPMENT', `73271000000000000${i}`))).status).toBe(202);
      await waitFor('the pushes handled', async () =>
        (
          await hub.store.db
            .selectFrom('jobs')
            .select('id')
            .where('kind', 'in', ['inbound.order', 'orders.fetch'])
            .execute()
        ).length === 0
          ? true
          : undefined,
      );
      expect(await orders()).toHaveLength(before + 2);
      // The hub had the orders: the pushes read nothing back from TikTok.
      expect(stats().detailQueries).toBe(detailQueries);
      expect(stats()).toMatchObject({ shipped: 5, duplicateShipments: 0 });
    }, 180_000);

    it('stores once an order pushed and then pulled', async () => {
      const before = (await orders()).length;
      const { externalIds } = sandbox.tiktokShop.sell(2);
      await sandbox.tiktokShop.pushStatusChanges(hookUrl, externalIds);
      await waitFor('the pushed orders', async () =>
        (await orders()).length >= before + 2 ? true : undefined,
      );
      // Whatever the feed serves now (the orders shipped or not yet), nothing is stored twice.
      const seen = (await listPullCursors(hub.store.db)).find((c) => c.partnerId === ID)?.ordersSeen ?? 0;
      await pullNow(seen);
      await shippedAtTiktok(externalIds);
      expect(await orders()).toHaveLength(before + 2);
      expect(stats()).toMatchObject({ shipped: 7, duplicateShipments: 0 });
      expect((await fetchJobs()).filter((j) => j.status === 'dead')).toEqual([]);
    }, 180_000);

    it('reads a pushed order through the platform runtime: an outage counts on its channel, the fetch waits and the order arrives once', async () => {
      const channel = () => hub.partners().platformRuntime(ID)!.view().channels[0]!;
      const failuresBefore = channel().failures;
      const before = (await orders()).length;
      sandbox.faults.set({ partner: ID, channel: 'primary', outage: true });
      try {
        const { externalIds } = sandbox.tiktokShop.sell(1);
        expect(await sandbox.tiktokShop.pushStatusChanges(hookUrl, externalIds)).toEqual([202]);
        // TikTok answers 5xx (36009003): each read counts on the channel's breaker and is retried
        // on the policy's backoff; nothing is stored meanwhile.
        await waitFor('two failed reads on the channel', async () =>
          channel().failures >= failuresBefore + 2 ? true : undefined,
        );
        expect(await orders()).toHaveLength(before);
        // The fetch waits in the queue, not in the dead letters.
        const waiting = await fetchJobs();
        expect(waiting).toHaveLength(1);
        expect(waiting[0]?.status).not.toBe('dead');
      } finally {
        sandbox.faults.clear({ partner: ID });
      }
      await waitFor('the order read once TikTok is back', async () =>
        (await orders()).length === before + 1 ? true : undefined,
      );
      await waitFor('the fetch job done', async () => ((await fetchJobs()).length === 0 ? true : undefined));
      expect(await orders()).toHaveLength(before + 1);
    }, 120_000);

    it('refuses a forged or mangled push with 401 and stores nothing (fast-check)', async () => {
      const stored = await messages();
      const body = statusChange('576461413038785752', 'AWAITING_SHIPMENT', '7327999999999999999');
      const good = createHmac('sha256', creds.appSecret).update(creds.appKey).update(body).digest('hex');
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            // A byte of the body changed after signing.
            fc
              .record({ at: fc.nat({ max: body.length - 1 }), ch: fc.string({ minLength: 1, maxLength: 1 }) })
              .map(({ at, ch }) => ({
                body: body.slice(0, at) + (body[at] === ch ? '#' : ch) + body.slice(at + 1),
                auth: good,
              })),
            // Signed with another secret, or without the app key, or forged outright.
            fc.string({ minLength: 1, maxLength: 30 }).map((secret) => ({
              body,
              auth: createHmac('sha256', `${creds.appSecret}${secret}`)
                .update(creds.appKey + body)
                .digest('hex'),
            })),
            fc.constant({ body, auth: createHmac('sha256', creds.appSecret).update(body).digest('hex') }),
            fc.stringMatching(/^[0-9a-f]{0,70}$/).map((auth) => ({ body, auth })),
          ),
          async ({ body: b, auth }) => {
            const res = await post(b, auth);
            // A change that breaks the JSON is refused before the signature is read (400); any
            // other by the signature (401). Either way a catalogue code, never a 5xx.
            const code = (res.body.error as { code?: string } | undefined)?.code ?? '';
            expect(Object.keys(ERROR_CATALOGUE)).toContain(code);
            if (res.status !== 400) {
              expect(res.status).toBe(401);
              expect(code).toBe('partner_signature_invalid');
            }
          },
        ),
        { numRuns: 40 },
      );
      expect((await post(body, '')).status).toBe(401);
      expect(await messages()).toBe(stored);
    }, 120_000);
  });
}
