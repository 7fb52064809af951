/**
 * Shopify, simulated under `/shopify`: the Admin REST API a connector calls (webhook
 * subscriptions, orders, fulfillment orders, fulfillments, tracking updates and fulfillment
 * events, `X-Shopify-Access-Token`) and the `orders/create` / `orders/updated` webhooks the shop
 * sends to its subscribers — the raw body signed with base64 HMAC-SHA256 of the app's client
 * secret in `X-Shopify-Hmac-Sha256`, each delivery named by `X-Shopify-Webhook-Id`, retried
 * with backoff until acknowledged, and about one in ten acknowledged deliveries sent again with
 * the same webhook id and body, as Shopify does.
 *
 * Order, line item and fulfilment ids are above 2^53 (written as bare JSON numbers, as Shopify
 * does): a receiver that reads them with JSON.parse gets another id, and the shop answers 404
 * when that id comes back. Written from Shopify's public documentation, apart from the connector.
 */
import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { Agent } from 'undici';
import { deliverOnce } from './deliver.js';
import { generateOrder, prng } from './shop-data.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const ID = 'shopify';
export const SHOPIFY_SHOP_DOMAIN = 'waygate-sandbox.myshopify.com';
export const SHOPIFY_TOPICS = ['orders/create', 'orders/updated'] as const;
const API_VERSION_RE = /^\d{4}-(01|04|07|10)$/;
const MAX_IN_FLIGHT = 16;
const MAX_ATTEMPTS = 19;
const BACKOFF_START_MS = 100;
const BACKOFF_CAP_MS = 2_000;
const ATTEMPT_TIMEOUT_MS = 10_000;
const REDELIVERY_RATE = 0.1;
const UPDATED_RATE = 0.15;
/** FulfillmentEvent.status values Shopify documents. */
const EVENT_STATUSES = new Set([
  'label_printed',
  'label_purchased',
  'attempted_delivery',
  'ready_for_pickup',
  'confirmed',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'failure',
  'carrier_picked_up',
  'picked_up',
  'delayed',
]);

type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);
/** An id as its exact decimal digits, from a lossless-json number or a string of digits. */
const idOf = (v: unknown): string | undefined => {
  const t = isLosslessNumber(v) ? v.toString() : typeof v === 'string' ? v : undefined;
  return t !== undefined && /^[1-9]\d{0,19}$/.test(t) ? t : undefined;
};
const num = (digits: string) => new LosslessNumber(digits);

interface ShopifyOrder {
  id: string;
  body: J;
  fulfillmentOrderId: string;
  fulfillmentOrderStatus: 'open' | 'closed';
  fulfillmentId?: string;
  tracking?: { number: string; company: string };
  events: string[];
}

interface Delivery {
  webhookId: string;
  topic: string;
  address: string;
  body: string;
  hmac: string;
  attempt: number;
  nextAtMs: number;
  orderId: string;
  redelivery: boolean;
}

export interface ShopifyPartner extends SandboxPartner {
  /** Creates `count` orders and sends their `orders/create` webhooks; returns their ids (exact digits). */
  push(count: number): { externalIds: string[] };
  /** The fulfilment the hub created for an order: tracking number and company, events posted. */
  fulfilmentOf(
    orderId: string,
  ): { id: string; number: string; company: string; events: string[] } | undefined;
}

