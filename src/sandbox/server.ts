/**
 * The sandbox: the interface test environment of [001-5.3.3]. One process serves a shop and
 * two carriers over real HTTP, each in its own dialect and auth scheme, with counters a test
 * or a partner developer can read at `GET /__stats`.
 */
import type { Server } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { FAULT_PARTNERS, makeSandboxCredentials, type SandboxCredentials } from './credentials.js';
import { createShop, type ShopPartner } from './shop.js';
import { createShopify, type ShopifyPartner } from './shopify.js';
import { createTaobaoTop, type TopPartner } from './taobao-top.js';
import { createTiktokShop, type TiktokPartner } from './tiktok-shop.js';
import { createCarrierAlpha } from './carrier-alpha.js';
import { createCarrierBeta } from './carrier-beta.js';
import { createFourpx } from './fourpx.js';
import { createYunExpress } from './yunexpress.js';
import { createUps } from './ups.js';
import { createCainiao } from './cainiao.js';
import { createAmazon, type AmazonPartner } from './amazon.js';
import { createYanwen } from './yanwen.js';
import { createWarehouse, type WarehousePartner } from './warehouse.js';
import { LastMileDesk } from './last-mile.js';
import { createCustoms, type CustomsOptions, type CustomsPartner, type CustomsStats } from './customs.js';
import { CHANNELS, FaultInjector, FaultSpecError, isChannel, parseFaultSpec } from './faults.js';
import type { SandboxContext, SandboxPartner } from './types.js';
import { registerBilling, SandboxBilling } from './billing.js';
import { registerBank } from './bank.js';
import { loadSandboxRateCards } from './rate-cards.js';

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** Milliseconds between tracking steps; 250 takes a parcel from label to delivered in ~4 s. */
  stepMs?: number;
  /** Share of billed parcels with a planted over-charge (default 0.1) and its randomness. */
  billing?: { overchargeShare?: number; random?: () => number };
  /** Source of randomness for the fault knobs errorRate and timeoutRate (default Math.random). */
  faultRandom?: () => number;
  /** The customs sandbox's clock, release delay and planted faults (customs.ts). */
  customs?: CustomsOptions;
  /**
   * Makes Shopify, Taobao TOP and Amazon make up the same orders (markets, buyers, items) at
   * every start: a test or demo whose outcome depends on where orders go can rely on it. Their
   * ids stay new at every start. Default: a new set of orders at every start.
   */
  orderSeed?: string;
}

export interface SandboxStats {
  carriers: Record<string, Record<string, unknown>>;
  shop: Record<string, unknown>;
  /** The real-dialect sales platforms (Shopify, Taobao TOP, Amazon SP-API). */
  platforms: Record<string, Record<string, unknown>>;
  warehouse: Record<string, unknown>;
  customs: CustomsStats;
}

export interface SandboxHandle {
  url: string;
  credentials: SandboxCredentials;
  shop: ShopPartner;
  /** Shopify in its own dialect: signed orders/create and orders/updated webhooks, fulfilments back. */
  shopify: ShopifyPartner;
  /** Taobao / Tmall TOP: signed sold-trade pull, logistics send back. */
  taobaoTop: TopPartner;
  /** TikTok Shop: signed order search/detail, packages shipped back, signed order webhooks. */
  tiktokShop: TiktokPartner;
  /** The overseas warehouse (stock, inbound receipts, outbound orders, returns). */
  warehouse: WarehousePartner;
  /** Amazon SP-API Orders (seed orders, read the shipment confirmations received). */
  amazon: AmazonPartner;
  /** China customs (CEB 2022-05) behind its transfer client: HTTP here, folders on request. */
  customs: CustomsPartner;
  /** The fault knobs also served at `/__faults`. */
  faults: FaultInjector;
  stats(): SandboxStats;
  /** The carriers' bills and what was planted in them. */
  billing: SandboxBilling;
  /** The listening HTTP server (tests watch requests arrive on it). */
  server: Server;
  close(): Promise<void>;
}

/** How often a closing sandbox closes the connections that went idle since the last look. */
const IDLE_SWEEP_MS = 50;
/** After this long the connections still busy are cut: a simulator owes nobody a last answer. */
const CLOSE_CUT_MS = 2000;

/**
 * Closes the server without waiting out keep-alive timeouts: Node closes idle connections once
 * when close() is called, so a connection busy at that moment would stay open after its answer
 * for the whole keep-alive timeout (72 s) and the close with it.
 */
