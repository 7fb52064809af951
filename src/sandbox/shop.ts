/**
 * The sandbox shop: a Shopify-like platform that pushes every new order to its subscribers as
 * an HMAC-signed webhook, at least once. Deliveries that fail are retried with backoff for ten
 * minutes, so a hub that was killed and restarted still receives every order; about 2 % of
 * successful deliveries are sent once more with the same webhook id, as real platforms do.
 *
 * Orders are not kept in memory: each is regenerated from its run and position (the generator
 * is seeded), so a push of a million orders costs a few bytes per order.
 */
import { createHmac, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Agent } from 'undici';
import { deliverOnce } from './deliver.js';
import { generateOrder, prng, type ShopOrder } from './shop-data.js';
import { createShopReturns, RETURN_REQUEST_TOPIC, type ShopReturns } from './shop-returns.js';
import type { SandboxContext, SandboxPartner } from './types.js';

export interface ShopPartner extends SandboxPartner {
  /** Generates `count` orders tagged with runId (generated when absent) and queues their webhooks. */
  push(count: number, runId?: string): { runId: string; externalIds: string[] };
  /** Orders of a run whose webhook the hub acknowledged with 2xx at least once. */
  delivered(runId: string): number;
  /** The stock the shop shows per SKU, as last set over its inventory API. */
  stockLevels(): Record<string, ShopStockLevel>;
  /** Fault knob: while set, the inventory API answers 503 without changing anything. */
  failStockUpdates(on: boolean): void;
  /** Buyers' return requests (pushed as `returns/request` webhooks) and the statuses told back. */
  returns: ShopReturns;
}

export interface ShopStockLevel {
  available: number;
  /** Where the seller's figure came from (`warehouse`, or `snapshot` with its age). */
  stockSource: string;
  stockAgeSeconds: number | null;
  updatedAt: string;
  updates: number;
}

export const SHOP_API_VERSION = '2025-01';
export const SHOP_DOMAIN = 'waygate-sandbox.myshop.test';
export const SUPPORTED_TOPICS = ['orders/create', RETURN_REQUEST_TOPIC] as const;
const ADMIN = `/shop/admin/api/${SHOP_API_VERSION}`;

const MAX_IN_FLIGHT = 16;
const BACKOFF_START_MS = 200;
const BACKOFF_CAP_MS = 2_000;
const GIVE_UP_AFTER_MS = 10 * 60_000;
const REDELIVERY_RATE = 0.02;
const ATTEMPT_TIMEOUT_MS = 10_000;
const RUN_ID_RE = /^[A-Za-z0-9_-]{1,40}$/;

interface Subscription {
  id: number;
  topic: string;
  address: string;
  format: 'json';
  createdAt: string;
  /** Next order (global sequence number) this subscriber has not been sent yet. */
  nextSeq: number;
  /** Last attempt failed: hold new orders back and only retry, until one delivery succeeds. */
  failing: boolean;
  /** First-time deliveries to this subscriber in flight or waiting for a retry. */
  outstanding: number;
}

interface Segment {
  firstSeq: number;
  count: number;
  runId: string;
  /** Position in the run of the segment's first order (a run id can be pushed again). */
  indexOffset: number;
  createdAtMs: number;
}

interface RunState {
  count: number;
  delivered: number;
}

interface Delivery {
  webhookId: string;
  seq: number;
  sub: Subscription;
  body: string;
  hmac: string;
  triggeredAt: string;
  attempt: number;
  firstAttemptAtMs: number;
  nextAtMs: number;
  redelivery: boolean;
}