export function createShopify(ctx: SandboxContext): ShopifyPartner {
  // 2^53 + a random offset: every id of this start is beyond what a double holds exactly.
  const idBase = 2n ** 53n + BigInt(randomInt(1, 1_000_000)) * 1_000_000n;
  let seq = 0;
  const runId = ctx.orderSeed !== undefined ? `${ctx.orderSeed}-shopify` : randomUUID().slice(0, 8);
  const orders = new Map<string, ShopifyOrder>();
  const byFulfillmentOrder = new Map<string, string>();
  const byFulfillment = new Map<string, string>();
  const subs: Array<{ id: string; topic: string; address: string }> = [];
  const queue: Delivery[] = [];
  const chance = prng(0x5f0b1f7);
  const agent = new Agent({ connections: MAX_IN_FLIGHT, keepAliveTimeout: 4_000 });
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const counters = {
    calls: 0,
    ordersCreated: 0,
    webhookAttempts: 0,
    webhooksDelivered: 0,
    webhookFailures: 0,
    redeliveries: 0,
    updatesSent: 0,
    abandoned: 0,
    fulfilmentsCreated: 0,
    duplicateFulfilments: 0,
    trackingUpdates: 0,
    fulfilmentEvents: 0,
    unknownIds: 0,
    authFailures: 0,
  };
  const secret = () => ctx.credentials.shopify.webhookSecret;

  function sign(body: string): string {
    return createHmac('sha256', secret()).update(body, 'utf8').digest('base64');
  }

  function makeOrder(): ShopifyOrder {
    const n = seq++;
    const id = String(idBase + BigInt(n) * 3n + 1n);
    const created = Date.now();
    const g = generateOrder({ id: 1, runId, index: n, createdAtMs: created });
    const body: J = {
      ...g,
      id: num(id),
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${1001 + n}`,
      // Shopify line items carry no HS code or origin: the seller's catalogue does.
      line_items: g.line_items.map((li, i) => {
        const { harmonized_system_code: _hs, country_code_of_origin: _origin, ...rest } = li;
        const lineId = String(idBase * 2n + BigInt(n) * 8n + BigInt(i));
        return {
          ...rest,
          id: num(lineId),
          admin_graphql_api_id: `gid://shopify/LineItem/${lineId}`,
          fulfillable_quantity: li.quantity,
          fulfillment_service: 'manual',
        };
      }),
    };
    const fo = String(idBase * 3n + BigInt(n));
    const order: ShopifyOrder = {
      id,
      body,
      fulfillmentOrderId: fo,
      fulfillmentOrderStatus: 'open',
      events: [],
    };
    orders.set(id, order);
    byFulfillmentOrder.set(fo, id);
    counters.ordersCreated++;
    return order;
  }

  function enqueue(order: ShopifyOrder, topic: string, redelivery = false, same?: Delivery): void {
    for (const sub of subs) {
      if (sub.topic !== topic) continue;
      const body = same?.body ?? stringify(order.body) ?? '';
      queue.push({
        webhookId: same?.webhookId ?? randomUUID(),
        topic,
        address: sub.address,
        body,
        hmac: same?.hmac ?? sign(body),
        attempt: 0,
        nextAtMs: Date.now() + (redelivery ? 50 + Math.floor(chance() * 400) : 0),
        orderId: order.id,
        redelivery,
      });
    }
    pump();
  }

  function pump(): void {
    if (closed) return;
    const now = Date.now();
    queue.sort((a, b) => a.nextAtMs - b.nextAtMs);
    while (inFlight < MAX_IN_FLIGHT && queue.length > 0 && (queue[0] as Delivery).nextAtMs <= now) {
      void send(queue.shift() as Delivery);
    }
    if (timer) clearTimeout(timer);
    timer = undefined;
    const next = queue[0];
    if (next && inFlight < MAX_IN_FLIGHT) {
      timer = setTimeout(pump, Math.max(1, next.nextAtMs - now));
      timer.unref();
    }
  }

  async function send(d: Delivery): Promise<void> {
    inFlight++;
    d.attempt++;
    counters.webhookAttempts++;
    if (d.redelivery && d.attempt === 1) counters.redeliveries++;
    const ok = await deliverOnce(
      agent,
      d.address,
      {
        'content-type': 'application/json',
        'user-agent': 'Shopify-Captain-Hook',
        'x-shopify-topic': d.topic,
        'x-shopify-hmac-sha256': d.hmac,
        'x-shopify-shop-domain': SHOPIFY_SHOP_DOMAIN,
        'x-shopify-api-version': '2025-01',
        'x-shopify-webhook-id': d.webhookId,
        'x-shopify-event-id': randomUUID(),
        'x-shopify-triggered-at': new Date().toISOString(),
      },
      d.body,
      ATTEMPT_TIMEOUT_MS,
    );
    inFlight--;
    if (closed) return;
    if (ok) {
      if (!d.redelivery) {
        counters.webhooksDelivered++;
        const order = orders.get(d.orderId);
        if (order && chance() < REDELIVERY_RATE) enqueue(order, d.topic, true, d);
        if (order && d.topic === 'orders/create' && chance() < UPDATED_RATE) {
          // The merchant edits the order (a note, a tag): Shopify sends orders/updated.
          order.body = { ...order.body, updated_at: new Date().toISOString(), tags: 'edited' };
          counters.updatesSent++;
          enqueue(order, 'orders/updated');
        }
      }
    } else {
      counters.webhookFailures++;
      if (d.attempt >= MAX_ATTEMPTS) counters.abandoned++;
      else {
        d.nextAtMs = Date.now() + Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** (d.attempt - 1));
        queue.push(d);
      }
    }
    pump();
  }

  function authorised(req: FastifyRequest): boolean {
    const given = req.headers['x-shopify-access-token'];
    if (typeof given !== 'string') return false;
    const a = Buffer.from(given, 'utf8');
    const b = Buffer.from(ctx.credentials.shopify.accessToken, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  const notFound = (reply: FastifyReply) => {
    counters.unknownIds++;
    return reply.code(404).send({ errors: 'Not Found' });
  };
  const unprocessable = (reply: FastifyReply, errors: Record<string, string[]> | string[]) =>
    reply.code(422).send({ errors });

  function readBody(req: FastifyRequest): J | undefined {
    try {
      const v = parse(typeof req.body === 'string' ? req.body : '');
      return isObj(v) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  function fulfillmentJson(order: ShopifyOrder): J {
    return {
      id: num(order.fulfillmentId ?? '0'),
      order_id: num(order.id),
      status: 'success',
      shipment_status: order.events.at(-1) ?? null,
      tracking_company: order.tracking?.company ?? null,
      tracking_number: order.tracking?.number ?? null,
      tracking_numbers: order.tracking ? [order.tracking.number] : [],
      line_items: order.body.line_items,
    };
  }

  const json = (reply: FastifyReply, code: number, value: unknown) =>
    reply
      .code(code)
      .header('content-type', 'application/json; charset=utf-8')
      .send(stringify(value) ?? 'null');

  function routes(scope: FastifyInstance): void {
    // Bodies are read as text, so ids beyond 2^53 reach the handlers exactly.
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    scope.addHook('onRequest', async (req, reply) => {
      counters.calls++;
      const version = /^\/shopify\/admin\/api\/([^/]+)\//.exec(req.url)?.[1];
      if (!version || !API_VERSION_RE.test(version)) return reply.code(404).send({ errors: 'Not Found' });
      if (!authorised(req)) {
        counters.authFailures++;
        return reply
          .code(401)
          .send({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
      }
    });
    ctx.faults?.install(scope, ID, 'primary', (status, message) => ({
      contentType: 'application/json',
      body: JSON.stringify({
        errors: status === 429 ? 'Exceeded 2 calls per second for api client.' : message,
      }),
    }));
    const base = '/shopify/admin/api/:version';

    scope.post(`${base}/webhooks.json`, async (req, reply) => {
      const w = readBody(req)?.webhook;
      const topic = isObj(w) && typeof w.topic === 'string' ? w.topic : '';
      const address = isObj(w) && typeof w.address === 'string' ? w.address : '';
      if (!(SHOPIFY_TOPICS as readonly string[]).includes(topic))
        return unprocessable(reply, { topic: ['Invalid topic specified.'] });
      if (!/^https?:\/\//.test(address)) return unprocessable(reply, { address: ['is invalid'] });
      if (subs.some((s) => s.topic === topic && s.address === address))
        return unprocessable(reply, { address: ['for this topic has already been taken'] });
      const sub = { id: String(idBase * 4n + BigInt(subs.length)), topic, address };
      subs.push(sub);
      return json(reply, 201, { webhook: { id: num(sub.id), topic, address, format: 'json' } });
    });

    scope.get<{ Params: { id: string } }>(`${base}/orders/:id.json`, async (req, reply) => {
      const order = orders.get(req.params.id);
      return order ? json(reply, 200, { order: order.body }) : notFound(reply);
    });

    scope.get<{ Params: { id: string } }>(
      `${base}/orders/:id/fulfillment_orders.json`,
      async (req, reply) => {
        const order = orders.get(req.params.id);
        if (!order) return notFound(reply);
        return json(reply, 200, {
          fulfillment_orders: [
            {
              id: num(order.fulfillmentOrderId),
              order_id: num(order.id),
              status: order.fulfillmentOrderStatus,
              request_status: 'unsubmitted',
              line_items: (order.body.line_items as J[]).map((li) => ({
                line_item_id: li.id,
                quantity: li.quantity,
                fulfillable_quantity: order.fulfillmentOrderStatus === 'open' ? li.quantity : 0,
              })),
            },
          ],
        });
      },
    );

    scope.post(`${base}/fulfillments.json`, async (req, reply) => {
      const f = readBody(req)?.fulfillment;
      if (!isObj(f) || !Array.isArray(f.line_items_by_fulfillment_order))
        return unprocessable(reply, ['line_items_by_fulfillment_order is required']);
      const tracking = isObj(f.tracking_info) ? f.tracking_info : {};
      const number = typeof tracking.number === 'string' ? tracking.number : '';
      const company = typeof tracking.company === 'string' ? tracking.company : '';
      if (!number) return unprocessable(reply, ['tracking_info.number is required']);
      const foIds = f.line_items_by_fulfillment_order.map((x) =>
        isObj(x) ? idOf(x.fulfillment_order_id) : undefined,
      );
      const orderIds = new Set(foIds.map((fo) => (fo ? byFulfillmentOrder.get(fo) : undefined)));
      const [orderId] = [...orderIds];
      const order = orderId ? orders.get(orderId) : undefined;
      if (orderIds.size !== 1 || !order) return notFound(reply);
      if (order.fulfillmentOrderStatus !== 'open') {
        counters.duplicateFulfilments++;
        return unprocessable(reply, ['Fulfillment order has an unfulfillable status= closed.']);
      }
      order.fulfillmentOrderStatus = 'closed';
      order.fulfillmentId = String(idBase * 5n + BigInt(counters.fulfilmentsCreated));
      order.tracking = { number, company };
      byFulfillment.set(order.fulfillmentId, order.id);
      counters.fulfilmentsCreated++;
      return json(reply, 201, { fulfillment: fulfillmentJson(order) });
    });

    scope.post<{ Params: { id: string } }>(
      `${base}/fulfillments/:id/update_tracking.json`,
      async (req, reply) => {
        const order = orders.get(byFulfillment.get(req.params.id) ?? '');
        if (!order) return notFound(reply);
        const f = readBody(req)?.fulfillment;
        const t = isObj(f) && isObj(f.tracking_info) ? f.tracking_info : undefined;
        if (!t || typeof t.number !== 'string' || !t.number)
          return unprocessable(reply, ['tracking_info.number is required']);
        order.tracking = { number: t.number, company: typeof t.company === 'string' ? t.company : '' };
        counters.trackingUpdates++;
        return json(reply, 200, { fulfillment: fulfillmentJson(order) });
      },
    );

    scope.post<{ Params: { order: string; id: string } }>(
      `${base}/orders/:order/fulfillments/:id/events.json`,
      async (req, reply) => {
        const order = orders.get(req.params.order);
        if (!order || order.fulfillmentId !== req.params.id) return notFound(reply);
        const e = readBody(req)?.event;
        const status = isObj(e) && typeof e.status === 'string' ? e.status : '';
        if (!EVENT_STATUSES.has(status))
          return unprocessable(reply, { status: ['is not included in the list'] });
        order.events.push(status);
        counters.fulfilmentEvents++;
        return json(reply, 201, {
          fulfillment_event: { id: num(String(idBase * 6n + BigInt(counters.fulfilmentEvents))), status },
        });
      },
    );
  }

  return {
    id: ID,
    register(app: FastifyInstance) {
      void app.register(async (scope) => routes(scope));
    },
    push(count) {
      if (!Number.isInteger(count) || count < 1 || count > 100_000)
        throw new RangeError('count must be an integer between 1 and 100000');
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const order = makeOrder();
        ids.push(order.id);
        enqueue(order, 'orders/create');
      }
      return { externalIds: ids };
    },
    fulfilmentOf(orderId) {
      const o = orders.get(orderId);
      return o?.fulfillmentId && o.tracking
        ? {
            id: o.fulfillmentId,
            number: o.tracking.number,
            company: o.tracking.company,
            events: [...o.events],
          }
        : undefined;
    },
    stats: () => ({ ...counters, subscriptions: subs.length, pendingDeliveries: queue.length + inFlight }),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await agent.close();
    },
  };
}