async function closeServer(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
  const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_CUT_MS);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  let baseUrl = '';
  const ctx: SandboxContext = {
    credentials: makeSandboxCredentials(),
    stepMs: opts.stepMs ?? 250,
    baseUrl: () => baseUrl,
    ...(opts.orderSeed !== undefined ? { orderSeed: opts.orderSeed } : {}),
  };
  const faults = new FaultInjector(FAULT_PARTNERS, { random: opts.faultRandom });
  ctx.faults = faults;
  const billing = new SandboxBilling(loadSandboxRateCards(), {
    overchargeShare: opts.billing?.overchargeShare ?? 0.1,
    ...(opts.billing?.random ? { random: opts.billing.random } : {}),
  });
  ctx.ledger = billing.ledger;
  ctx.lastMile = new LastMileDesk();
  const shop = createShop(ctx);
  const shopify = createShopify(ctx);
  const taobaoTop = createTaobaoTop(ctx);
  const amazon = createAmazon(ctx);
  const tiktokShop = createTiktokShop(ctx);
  const platforms: SandboxPartner[] = [shopify, taobaoTop, amazon, tiktokShop];
  const carriers: SandboxPartner[] = [
    createCarrierAlpha(ctx),
    createCarrierBeta(ctx),
    createFourpx(ctx),
    createYunExpress(ctx),
    createUps(ctx),
    createCainiao(ctx),
    createYanwen(ctx),
  ];
  const warehouse = createWarehouse(ctx);
  const customs = createCustoms({ clientKey: ctx.credentials['china-ceb'].clientKey, ...opts.customs });
  for (const partner of [shop, ...platforms, ...carriers, warehouse, customs]) partner.register(app);

  const stats = (): SandboxStats => ({
    carriers: Object.fromEntries(carriers.map((c) => [c.id, c.stats()])),
    shop: shop.stats(),
    platforms: Object.fromEntries(platforms.map((p) => [p.id, p.stats()])),
    warehouse: warehouse.stats(),
    customs: customs.stats(),
  });

  registerBilling(app, billing);
  registerBank(app);
  app.get('/__health', async () => ({ ok: true }));
  app.get('/__stats', async () => stats());
  app.get('/__credentials', async (req, reply) => {
    // Test keys are handed out on loopback only, like a developer portal behind a login.
    if (!isLoopback(req.ip))
      return reply.code(403).send({ error: 'credentials are served on loopback only' });
    return ctx.credentials;
  });
  // Fault knobs per carrier + channel (see faults.ts and docs/sandbox.md).
  app.get('/__faults', async () => ({ faults: faults.list() }));
  app.post('/__faults', async (req, reply) => {
    try {
      const fault = parseFaultSpec(req.body, faults.partners);
      faults.set(fault);
      return { fault, faults: faults.list() };
    } catch (err) {
      if (err instanceof FaultSpecError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });
  app.delete<{ Querystring: { partner?: string; channel?: string } }>('/__faults', async (req, reply) => {
    const { partner, channel } = req.query;
    if (partner !== undefined && !faults.partners.includes(partner)) {
      return reply.code(400).send({ error: `partner must be one of ${faults.partners.join(', ')}` });
    }
    if (channel !== undefined && !isChannel(channel)) {
      return reply.code(400).send({ error: `channel must be one of ${CHANNELS.join(', ')}` });
    }
    const cleared = faults.clear({
      ...(partner !== undefined ? { partner } : {}),
      ...(channel !== undefined ? { channel } : {}),
    });
    return { cleared, faults: faults.list() };
  });
  // The shop's own fault knob: its inventory API refuses (503) while `stockUpdates` is 'fail'.
  app.post<{ Body: { stockUpdates?: unknown } }>('/__shop/faults', async (req, reply) => {
    const mode = req.body?.stockUpdates;
    if (mode !== 'fail' && mode !== 'ok')
      return reply.code(400).send({ error: "stockUpdates must be 'fail' or 'ok'" });
    shop.failStockUpdates(mode === 'fail');
    return { stockUpdates: mode };
  });
  app.post<{ Body: { count?: number; runId?: string } }>('/__shop/push', async (req, reply) => {
    const count = Number(req.body?.count ?? 1);
    if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
      return reply.code(400).send({ error: 'count must be an integer between 1 and 1000000' });
    }
    try {
      return reply.code(202).send(shop.push(count, req.body?.runId));
    } catch (err) {
      if (err instanceof RangeError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });

  const address = await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  baseUrl = address.replace('[::1]', '127.0.0.1');
  return {
    url: baseUrl,
    credentials: ctx.credentials,
    shop,
    shopify,
    taobaoTop,
    tiktokShop,
    warehouse,
    amazon,
    customs,
    faults,
    stats,
    billing,
    server: app.server,
    async close() {
      faults.close();
      await Promise.all([shop, ...platforms, ...carriers, warehouse, customs].map((p) => p.close()));
      await closeServer(app);
    },
  };
}
