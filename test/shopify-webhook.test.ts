/**
 * Shopify's order webhook end to end through the hub's gateway, on each store dialect, against
 * the simulated Shopify (src/sandbox/shopify.ts): a signed `orders/create` is verified, stored
 * and accepted; its re-delivery (same X-Shopify-Webhook-Id, whatever its bytes) is acknowledged
 * as a duplicate, while two pushes with the same bytes but their own ids are both handled; an order id above 2^53 is kept exactly from the wire to the store to the fulfilment
 * sent back (the shop answers 404 for any other id); a body changed after signing, or signed
 * with another secret, is refused with 401 `partner_signature_invalid` and nothing is stored.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';

const FIXTURE = readFileSync(
  new URL('./fixtures/platform-flow/shopify-orders-create.json', import.meta.url),
  'utf8',
);
const sign = (secret: string, body: string | Buffer) =>
  createHmac('sha256', secret).update(body).digest('base64');

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const dialect of DIALECTS) {
  describe(`Shopify webhooks through the gateway on ${dialect}`, () => {
    let sandbox: SandboxHandle;
    let hub: Hub;
    let drop: () => Promise<void>;
    let secret: string;

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
      secret = sandbox.credentials.shopify.webhookSecret;
    }, 60_000);
    afterAll(async () => {
      await hub?.close();
      await sandbox?.close();
      await drop?.();
    });

    const post = async (body: string | Buffer, headers: Record<string, string>) => {
      const res = await request(`${hub.url}/v1/webhooks/shopify/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-shopify-topic': 'orders/create', ...headers },
        body,
      });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    };
    const counts = async () => ({
      messages: Number(
        (
          await hub.store.db
            .selectFrom('inbound_messages')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('partner_id', '=', 'shopify')
            .executeTakeFirstOrThrow()
        ).n,
      ),
      orders: Number(
        (
          await hub.store.db
            .selectFrom('orders')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('source', '=', 'shopify')
            .executeTakeFirstOrThrow()
        ).n,
      ),
    });

    it('keeps an order id above 2^53 exactly from the webhook to the store to the fulfilment sent back', async () => {
      const [id] = sandbox.shopify.push(1).externalIds;
      expect(BigInt(id!)).toBeGreaterThan(2n ** 53n);
      expect(String(Number(id))).not.toBe(id); // JSON.parse would have made it another order
      const order = await waitFor('the order to be stored', async () =>
        hub.store.db
          .selectFrom('orders')
          .select(['id', 'external_id'])
          .where('source', '=', 'shopify')
          .where('external_id', '=', id!)
          .executeTakeFirst(),
      );
      expect(order.external_id).toBe(id);
      const shipment = await waitFor('its waybill', async () =>
        hub.store.db.selectFrom('shipments').selectAll().where('order_id', '=', order.id).executeTakeFirst(),
      );
      const fulfilment = await waitFor('the fulfilment at Shopify', async () =>
        sandbox.shopify.fulfilmentOf(id!),
      );
      expect(fulfilment).toMatchObject({ number: shipment.waybill_no });
      expect(['4PX', 'UPS', 'YunExpress', 'Cainiao', 'Yanwen']).toContain(fulfilment.company);
      // As the parcel moves, Shopify hears of it until it is delivered.
      const events = await waitFor('the delivered event at Shopify', async () => {
        const f = sandbox.shopify.fulfilmentOf(id!);
        return f?.events.includes('delivered') ? f.events : undefined;
      });
      expect(events.at(-1)).toBe('delivered');
      expect(sandbox.stats().platforms.shopify).toMatchObject({ unknownIds: 0, duplicateFulfilments: 0 });
    }, 90_000);

    it('acknowledges a re-delivery with the same webhook id as a duplicate and stores the order once', async () => {
      const webhookId = randomUUID();
      const headers = { 'x-shopify-hmac-sha256': sign(secret, FIXTURE), 'x-shopify-webhook-id': webhookId };
      const first = await post(FIXTURE, headers);
      expect(first).toMatchObject({ status: 202, body: { status: 'queued' } });
      const again = await post(FIXTURE, headers);
      expect(again).toMatchObject({ status: 202, body: { status: 'duplicate', id: first.body.id } });
      const row = await waitFor('the fixture order', async () =>
        hub.store.db
          .selectFrom('orders')
          .select('external_id')
          .where('source', '=', 'shopify')
          .where('external_id', '=', '9007199254740993')
          .execute()
          .then((rows) => (rows.length > 0 ? rows : undefined)),
      );
      expect(row).toEqual([{ external_id: '9007199254740993' }]);
    }, 60_000);

    it('de-duplicates on X-Shopify-Webhook-Id alone: the same id with other bytes is a duplicate, another id with the same bytes is handled', async () => {
      const body = FIXTURE.replaceAll('9007199254740993', '9007199254740995');
      const reserialised = body.replace('"note": null', '"note": "leave at the door"');
      const jobOf = async (messageId: unknown) =>
        hub.store.db
          .selectFrom('jobs')
          .select('status')
          .where('dedupe_key', '=', `inbound.order:${String(messageId)}`)
          .executeTakeFirst();
      const before = await counts();
      const webhookId = randomUUID();
      const first = await post(body, {
        'x-shopify-hmac-sha256': sign(secret, body),
        'x-shopify-webhook-id': webhookId,
      });
      expect(first).toMatchObject({ status: 202, body: { status: 'queued' } });
      // Shopify re-delivers with the id of the first delivery, and its bytes need not be the same.
      const redelivered = await post(reserialised, {
        'x-shopify-hmac-sha256': sign(secret, reserialised),
        'x-shopify-webhook-id': webhookId,
      });
      expect(redelivered).toMatchObject({ status: 202, body: { status: 'duplicate', id: first.body.id } });
      // Two orders/updated with the same bytes but ids of their own are two pushes: both handled.
      const updates = [];
      for (const id of [randomUUID(), randomUUID()])
        updates.push(
          await post(body, {
            'x-shopify-topic': 'orders/updated',
            'x-shopify-hmac-sha256': sign(secret, body),
            'x-shopify-webhook-id': id,
          }),
        );
      for (const u of updates) expect(u).toMatchObject({ status: 202, body: { status: 'queued' } });
      expect(new Set(updates.map((u) => u.body.id)).size).toBe(2);
      // Each queued push was parsed and its order accepted: the job is done, not dead-lettered.
      for (const m of [first, ...updates])
        await waitFor('the push to be handled', async () => ((await jobOf(m.body.id)) ? undefined : true));
      const rows = await hub.store.db
        .selectFrom('orders')
        .select('external_id')
        .where('source', '=', 'shopify')
        .where('external_id', '=', '9007199254740995')
        .execute();
      expect(rows).toEqual([{ external_id: '9007199254740995' }]);
      expect((await counts()).messages - before.messages).toBe(3);
    }, 90_000);

    it('refuses any change to the signed body with a 4xx from the catalogue (401 partner_signature_invalid when still JSON) and stores nothing', async () => {
      const before = await counts();
      const bytes = Buffer.from(FIXTURE, 'utf8');
      const hmac = sign(secret, bytes);
      await fc.assert(
        fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
          const tampered = Buffer.from(bytes);
          tampered[at] = (tampered[at]! ^ flip) & 0xff;
          const res = await post(tampered, {
            'x-shopify-hmac-sha256': hmac,
            'x-shopify-webhook-id': randomUUID(),
          });
          // A flip that breaks the JSON is refused before the signature is read (400); any other
          // is refused by the signature (401). Either way a catalogue code, never a 5xx.
          const code = (res.body.error as { code?: string } | undefined)?.code ?? '';
          expect(Object.keys(ERROR_CATALOGUE)).toContain(code);
          if (res.status !== 400) {
            expect(res.status).toBe(401);
            expect(code).toBe('partner_signature_invalid');
          }
        }),
        { numRuns: 40 },
      );
      expect(await counts()).toEqual(before);
    }, 60_000);

    it('refuses a body signed with another secret, or unsigned, and stores nothing', async () => {
      const before = await counts();
      const body = FIXTURE.replace('9007199254740993', '9007199254740995');
      const attempts: Array<Record<string, string>> = [
        { 'x-shopify-hmac-sha256': sign(`${secret}x`, body) },
        { 'x-shopify-hmac-sha256': sign('', body) },
        // The right signature of the original body over a body whose id was changed.
        { 'x-shopify-hmac-sha256': sign(secret, FIXTURE) },
        {},
      ];
      for (const headers of attempts) {
        const res = await post(body, { ...headers, 'x-shopify-webhook-id': randomUUID() });
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error: { code: 'partner_signature_invalid' } });
      }
      expect(await counts()).toEqual(before);
    });
  });
}
