/**
 * Amazon Selling Partner API (Orders v0), simulated under `/amazon`, written from Amazon's
 * public model (ordersV0.json) and the Login with Amazon documentation, apart from the
 * connector:
 *
 * - `POST /amazon/auth/o2/token`: LWA's refresh-token grant (form body) → `{access_token,
 *   token_type, expires_in, refresh_token}`; a wrong refresh token or client is an OAuth error.
 * - Every SP-API call needs `x-amz-access-token`; an unknown or expired token is Amazon's 403
 *   `Unauthorized`. `POST /amazon/tokens/2021-03-01/restrictedDataToken` issues a Restricted
 *   Data Token; getOrders read with one carries the buyer's name, street, phone and e-mail, read
 *   with a plain access token only the city, region, postal code and country.
 * - `GET /amazon/orders/v0/orders` (CreatedAfter xor LastUpdatedAfter unless AmazonOrderIds,
 *   MarketplaceIds, OrderStatuses, FulfillmentChannels, MaxResultsPerPage, NextToken), `GET
 *   …/{orderId}` (getOrder) and
 *   `GET …/{orderId}/orderItems` (NextToken pages of ITEMS_PER_PAGE), `POST
 *   …/{orderId}/shipmentConfirmation` (204; every body received is recorded).
 * - Answers carry `x-amzn-RequestId` and the operation's `x-amzn-RateLimit-Limit`; 429s and
 *   outages come from the fault knobs (`/__faults`, partner `amazon-sp-api`), in Amazon's
 *   `{"errors":[…]}` envelope.
 *
 * Orders are seeded (`seed(count)` / `POST /__amazon/orders {count}`) from the sandbox shop's
 * generator, so they ship the same catalogue SKUs to the same markets.
 */
import { randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CHANNEL_PREFIX, CHANNELS, channelStats, newChannelCounters } from './faults.js';
import { generateOrder, type ShopOrder } from './shop-data.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const ID = 'amazon-sp-api';
/** Items per getOrderItems page: small, so a multi-line order exercises NextToken. */
export const ITEMS_PER_PAGE = 2;
const TOKEN_TTL_SEC = 3600;

/** The marketplace of each market the shop generator ships to. */
export const MARKETPLACES: Readonly<Record<string, string>> = {
  US: 'ATVPDKIKX0DER',
  CA: 'A2EUQ1WTGCTBG2',
  MX: 'A1AM78C64UM0Y8',
  BR: 'A2Q3Y263D00KWC',
  GB: 'A1F83G8C2ARO7P',
  DE: 'A1PA6795UKMFR9',
  FR: 'A13V1IB3VIYZZH',
  IT: 'APJ6JRA9NG5V4',
  ES: 'A1RKKUPIHCS9HS',
  NL: 'A1805IZSGTT6HS',
  SE: 'A2NODRKZP88ZB9',
  PL: 'A1C3SOZRARQ6R3',
  JP: 'A1VC38T7YXB528',
  AU: 'A39IBJ37TRP1C6',
};

/** Documented rates (requests per second) per operation, sent as x-amzn-RateLimit-Limit. */
const RATE: Readonly<Record<string, string>> = {
  getOrders: '0.0167',
  getOrder: '0.5',
  getOrderItems: '0.5',
  confirmShipment: '2.0',
  createRestrictedDataToken: '1.0',
};

type J = Record<string, unknown>;
const isObject = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Item {
  ASIN: string;
  OrderItemId: string;
  SellerSKU: string;
  Title: string;
  QuantityOrdered: number;
  QuantityShipped: number;
  ItemPrice: { CurrencyCode: string; Amount: string };
  ShippingPrice: { CurrencyCode: string; Amount: string };
  ItemTax: { CurrencyCode: string; Amount: string };
  PromotionDiscount: { CurrencyCode: string; Amount: string };
}

