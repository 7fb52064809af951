/**
 * TikTok Shop Open API (version 202309), simulated under `/tiktok`: every call carries
 * `app_key`, a 10-digit `timestamp` (within 5 minutes), `shop_cipher` and `sign` in the query
 * and the shop's token in `x-tts-access-token`; `sign` is checked as TikTok documents it —
 * lowercase hex HMAC-SHA256 under the app secret of `secret + path + sorted key/value pairs +
 * body + secret` (query but `sign` and `access_token`; the exact body bytes unless multipart).
 * Answers are `{code, message, request_id, data}`: 106001 (HTTP 401) for a wrong sign, 105001
 * for a wrong token, 106011 for a wrong shop cipher, 36009004 for bad parameters, 21001001 for
 * an unknown order, 21011001 for an order that cannot be shipped (already shipped).
 *
 * Served: Search Orders (`POST /order/202309/orders/search`, `page_size`/`page_token`, body
 * filters `order_status` and `update_time_ge`), Get Order Detail (`GET /order/202309/orders?ids=`),
 * Mark Package As Shipped (`POST /fulfillment/202309/orders/{id}/packages`, tracking number and
 * shipping provider; the order becomes IN_TRANSIT). Sold orders can be pushed as TikTok's
 * ORDER_STATUS_CHANGE webhook, signed as TikTok signs pushes: `Authorization` = lowercase hex
 * HMAC-SHA256(app secret, app_key + raw body). Order ids are 18 digits (above 2^53) and travel
 * as strings. Written from TikTok's public documentation, apart from the connector.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { request } from 'undici';
import { generateOrder } from './shop-data.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const ID = 'tiktok-shop';
const PREFIX = '/tiktok';
const AWAITING = 'AWAITING_SHIPMENT';
const IN_TRANSIT = 'IN_TRANSIT';
const TIMESTAMP_SKEW_S = 5 * 60;

/** TikTok's request sign (sandbox side): see the module comment. */
export function tiktokRequestSign(
  path: string,
  query: Readonly<Record<string, string>>,
  body: string,
  appSecret: string,
): string {
  const pairs = Object.keys(query)
    .filter((k) => k !== 'sign' && k !== 'access_token')
    .sort()
    .map((k) => `${k}${query[k] ?? ''}`)
    .join('');
  return createHmac('sha256', appSecret)
    .update(appSecret + path + pairs + body + appSecret, 'utf8')
    .digest('hex');
}

/** TikTok's webhook signature: hex HMAC-SHA256(app secret, app_key + raw body). */
export function tiktokPushSignature(appKey: string, body: string, appSecret: string): string {
  return createHmac('sha256', appSecret)
    .update(appKey + body, 'utf8')
    .digest('hex');
}

interface Order {
  id: string;
  status: string;
  updateTime: number;
  body: Record<string, unknown>;
  lineIds: string[];
  pkg?: { packageId: string; trackingNumber: string; providerId: string };
}

export interface TiktokPartner extends SandboxPartner {
  /** Buyers pay for `count` orders now; returns their ids (18 digits, kept as text). */
  sell(count: number): { externalIds: string[] };
  /** Sends each order's ORDER_STATUS_CHANGE webhook to `url`; returns the HTTP statuses. */
  pushStatusChanges(url: string, orderIds: readonly string[]): Promise<number[]>;
  /**
   * Sends again, byte for byte, the last push of each order (TikTok re-delivers a push its
   * receiver did not acknowledge in time); returns the HTTP statuses.
   */
  redeliver(url: string, orderIds: readonly string[]): Promise<number[]>;
  packageOf(orderId: string): { packageId: string; trackingNumber: string; providerId: string } | undefined;
}

class TiktokError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status = 200,
  ) {
    super(message);
  }
}