function webhookJson(sub: Subscription) {
  return {
    id: sub.id,
    address: sub.address,
    topic: sub.topic,
    created_at: sub.createdAt,
    updated_at: sub.createdAt,
    format: sub.format,
    fields: [] as string[],
    metafield_namespaces: [] as string[],
    api_version: SHOP_API_VERSION,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function createShop(ctx: SandboxContext): ShopPartner {
  // Order ids look like a real platform's (15 digits) and differ between sandbox starts.
  const idBase = 100_000_000_000_000 + randomInt(0, 800_000) * 1_000_000_000;
  const subs: Subscription[] = [];
  const segments: Segment[] = [];
  const runs = new Map<string, RunState>();
  let delivered = new Uint8Array(1024);
  let total = 0;
  const retries: Delivery[] = [];
  let inFlight = 0;
  /** First-time deliveries created and not yet acknowledged or abandoned. */
  let open = 0;
  let rr = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let closed = false;
  const chance = prng(0x5eed5);
  const stock = new Map<string, ShopStockLevel>();
  let stockFailing = false;
  const stockCounters = { stockUpdates: 0, stockRefused: 0 };
  const agent = new Agent({ connections: MAX_IN_FLIGHT, keepAliveTimeout: 4_000 });
  const counters = {
    webhooksDelivered: 0,
    webhookAttempts: 0,
    webhookFailures: 0,
    redeliveries: 0,
    abandoned: 0,
  };

  const secret = () => ctx.credentials['sandbox-shop'].webhookSecret;
  const returns = createShopReturns({ secret, shopDomain: SHOP_DOMAIN, apiVersion: SHOP_API_VERSION });

  function segmentOf(seq: number): Segment | undefined {
    let lo = 0;
    let hi = segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = segments[mid] as Segment;
      if (seq < s.firstSeq) hi = mid - 1;
      else if (seq >= s.firstSeq + s.count) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  function orderAt(seq: number): ShopOrder | undefined {
    const seg = segmentOf(seq);
    if (!seg) return undefined;
    return generateOrder({
      id: idBase + seq,
      runId: seg.runId,
      index: seg.indexOffset + (seq - seg.firstSeq),
      createdAtMs: seg.createdAtMs,
    });
  }

  function newDelivery(seq: number, sub: Subscription): Delivery {
    const seg = segmentOf(seq) as Segment;
    const body = JSON.stringify(orderAt(seq));
    const now = Date.now();
    return {
      webhookId: randomUUID(),
      seq,
      sub,
      body,
      hmac: createHmac('sha256', secret()).update(body, 'utf8').digest('base64'),
      triggeredAt: new Date(seg.createdAtMs).toISOString(),
      attempt: 0,
      firstAttemptAtMs: now,
      nextAtMs: now,
      redelivery: false,
    };
  }

  function takeDueRetry(now: number): Delivery | undefined {
    let best = -1;
    for (let i = 0; i < retries.length; i++) {
      const d = retries[i] as Delivery;
      if (d.nextAtMs <= now && (best < 0 || d.nextAtMs < (retries[best] as Delivery).nextAtMs)) best = i;
    }
    return best < 0 ? undefined : retries.splice(best, 1)[0];
  }

  function takeFresh(): Delivery | undefined {
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[(rr + i) % subs.length] as Subscription;
      // A failing subscriber gets no new orders while retries are pending; once none is left
      // (all acknowledged or abandoned), the next new order is the probe.
      if ((!sub.failing || sub.outstanding === 0) && sub.nextSeq < total) {
        rr = (rr + i + 1) % subs.length;
        open++;
        sub.outstanding++;
        return newDelivery(sub.nextSeq++, sub);
      }
    }
    return undefined;
  }

  function scheduleTimer(): void {
    if (closed || retries.length === 0) return;
    const next = retries.reduce((m, d) => Math.min(m, d.nextAtMs), Infinity);
    if (timer && timerAt <= next) return;
    if (timer) clearTimeout(timer);
    timerAt = next;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerAt = Infinity;
        pump();
      },
      Math.max(0, next - Date.now()),
    );
    timer.unref();
  }

  function pump(): void {
    if (closed) return;
    const now = Date.now();
    while (inFlight < MAX_IN_FLIGHT) {
      const d = takeDueRetry(now) ?? takeFresh();
      if (!d) break;
      if (!d.redelivery && now - d.firstAttemptAtMs > GIVE_UP_AFTER_MS) {
        counters.abandoned++;
        open--;
        d.sub.outstanding--;
        continue;
      }
      void send(d);
    }
    scheduleTimer();
  }

  async function send(d: Delivery): Promise<void> {
    inFlight++;
    d.attempt++;
    counters.webhookAttempts++;
    if (d.redelivery && d.attempt === 1) counters.redeliveries++;
    const ok = await deliverOnce(
      agent,
      d.sub.address,
      {
        'content-type': 'application/json',
        'user-agent': 'SandboxShop-Hookshot-Webhook/1.0',
        'x-shop-topic': d.sub.topic,
        'x-shop-hmac-sha256': d.hmac,
        'x-shop-webhook-id': d.webhookId,
        'x-shop-shop-domain': SHOP_DOMAIN,
        'x-shop-triggered-at': d.triggeredAt,
        'x-shop-api-version': SHOP_API_VERSION,
      },
      d.body,
      ATTEMPT_TIMEOUT_MS,
    );
    inFlight--;
    if (closed) return;
    if (ok) succeeded(d);
    else failed(d);
    pump();
  }

  function succeeded(d: Delivery): void {
    d.sub.failing = false;
    if (d.redelivery) return;
    open--;
    d.sub.outstanding--;
    counters.webhooksDelivered++;
    if (delivered[d.seq] === 0) {
      delivered[d.seq] = 1;
      const seg = segmentOf(d.seq);
      const run = seg ? runs.get(seg.runId) : undefined;
      if (run) run.delivered++;
    }
    if (chance() < REDELIVERY_RATE) {
      const now = Date.now();
      retries.push({
        ...d,
        attempt: 0,
        redelivery: true,
        firstAttemptAtMs: now,
        nextAtMs: now + 100 + Math.floor(chance() * 900),
      });
    }
  }

  function failed(d: Delivery): void {
    counters.webhookFailures++;
    d.sub.failing = true;
    const base = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** Math.min(d.attempt - 1, 10));
    d.nextAtMs = Date.now() + Math.round(base * (0.8 + chance() * 0.4));
    // A re-delivery is a courtesy copy: it is retried like the original, but never for long.
    if (d.redelivery && Date.now() - d.firstAttemptAtMs > GIVE_UP_AFTER_MS) return;
    retries.push(d);
  }

  function authorised(req: FastifyRequest): boolean {
    const given = req.headers['x-shop-access-token'];
    if (typeof given !== 'string') return false;
    const a = Buffer.from(given, 'utf8');
    const b = Buffer.from(ctx.credentials['sandbox-shop'].adminToken, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  const requireToken = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!authorised(req)) {
      return reply.code(401).send({ errors: '[API] Invalid API key or access token' });
    }
  };

  function subscribe(topic: string, address: string): { sub: Subscription; created: boolean } {
    const existing = subs.find((s) => s.topic === topic && s.address === address);
    if (existing) return { sub: existing, created: false };
    const sub: Subscription = {
      id: 1_000_000_000 + randomInt(0, 999_999_999),
      topic,
      address,
      format: 'json',
      createdAt: new Date().toISOString(),
      // The first subscriber receives the backlog queued while nobody listened.
      nextSeq: subs.length === 0 ? 0 : total,
      failing: false,
      outstanding: 0,
    };
    subs.push(sub);
    return { sub, created: true };
  }

  return {
    id: 'sandbox-shop',

    register(app: FastifyInstance) {
      app.post<{ Body: unknown }>(
        `${ADMIN}/webhooks.json`,
        { onRequest: requireToken },
        async (req, reply) => {
          const body = req.body as {
            webhook?: { topic?: unknown; address?: unknown; format?: unknown };
          } | null;
          const hook = body && typeof body === 'object' ? body.webhook : undefined;
          if (!hook || typeof hook !== 'object') {
            return reply.code(400).send({ errors: { webhook: 'Required parameter missing or invalid' } });
          }
          const errors: Record<string, string[]> = {};
          const topic = typeof hook.topic === 'string' ? hook.topic : '';
          if (!(SUPPORTED_TOPICS as readonly string[]).includes(topic)) {
            errors.topic = [
              `Invalid topic specified: ${topic || '(blank)'}. Topics allowed: ${SUPPORTED_TOPICS.join(', ')}`,
            ];
          }
          const address = typeof hook.address === 'string' ? hook.address : '';
          if (!isHttpUrl(address)) errors.address = ['is not a valid http or https URL'];
          if (hook.format !== undefined && hook.format !== 'json')
            errors.format = ['is not included in the list'];
          if (Object.keys(errors).length > 0) return reply.code(422).send({ errors });
          if (topic === RETURN_REQUEST_TOPIC) {
            const r = returns.subscribe(address);
            const at = new Date().toISOString();
            return reply.code(r.created ? 201 : 200).send({
              webhook: {
                id: r.id,
                address,
                topic,
                created_at: at,
                updated_at: at,
                format: 'json',
                api_version: SHOP_API_VERSION,
              },
            });
          }
          const { sub, created } = subscribe(topic, address);
          pump();
          return reply.code(created ? 201 : 200).send({ webhook: webhookJson(sub) });
        },
      );

      app.get<{ Querystring: { topic?: string } }>(
        `${ADMIN}/webhooks.json`,
        { onRequest: requireToken },
        async (req) => ({
          webhooks: subs.filter((s) => !req.query.topic || s.topic === req.query.topic).map(webhookJson),
        }),
      );

      // Inventory API: the seller sets the sellable quantity of a SKU (absolute, last write wins).
      app.post<{ Body: unknown }>(
        `${ADMIN}/inventory_levels/set.json`,
        { onRequest: requireToken },
        async (req, reply) => {
          if (stockFailing) {
            stockCounters.stockRefused++;
            return reply.code(503).send({ errors: 'Service Unavailable' });
          }
          const level = (req.body as { inventory_level?: Record<string, unknown> } | null)?.inventory_level;
          const errors: Record<string, string[]> = {};
          const sku = level?.sku;
          const available = level?.available;
          const source = level?.stock_source ?? 'warehouse';
          const age = level?.stock_age_seconds ?? null;
          if (typeof sku !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/.test(sku))
            errors.sku = ['is invalid'];
          if (!Number.isSafeInteger(available) || (available as number) < 0)
            errors.available = ['must be a whole number, not negative'];
          if (source !== 'warehouse' && source !== 'snapshot')
            errors.stock_source = ['is not included in the list'];
          if (age !== null && (!Number.isSafeInteger(age) || (age as number) < 0))
            errors.stock_age_seconds = ['is invalid'];
          if (Object.keys(errors).length > 0 || typeof sku !== 'string')
            return reply.code(422).send({ errors });
          const prior = stock.get(sku);
          const next: ShopStockLevel = {
            available: available as number,
            stockSource: source === 'snapshot' ? 'snapshot' : 'warehouse',
            stockAgeSeconds: age as number | null,
            updatedAt: new Date().toISOString(),
            updates: (prior?.updates ?? 0) + 1,
          };
          stock.set(sku, next);
          stockCounters.stockUpdates++;
          return {
            inventory_level: {
              sku,
              available: next.available,
              stock_source: next.stockSource,
              stock_age_seconds: next.stockAgeSeconds,
              updated_at: next.updatedAt,
            },
          };
        },
      );

      returns.register(app, ADMIN, requireToken);

      app.get<{ Params: { file: string } }>(
        `${ADMIN}/orders/:file`,
        { onRequest: requireToken },
        async (req, reply) => {
          const m = /^(\d{1,16})\.json$/.exec(req.params.file);
          const id = m ? Number(m[1]) : NaN;
          const order = Number.isSafeInteger(id) && id >= idBase ? orderAt(id - idBase) : undefined;
          if (!order) return reply.code(404).send({ errors: 'Not Found' });
          return { order };
        },
      );
    },

    push(count, runId) {
      if (!Number.isInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
      const run = runId ?? randomBytes(3).toString('hex').toUpperCase();
      if (!RUN_ID_RE.test(run))
        throw new RangeError('runId must be 1-40 characters of A-Z, a-z, 0-9, _ or -');
      const state = runs.get(run) ?? { count: 0, delivered: 0 };
      runs.set(run, state);
      const firstSeq = total;
      segments.push({ firstSeq, count, runId: run, indexOffset: state.count, createdAtMs: Date.now() });
      state.count += count;
      total += count;
      if (total > delivered.length) {
        let size = delivered.length;
        while (size < total) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(delivered);
        delivered = grown;
      }
      const externalIds = Array.from({ length: count }, (_, i) => String(idBase + firstSeq + i));
      pump();
      return { runId: run, externalIds };
    },

    delivered(runId) {
      return runs.get(runId)?.delivered ?? 0;
    },

    stockLevels() {
      return Object.fromEntries(stock);
    },

    failStockUpdates(on) {
      stockFailing = on;
    },

    stats() {
      const unsent = subs.length === 0 ? total : subs.reduce((s, sub) => s + (total - sub.nextSeq), 0);
      return {
        ordersGenerated: total,
        webhooksDelivered: counters.webhooksDelivered,
        webhookAttempts: counters.webhookAttempts,
        webhookFailures: counters.webhookFailures,
        redeliveries: counters.redeliveries,
        pending: unsent + open,
        abandoned: counters.abandoned,
        subscriptions: subs.length,
        inFlight,
        ...stockCounters,
      };
    },

    returns,

    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      retries.length = 0;
      await returns.close();
      await agent.destroy();
    },
  };
}