interface SellerOrder {
  id: string;
  marketplaceId: string;
  createdMs: number;
  updatedMs: number;
  status: 'Unshipped' | 'PartiallyShipped' | 'Shipped';
  source: ShopOrder;
  items: Item[];
  /** Fields served changed (the mutate knob). */
  patch?: Record<string, unknown>;
}

export interface AmazonConfirmation {
  orderId: string;
  body: unknown;
  atMs: number;
  /** The same package (packageReferenceId + trackingNumber) confirmed before. */
  duplicate: boolean;
}

export interface AmazonPartner extends SandboxPartner {
  /** Adds `count` new Unshipped orders; returns their AmazonOrderIds. */
  seed(count: number, runId?: string): { runId: string; orderIds: string[] };
  /** Every confirmShipment body accepted, in order. */
  confirmations(): readonly AmazonConfirmation[];
  /** Makes every issued access token and RDT expire now (the next call is refused 403). */
  expireTokens(): void;
  /**
   * Answers the next `count` calls of `operation` (getOrders, getOrderItems, confirmShipment, …)
   * with Amazon's throttling answer: 429 `QuotaExceeded`, the operation's
   * `x-amzn-RateLimit-Limit` and no Retry-After, as Amazon sends it.
   */
  throttle(operation: string, count: number): void;
  /**
   * Serves an order with these getOrders fields changed from now on (objects merged one level
   * deep: `{ShippingAddress: {CountryCode: 'UK'}}`), e.g. to plant an order a hub cannot take.
   */
  mutate(orderId: string, patch: Record<string, unknown>): void;
}

class SpApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