const equal = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function createTiktokShop(ctx: SandboxContext): TiktokPartner {
  const runId = `tts${randomInt(1, 1_000_000)}`;
  const base = 576_000_000_000_000_000n + BigInt(randomInt(1, 1_000_000)) * 1_000_000n;
  const orders = new Map<string, Order>();
  let seq = 0;
  const counters = {
    calls: 0,
    ordersSold: 0,
    pageQueries: 0,
    detailQueries: 0,
    shipped: 0,
    duplicateShipments: 0,
    signatureFailures: 0,
    authFailures: 0,
    webhooksDelivered: 0,
    webhooksRefused: 0,
    webhooksRedelivered: 0,
  };
  /** The last push body sent per order, for re-delivery. */
  const lastPush = new Map<string, string>();

  async function deliver(url: string, body: string): Promise<number> {
    const c = creds();
    const res = await request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: tiktokPushSignature(c.appKey, body, c.appSecret),
      },
      body,
    });
    await res.body.dump();
    if (res.statusCode < 300) counters.webhooksDelivered++;
    else counters.webhooksRefused++;
    return res.statusCode;
  }
  const creds = () => ctx.credentials[ID];
  const now = () => Math.floor(Date.now() / 1000);

  function sell(): Order {
    const n = seq++;
    const id = String(base + BigInt(n) * 100n);
    const t = now();
    const g = generateOrder({ id: 1, runId, index: n, createdAtMs: t * 1000 });
    const a = g.shipping_address;
    const lineIds: string[] = [];
    // TikTok lists one line item per unit sold.
    const lines = g.line_items.flatMap((li) =>
      Array.from({ length: li.quantity }, () => {
        const lineId = String(BigInt(id) + BigInt(lineIds.length) + 1n);
        lineIds.push(lineId);
        return {
          id: lineId,
          seller_sku: li.sku,
          product_name: li.title,
          sku_name: li.variant_title ?? '',
          sale_price: li.price,
          currency: g.currency,
        };
      }),
    );
    const body = {
      id,
      create_time: t,
      payment: { currency: g.currency, sub_total: g.subtotal_price, total_amount: g.total_price },
      recipient_address: {
        name: a.name,
        phone_number: a.phone ?? '',
        address_line1: a.address1,
        address_line2: a.address2 ?? '',
        postal_code: a.zip,
        region_code: a.country_code,
        district_info: [
          { address_level_name: 'country', address_name: a.country },
          ...(a.province ? [{ address_level_name: 'state', address_name: a.province }] : []),
          { address_level_name: 'city', address_name: a.city },
        ],
      },
      line_items: lines,
    };
    const order: Order = { id, status: AWAITING, updateTime: t, body, lineIds };
    orders.set(id, order);
    counters.ordersSold++;
    return order;
  }

  const view = (o: Order) => ({ ...o.body, status: o.status, update_time: o.updateTime });

  function check(req: FastifyRequest, path: string, query: Record<string, string>, body: string): void {
    const c = creds();
    if (query.app_key !== c.appKey) {
      counters.authFailures++;
      throw new TiktokError(106002, 'The app_key is invalid', 401);
    }
    const ts = Number(query.timestamp);
    if (!/^\d{10}$/.test(query.timestamp ?? '') || Math.abs(ts - now()) > TIMESTAMP_SKEW_S)
      throw new TiktokError(106003, 'The timestamp is invalid or expired', 401);
    const media =
      String(req.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim() ?? '';
    const signed = media === 'multipart/form-data' ? '' : body;
    if (!equal(query.sign ?? '', tiktokRequestSign(path, query, signed, c.appSecret))) {
      counters.signatureFailures++;
      throw new TiktokError(106001, "The 'sign' query parameter is invalid", 401);
    }
    if (!equal(String(req.headers['x-tts-access-token'] ?? ''), c.accessToken)) {
      counters.authFailures++;
      throw new TiktokError(105001, 'The access token is invalid', 401);
    }
    if (!equal(query.shop_cipher ?? '', c.shopCipher))
      throw new TiktokError(106011, 'The shop_cipher is invalid');
  }

  function search(query: Record<string, string>, body: string) {
    let filter: { order_status?: unknown; update_time_ge?: unknown } = {};
    try {
      filter = body ? (JSON.parse(body) as typeof filter) : {};
    } catch {
      throw new TiktokError(36009004, 'Invalid request body: not JSON');
    }
    const size = Number(query.page_size ?? '');
    if (!Number.isInteger(size) || size < 1 || size > 100)
      throw new TiktokError(36009004, 'page_size must be an integer from 1 to 100');
    const from = typeof filter.update_time_ge === 'number' ? filter.update_time_ge : 0;
    const matching = [...orders.values()]
      .filter((o) => o.updateTime >= from && (!filter.order_status || o.status === filter.order_status))
      .sort((a, b) => a.updateTime - b.updateTime || (a.id < b.id ? -1 : 1));
    const start = query.page_token ? Number(Buffer.from(query.page_token, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) throw new TiktokError(36009004, 'page_token is invalid');
    counters.pageQueries++;
    const page = matching.slice(start, start + size);
    const next =
      start + size < matching.length ? Buffer.from(String(start + size)).toString('base64url') : '';
    return { orders: page.map(view), next_page_token: next, total_count: matching.length };
  }

  function detail(query: Record<string, string>) {
    const ids = (query.ids ?? '').split(',').filter(Boolean);
    if (ids.length === 0 || ids.length > 50) throw new TiktokError(36009004, 'ids must name 1 to 50 orders');
    counters.detailQueries++;
    const found = ids.map((id) => orders.get(id));
    if (found.some((o) => !o)) throw new TiktokError(21001001, 'Order not found');
    return { orders: (found as Order[]).map(view) };
  }

  function ship(orderId: string, body: string) {
    const order = orders.get(orderId);
    if (!order) throw new TiktokError(21001001, 'Order not found');
    let b: { order_line_item_ids?: unknown; tracking_number?: unknown; shipping_provider_id?: unknown };
    try {
      b = JSON.parse(body) as typeof b;
    } catch {
      throw new TiktokError(36009004, 'Invalid request body: not JSON');
    }
    if (typeof b.tracking_number !== 'string' || !b.tracking_number)
      throw new TiktokError(36009004, 'tracking_number is required');
    if (typeof b.shipping_provider_id !== 'string' || !/^\d{1,32}$/.test(b.shipping_provider_id))
      throw new TiktokError(36009004, 'shipping_provider_id is invalid');
    const lines = Array.isArray(b.order_line_item_ids) ? b.order_line_item_ids : [];
    if (lines.length === 0 || lines.some((l) => typeof l !== 'string' || !order.lineIds.includes(l)))
      throw new TiktokError(36009004, 'order_line_item_ids must name line items of the order');
    if (order.status !== AWAITING) {
      counters.duplicateShipments++;
      throw new TiktokError(21011001, 'The package cannot be shipped in its current status');
    }
    order.status = IN_TRANSIT;
    order.updateTime = now();
    order.pkg = {
      packageId: String(1_153_000_000_000_000_000n + BigInt(randomInt(1, 2 ** 40))),
      trackingNumber: b.tracking_number,
      providerId: b.shipping_provider_id,
    };
    counters.shipped++;
    return { package_id: order.pkg.packageId };
  }

  const answer = (reply: FastifyReply, status: number, code: number, message: string, data?: unknown) =>
    reply
      .code(status)
      .header('content-type', 'application/json')
      .send(
        JSON.stringify({
          code,
          message,
          request_id: randomBytes(16).toString('hex').toUpperCase(),
          ...(data !== undefined ? { data } : {}),
        }),
      );

  return {
    id: ID,
    register(app: FastifyInstance) {
      void app.register(async (scope) => {
        // The sign covers the exact body bytes: keep them as received.
        scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
          done(null, String(body)),
        );
        scope.addHook('onRequest', async () => {
          counters.calls++;
        });
        ctx.faults?.install(scope, ID, 'primary', (status, message) => ({
          contentType: 'application/json',
          body: JSON.stringify(
            status === 429
              ? { code: 429, message: 'Too many requests', request_id: randomBytes(8).toString('hex') }
              : {
                  code: 36009003,
                  message: `Internal error: ${message}`,
                  request_id: randomBytes(8).toString('hex'),
                },
          ),
        }));
        const handle =
          (run: (query: Record<string, string>, body: string, req: FastifyRequest) => unknown) =>
          async (req: FastifyRequest, reply: FastifyReply) => {
            const path = req.url.split('?')[0]!.slice(PREFIX.length);
            const query = req.query as Record<string, string>;
            const body = typeof req.body === 'string' ? req.body : '';
            try {
              check(req, path, query, body);
              return answer(reply, 200, 0, 'Success', run(query, body, req));
            } catch (err) {
              if (!(err instanceof TiktokError)) throw err;
              return answer(reply, err.status, err.code, err.message);
            }
          };
        scope.post(
          `${PREFIX}/order/202309/orders/search`,
          handle((q, b) => search(q, b)),
        );
        scope.get(
          `${PREFIX}/order/202309/orders`,
          handle((q) => detail(q)),
        );
        scope.post<{ Params: { id: string } }>(
          `${PREFIX}/fulfillment/202309/orders/:id/packages`,
          handle((_q, b, req) => ship((req.params as { id: string }).id, b)),
        );
      });
    },
    sell(count) {
      if (!Number.isInteger(count) || count < 1 || count > 100_000)
        throw new RangeError('count must be an integer between 1 and 100000');
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(sell().id);
      return { externalIds: ids };
    },
    async pushStatusChanges(url, orderIds) {
      const statuses: number[] = [];
      for (const id of orderIds) {
        const o = orders.get(id);
        if (!o) throw new RangeError(`no order ${id}`);
        const body = JSON.stringify({
          type: 1,
          tts_notification_id: String(7_327_000_000_000_000_000n + BigInt(randomInt(1, 2 ** 40))),
          shop_id: '7494049642642441621',
          timestamp: now(),
          data: {
            order_id: o.id,
            order_status: o.status,
            is_on_hold_order: false,
            update_time: o.updateTime,
          },
        });
        lastPush.set(id, body);
        statuses.push(await deliver(url, body));
      }
      return statuses;
    },
    async redeliver(url, orderIds) {
      const statuses: number[] = [];
      for (const id of orderIds) {
        const body = lastPush.get(id);
        if (!body) throw new RangeError(`no push sent for order ${id}`);
        counters.webhooksRedelivered++;
        statuses.push(await deliver(url, body));
      }
      return statuses;
    },
    packageOf: (id) => orders.get(id)?.pkg,
    stats: () => ({ ...counters }),
    async close() {},
  };
}
