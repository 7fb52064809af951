/**
 * Partner pushes for the security suites: the real sandbox-shop and carrier-alpha connectors
 * behind a gateway, signed pushes sent as exact bytes, and the inbound worker lane to run them.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { LightMyRequestResponse } from 'fastify';
import { createConnector as createAlphaConnector } from '../../src/connectors/carriers/carrier-alpha/index.js';
import { signAlphaPayload } from '../../src/connectors/carriers/carrier-alpha/signature.js';
import type { HttpClient } from '../../src/connectors/http.js';
import { createConnector } from '../../src/connectors/platforms/sandbox-shop/index.js';
import { signShopBody } from '../../src/connectors/platforms/sandbox-shop/signature.js';
import type { PartnerDirectory } from '../../src/pipeline/partners.js';
import type { JobDeps } from '../../src/pipeline/jobs/index.js';
import { WorkerPool } from '../../src/pipeline/worker.js';
import { JobQueue } from '../../src/store/queue.js';
import { gatewayFor, type GatewayFixture } from './gateway.js';
import type { TestStore } from './stores.js';

export const SHOP_SECRET = 'shop_test_secret_do_not_use';
export const ALPHA_SECRET = 'whsec_alpha_test_do_not_use';

export const shopWebhookBody = readFileSync(
  new URL('../../src/connectors/platforms/sandbox-shop/fixtures/orders-create.webhook.json', import.meta.url),
  'utf8',
);
export const alphaPushBody = readFileSync(
  new URL('../../src/connectors/carriers/carrier-alpha/fixtures/tracking-push.alpha.json', import.meta.url),
  'utf8',
);

const noHttp: HttpClient = {
  send: () => Promise.reject(new Error('no partner calls in this test')),
  close: () => Promise.resolve(),
};

export const shop = createConnector(
  {
    partnerId: 'sandbox-shop',
    baseUrl: 'http://127.0.0.1:1',
    credentials: { webhookSecret: SHOP_SECRET, adminToken: 'x' },
  },
  noHttp,
);
export const alpha = createAlphaConnector(
  {
    partnerId: 'carrier-alpha',
    baseUrl: 'http://127.0.0.1:1',
    credentials: { apiToken: 'x', webhookSecret: ALPHA_SECRET },
  },
  noHttp,
);

const directory: PartnerDirectory = {
  carrier: (id) =>
    id === 'carrier-alpha' ? ({ primary: alpha } as ReturnType<PartnerDirectory['carrier']>) : undefined,
  carriers: () => [],
  routing: () => ({ rules: [], default: 'carrier-alpha' }),
  pollIntervalMs: () => 60_000,
  platform: (id) => (id === 'sandbox-shop' ? shop : undefined),
};

export async function pushGateway(store: TestStore): Promise<GatewayFixture> {
  return gatewayFor(store, {
    platforms: new Map([['sandbox-shop', shop]]),
    carriers: new Map([['carrier-alpha', alpha]]),
  });
}

export interface ShopPush {
  body: Buffer | string;
  /** What the signature covers; the body itself when absent. */
  signed?: Buffer | string;
  topic?: string;
  webhookId?: string;
}

export function sendShop(gw: GatewayFixture, p: ShopPush): Promise<LightMyRequestResponse> {
  const body = typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body;
  return gw.app.inject({
    method: 'POST',
    url: '/v1/webhooks/sandbox-shop/orders',
    payload: body,
    headers: {
      'content-type': 'application/json',
      'x-shop-topic': p.topic ?? 'orders/create',
      'x-shop-webhook-id': p.webhookId ?? 'wh-1',
      'x-shop-hmac-sha256': signShopBody(SHOP_SECRET, p.signed ?? body),
    },
  });
}

export function sendAlpha(
  gw: GatewayFixture,
  p: { body: Buffer | string; signed?: Buffer | string },
): Promise<LightMyRequestResponse> {
  const body = typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body;
  const t = Math.floor(Date.now() / 1000);
  return gw.app.inject({
    method: 'POST',
    url: '/v1/callbacks/carrier-alpha/tracking',
    payload: body,
    headers: {
      'content-type': 'application/json',
      'alpha-signature': `t=${t},v1=${signAlphaPayload(ALPHA_SECRET, t, p.signed ?? body)}`,
    },
  });
}

/** Runs the inbound lane until no inbound job is ready or leased. */
export async function drainInbound(store: TestStore): Promise<void> {
  const deps: JobDeps = { store, queue: new JobQueue(store), partners: () => directory };
  const pool = new WorkerPool('inbound', deps, pino({ level: 'silent' }), { idlePollMs: 10 });
  pool.start();
  try {
    for (let i = 0; i < 1000; i++) {
      const open = await store.db
        .selectFrom('jobs')
        .select('id')
        .where('kind', 'like', 'inbound.%')
        .where('status', 'in', ['ready', 'leased'])
        .execute();
      if (open.length === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the inbound lane did not drain');
  } finally {
    await pool.stop();
  }
}