const money = (currency: string, cents: number) => ({
  CurrencyCode: currency,
  Amount: (cents / 100).toFixed(2),
});
const cents = (amount: string) => Math.round(Number(amount) * 100);
const orderIdOf = (n: number) => {
  const d = String(n).padStart(14, '0');
  return `11${String(n % 10)}-${d.slice(0, 7)}-${d.slice(7)}`;
};
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function createAmazon(ctx: SandboxContext): AmazonPartner {
  const creds = ctx.credentials[ID];
  const orders = new Map<string, SellerOrder>();
  const byUpdate: SellerOrder[] = [];
  const tokens = new Map<string, { kind: 'lwa' | 'rdt'; expiresAtMs: number }>();
  const pageTokens = new Map<string, { filter: URLSearchParams; offset: number }>();
  const itemTokens = new Map<string, { orderId: string; offset: number }>();
  const confirmed: AmazonConfirmation[] = [];
  const packages = new Map<string, string>();
  const perChannel = newChannelCounters();
  const counters = {
    calls: 0,
    ordersSeeded: 0,
    ordersListed: 0,
    orderPages: 0,
    itemPages: 0,
    tokensIssued: 0,
    rdtsIssued: 0,
    tokenRefusals: 0,
    expiredTokenCalls: 0,
    restrictedReads: 0,
    confirmations: 0,
    duplicateConfirmations: 0,
    confirmRefusals: 0,
    throttled: 0,
  };
  const throttles = new Map<string, number>();
  let serial = randomInt(1_000_000, 9_000_000) * 1000;
  let runs = 0;

  const same = (a: string, b: string) => {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  };

  function issue(kind: 'lwa' | 'rdt'): string {
    const value =
      kind === 'lwa'
        ? `Atza|${randomBytes(48).toString('base64url')}`
        : `Atz.sprdt|${randomBytes(48).toString('base64url')}`;
    tokens.set(value, { kind, expiresAtMs: Date.now() + TOKEN_TTL_SEC * 1000 });
    return value;
  }

  function authenticate(req: FastifyRequest): 'lwa' | 'rdt' {
    const given = req.headers['x-amz-access-token'];
    const t = typeof given === 'string' ? tokens.get(given) : undefined;
    if (!t) {
      counters.tokenRefusals++;
      throw new SpApiError(
        403,
        'Unauthorized',
        'Access to requested resource is denied.',
        'The access token you provided is revoked, malformed or invalid.',
      );
    }
    if (t.expiresAtMs <= Date.now()) {
      counters.expiredTokenCalls++;
      throw new SpApiError(
        403,
        'Unauthorized',
        'Access to requested resource is denied.',
        'The access token you provided has expired.',
      );
    }
    return t.kind;
  }

  function toAmazon(o: SellerOrder, restricted: boolean): J {
    const served = asAmazon(o, restricted);
    for (const [k, v] of Object.entries(o.patch ?? {}))
      served[k] = isObject(v) && isObject(served[k]) ? { ...served[k], ...v } : v;
    return served;
  }

  function asAmazon(o: SellerOrder, restricted: boolean): J {
    const s = o.source;
    const a = s.shipping_address;
    const total = o.items.reduce((n, i) => n + cents(i.ItemPrice.Amount) + cents(i.ShippingPrice.Amount), 0);
    const shipped = o.items.reduce((n, i) => n + i.QuantityShipped, 0);
    const unshipped = o.items.reduce((n, i) => n + i.QuantityOrdered - i.QuantityShipped, 0);
    return {
      AmazonOrderId: o.id,
      PurchaseDate: iso(o.createdMs),
      LastUpdateDate: iso(o.updatedMs),
      OrderStatus: o.status,
      FulfillmentChannel: 'MFN',
      SalesChannel: `Amazon.${a.country_code === 'US' ? 'com' : a.country_code.toLowerCase()}`,
      ShipServiceLevel: 'Std Cont US Street Addr',
      OrderTotal: money(s.currency, total),
      NumberOfItemsShipped: shipped,
      NumberOfItemsUnshipped: unshipped,
      PaymentMethod: 'Other',
      PaymentMethodDetails: ['Standard'],
      MarketplaceId: o.marketplaceId,
      ShipmentServiceLevelCategory: 'Standard',
      OrderType: 'StandardOrder',
      EarliestShipDate: iso(o.createdMs + 3_600_000),
      LatestShipDate: iso(o.createdMs + 2 * 86_400_000),
      IsBusinessOrder: a.company !== null,
      IsPrime: false,
      IsPremiumOrder: false,
      IsGlobalExpressEnabled: false,
      IsReplacementOrder: false,
      IsSoldByAB: false,
      IsISPU: false,
      IsAccessPointOrder: false,
      HasRegulatedItems: false,
      ShippingAddress: restricted
        ? {
            Name: a.name,
            AddressLine1: a.address1,
            ...(a.address2 ? { AddressLine2: a.address2 } : {}),
            City: a.city,
            ...((a.province_code ?? a.province) ? { StateOrRegion: a.province_code ?? a.province } : {}),
            PostalCode: a.zip,
            CountryCode: a.country_code,
            ...(a.phone ? { Phone: a.phone } : {}),
            ...(a.company ? { CompanyName: a.company } : {}),
            AddressType: a.company ? 'Commercial' : 'Residential',
          }
        : {
            City: a.city,
            ...((a.province_code ?? a.province) ? { StateOrRegion: a.province_code ?? a.province } : {}),
            PostalCode: a.zip,
            CountryCode: a.country_code,
          },
      BuyerInfo: restricted
        ? { BuyerEmail: `${randomBytes(8).toString('hex')}@marketplace.amazon.com`, BuyerName: a.name }
        : {},
    };
  }

  function seed(count: number, runId?: string): { runId: string; orderIds: string[] } {
    const run =
      runId ??
      (ctx.orderSeed !== undefined
        ? `${ctx.orderSeed}-amazon-${runs++}`
        : `amz${Date.now().toString(36)}${(runs++).toString(36)}`);
    const ids: string[] = [];
    const at = Date.now();
    for (let i = 0; i < count; i++) {
      serial++;
      const shop = generateOrder({ id: serial, runId: run, index: i, createdAtMs: at });
      const id = orderIdOf(serial);
      const currency = shop.currency;
      const shipping = cents(shop.total_shipping_price);
      const items: Item[] = shop.line_items.map((li, k) => ({
        ASIN: `B0${(serial * 7 + k).toString(36).toUpperCase().padStart(8, '0').slice(-8)}`,
        OrderItemId: String(serial * 100 + k + 1).padStart(14, '0'),
        SellerSKU: li.sku,
        Title: li.variant_title ? `${li.title} (${li.variant_title})` : li.title,
        QuantityOrdered: li.quantity,
        QuantityShipped: 0,
        // ItemPrice is the whole line: unit price × quantity.
        ItemPrice: money(currency, cents(li.price) * li.quantity),
        ShippingPrice: money(currency, k === 0 ? shipping : 0),
        ItemTax: money(currency, 0),
        PromotionDiscount: money(currency, 0),
      }));
      const o: SellerOrder = {
        id,
        marketplaceId: MARKETPLACES[shop.shipping_address.country_code] ?? MARKETPLACES.US!,
        createdMs: at,
        updatedMs: at,
        status: 'Unshipped',
        source: shop,
        items,
      };
      orders.set(id, o);
      byUpdate.push(o);
      ids.push(id);
    }
    counters.ordersSeeded += count;
    return { runId: run, orderIds: ids };
  }

  function touch(o: SellerOrder): void {
    o.updatedMs = Math.max(Date.now(), o.updatedMs + 1);
    const i = byUpdate.indexOf(o);
    if (i >= 0) byUpdate.splice(i, 1);
    byUpdate.push(o);
  }

  function getOrders(q: URLSearchParams, kind: 'lwa' | 'rdt'): J {
    const market = q.get('MarketplaceIds');
    if (!market) throw new SpApiError(400, 'InvalidInput', 'Missing required parameter: MarketplaceIds');
    let filter = q;
    let offset = 0;
    const next = q.get('NextToken');
    if (next) {
      const t = pageTokens.get(next);
      if (!t)
        throw new SpApiError(
          400,
          'InvalidInput',
          'Invalid NextToken',
          'The NextToken is unknown or expired.',
        );
      // Not consumed: Amazon's NextToken may be sent again (a caller retrying a page it could not
      // finish reading); it names a position in the result, not a one-time ticket.
      filter = t.filter;
      offset = t.offset;
    } else if (!q.get('AmazonOrderIds')) {
      const created = q.get('CreatedAfter');
      const updated = q.get('LastUpdatedAfter');
      if (!created === !updated)
        throw new SpApiError(
          400,
          'InvalidInput',
          'Exactly one of CreatedAfter and LastUpdatedAfter is required',
        );
      const since = created ?? updated ?? '';
      if (!Number.isFinite(Date.parse(since)))
        throw new SpApiError(
          400,
          'InvalidInput',
          `Invalid date: ${since.slice(0, 40)}`,
          'Dates are ISO 8601.',
        );
      const size = q.get('MaxResultsPerPage');
      if (size !== null && !/^(100|[1-9][0-9]?)$/.test(size))
        throw new SpApiError(400, 'InvalidInput', 'MaxResultsPerPage must be 1 - 100');
    }
    const markets = new Set((filter.get('MarketplaceIds') ?? '').split(','));
    const statuses = filter.get('OrderStatuses')?.split(',');
    const channels = filter.get('FulfillmentChannels')?.split(',');
    const ids = filter.get('AmazonOrderIds')?.split(',');
    const created = filter.get('CreatedAfter');
    const updated = filter.get('LastUpdatedAfter');
    const sinceMs = Date.parse(created ?? updated ?? '') || 0;
    const size = Number(filter.get('MaxResultsPerPage') ?? '100');
    const matching = byUpdate.filter(
      (o) =>
        markets.has(o.marketplaceId) &&
        (!statuses || statuses.includes(o.status)) &&
        (!channels || channels.includes('MFN')) &&
        (!ids || ids.includes(o.id)) &&
        (ids !== undefined || (created ? o.createdMs : o.updatedMs) >= sinceMs),
    );
    const page = matching.slice(offset, offset + size);
    counters.orderPages++;
    counters.ordersListed += page.length;
    if (kind === 'rdt') counters.restrictedReads++;
    const payload: J = { Orders: page.map((o) => toAmazon(o, kind === 'rdt')) };
    if (offset + size < matching.length) {
      const token = randomBytes(24).toString('base64');
      pageTokens.set(token, { filter, offset: offset + size });
      payload.NextToken = token;
    }
    if (created) payload.CreatedBefore = iso(Date.now());
    else payload.LastUpdatedBefore = iso(Date.now());
    return payload;
  }

  function getOrder(orderId: string, kind: 'lwa' | 'rdt'): J {
    const o = orders.get(orderId);
    if (!o) throw new SpApiError(404, 'NotFound', `Order ${orderId.slice(0, 40)} was not found`);
    return toAmazon(o, kind === 'rdt');
  }

  function getOrderItems(orderId: string, q: URLSearchParams): J {
    const next = q.get('NextToken');
    let offset = 0;
    if (next) {
      const t = itemTokens.get(next);
      if (!t || t.orderId !== orderId) throw new SpApiError(400, 'InvalidInput', 'Invalid NextToken');
      offset = t.offset;
    }
    const o = orders.get(orderId);
    if (!o) throw new SpApiError(404, 'NotFound', `Order ${orderId.slice(0, 40)} was not found`);
    counters.itemPages++;
    const payload: J = {
      AmazonOrderId: o.id,
      OrderItems: o.items.slice(offset, offset + ITEMS_PER_PAGE),
    };
    if (offset + ITEMS_PER_PAGE < o.items.length) {
      const token = randomBytes(24).toString('base64');
      itemTokens.set(token, { orderId, offset: offset + ITEMS_PER_PAGE });
      payload.NextToken = token;
    }
    return payload;
  }

  function confirmShipment(orderId: string, body: unknown): void {
    const o = orders.get(orderId);
    if (!o) throw new SpApiError(404, 'NotFound', `Order ${orderId.slice(0, 40)} was not found`);
    const refuse = (message: string): never => {
      counters.confirmRefusals++;
      throw new SpApiError(400, 'InvalidInput', message);
    };
    if (!isObject(body)) return refuse('The request body is not a ConfirmShipmentRequest');
    if (body.marketplaceId !== o.marketplaceId) return refuse('marketplaceId does not match the order');
    const p = body.packageDetail;
    if (!isObject(p)) return refuse('packageDetail is required');
    for (const k of ['packageReferenceId', 'carrierCode', 'trackingNumber', 'shipDate'])
      if (typeof p[k] !== 'string' || p[k] === '') return refuse(`packageDetail.${k} is required`);
    if (p.carrierCode === 'Other' && (typeof p.carrierName !== 'string' || !p.carrierName))
      return refuse('packageDetail.carrierName is required when carrierCode is Other');
    if (!Number.isFinite(Date.parse(String(p.shipDate))))
      return refuse('packageDetail.shipDate is not ISO 8601');
    const key = `${orderId}\u0000${String(p.packageReferenceId)}`;
    const prior = packages.get(key);
    if (prior !== undefined) {
      if (prior !== p.trackingNumber)
        return refuse('packageReferenceId was confirmed with another trackingNumber');
      counters.duplicateConfirmations++;
      confirmed.push({ orderId, body, atMs: Date.now(), duplicate: true });
      return;
    }
    const lines = p.orderItems;
    if (!Array.isArray(lines) || lines.length === 0) return refuse('packageDetail.orderItems is required');
    const plan: [Item, number][] = [];
    for (const l of lines) {
      const item = isObject(l) ? o.items.find((i) => i.OrderItemId === l.orderItemId) : undefined;
      const q = isObject(l) ? l.quantity : undefined;
      if (!item)
        return refuse(
          `orderItemId ${isObject(l) ? String(l.orderItemId).slice(0, 40) : '?'} is not in the order`,
        );
      if (
        typeof q !== 'number' ||
        !Number.isInteger(q) ||
        q < 1 ||
        q > item.QuantityOrdered - item.QuantityShipped
      )
        return refuse(`quantity of ${item.OrderItemId} is more than is left to ship`);
      plan.push([item, q]);
    }
    for (const [item, q] of plan) item.QuantityShipped += q;
    o.status = o.items.every((i) => i.QuantityShipped >= i.QuantityOrdered) ? 'Shipped' : 'PartiallyShipped';
    touch(o);
    packages.set(key, String(p.trackingNumber));
    counters.confirmations++;
    confirmed.push({ orderId, body, atMs: Date.now(), duplicate: false });
  }

  const envelope = (err: SpApiError) =>
    JSON.stringify({
      errors: [{ code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }],
    });

  async function handle(
    req: FastifyRequest,
    reply: FastifyReply,
    operation: string,
    run: (kind: 'lwa' | 'rdt') => J | undefined,
  ): Promise<string> {
    void reply.header('x-amzn-RateLimit-Limit', RATE[operation] ?? '1.0');
    void reply.header('content-type', 'application/json');
    try {
      const kind = authenticate(req);
      const planted = throttles.get(operation) ?? 0;
      if (planted > 0) {
        throttles.set(operation, planted - 1);
        counters.throttled++;
        throw new SpApiError(429, 'QuotaExceeded', 'You exceeded your quota for the requested resource.');
      }
      const out = run(kind);
      if (out === undefined) {
        void reply.code(204);
        return '';
      }
      return JSON.stringify({ payload: out });
    } catch (err) {
      if (!(err instanceof SpApiError)) throw err;
      void reply.code(err.status);
      return envelope(err);
    }
  }

  function tokenGrant(body: unknown, reply: FastifyReply): J {
    const form = new URLSearchParams(typeof body === 'string' ? body : '');
    const refuse = (status: number, error: string, description: string): J => {
      counters.tokenRefusals++;
      void reply.code(status);
      return { error, error_description: description };
    };
    if (form.get('grant_type') !== 'refresh_token')
      return refuse(400, 'unsupported_grant_type', 'The authorization grant type is not supported.');
    if (
      !same(form.get('client_id') ?? '', creds.clientId) ||
      !same(form.get('client_secret') ?? '', creds.clientSecret)
    )
      return refuse(401, 'invalid_client', 'Client authentication failed');
    if (!same(form.get('refresh_token') ?? '', creds.refreshToken))
      return refuse(400, 'invalid_grant', 'The request has an invalid grant parameter : refresh_token');
    counters.tokensIssued++;
    return {
      access_token: issue('lwa'),
      refresh_token: creds.refreshToken,
      token_type: 'bearer',
      expires_in: TOKEN_TTL_SEC,
    };
  }

  function restrictedDataToken(body: unknown, kind: 'lwa' | 'rdt'): J {
    if (kind !== 'lwa') throw new SpApiError(403, 'Unauthorized', 'An RDT cannot request another RDT.');
    const resources = isObject(body) ? body.restrictedResources : undefined;
    if (!Array.isArray(resources) || resources.length === 0)
      throw new SpApiError(400, 'InvalidInput', 'restrictedResources is required');
    for (const r of resources) {
      if (!isObject(r) || typeof r.method !== 'string' || typeof r.path !== 'string')
        throw new SpApiError(400, 'InvalidInput', 'Each restricted resource needs a method and a path');
      if (!r.path.startsWith('/orders/v0/orders'))
        throw new SpApiError(400, 'InvalidInput', `${r.path.slice(0, 60)} is not a restricted operation`);
    }
    counters.rdtsIssued++;
    return { restrictedDataToken: issue('rdt'), expiresIn: TOKEN_TTL_SEC };
  }

  return {
    id: ID,
    register(app: FastifyInstance) {
      for (const channel of CHANNELS) {
        void app.register(
          async (scope) => {
            scope.addHook('onRequest', async (_req, reply) => {
              counters.calls++;
              perChannel[channel].calls++;
              void reply.header('x-amzn-RequestId', randomUUID());
            });
            ctx.faults?.install(scope, ID, channel, (status) => ({
              contentType: 'application/json',
              body:
                status === 429
                  ? '{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource."}]}'
                  : '{"errors":[{"code":"ServiceUnavailable","message":"Service temporarily unavailable. Please try again later."}]}',
            }));
            scope.addContentTypeParser(
              'application/x-www-form-urlencoded',
              { parseAs: 'string' },
              (_req, b, done) => done(null, b),
            );
            scope.post('/amazon/auth/o2/token', async (req, reply) => {
              void reply.header('content-type', 'application/json;charset=UTF-8');
              return JSON.stringify(tokenGrant(req.body, reply));
            });
            scope.post('/amazon/tokens/2021-03-01/restrictedDataToken', async (req, reply) => {
              void reply.header('content-type', 'application/json');
              try {
                const out = restrictedDataToken(req.body, authenticate(req));
                void reply.header('x-amzn-RateLimit-Limit', RATE.createRestrictedDataToken!);
                return JSON.stringify(out);
              } catch (err) {
                if (!(err instanceof SpApiError)) throw err;
                void reply.code(err.status);
                return envelope(err);
              }
            });
            const query = (req: FastifyRequest) => new URLSearchParams(req.url.split('?')[1] ?? '');
            scope.get('/amazon/orders/v0/orders', (req, reply) =>
              handle(req, reply, 'getOrders', (kind) => getOrders(query(req), kind)),
            );
            scope.get<{ Params: { id: string } }>('/amazon/orders/v0/orders/:id', (req, reply) =>
              handle(req, reply, 'getOrder', (kind) => getOrder(req.params.id, kind)),
            );
            scope.get<{ Params: { id: string } }>('/amazon/orders/v0/orders/:id/orderItems', (req, reply) =>
              handle(req, reply, 'getOrderItems', () => getOrderItems(req.params.id, query(req))),
            );
            scope.post<{ Params: { id: string } }>(
              '/amazon/orders/v0/orders/:id/shipmentConfirmation',
              (req, reply) =>
                handle(req, reply, 'confirmShipment', () => {
                  confirmShipment(req.params.id, req.body);
                  return undefined;
                }),
            );
          },
          { prefix: CHANNEL_PREFIX[channel] },
        );
      }
      app.post<{ Body: { count?: unknown; runId?: unknown } }>('/__amazon/orders', async (req, reply) => {
        const count = Number(req.body?.count ?? 1);
        if (!Number.isInteger(count) || count < 1 || count > 100_000)
          return reply.code(400).send({ error: 'count must be an integer between 1 and 100000' });
        const runId = typeof req.body?.runId === 'string' ? req.body.runId : undefined;
        return reply.code(201).send(seed(count, runId));
      });
      app.get('/__amazon/confirmations', async () => ({ confirmations: confirmed }));
    },
    seed,
    confirmations: () => confirmed,
    expireTokens() {
      for (const t of tokens.values()) t.expiresAtMs = 0;
    },
    mutate(orderId, patch) {
      const o = orders.get(orderId);
      if (!o) throw new Error(`no Amazon order ${orderId}`);
      o.patch = { ...o.patch, ...patch };
    },
    throttle(operation, count) {
      throttles.set(operation, (throttles.get(operation) ?? 0) + Math.max(0, Math.floor(count)));
    },
    stats: () => ({
      ...counters,
      ordersOpen: [...orders.values()].filter((o) => o.status !== 'Shipped').length,
      channels: channelStats(ID, perChannel, ctx.faults),
    }),
    async close() {
      orders.clear();
      byUpdate.length = 0;
      tokens.clear();
      pageTokens.clear();
      itemTokens.clear();
    },
  };
}
