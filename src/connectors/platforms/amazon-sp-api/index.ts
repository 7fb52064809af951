/**
 * Amazon Selling Partner API, Orders v0: seller-fulfilled orders pulled with getOrders
 * (LastUpdatedAfter or CreatedAfter, NextToken pages) and each order's lines with getOrderItems
 * (NextToken pages too), read with a Restricted Data Token so the shipping address is there;
 * shipments confirmed back with confirmShipment. docs/partners/amazon-sp-api.md.
 */
import { definePlatform, MalformedAnswer } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type {
  FulfilmentRequest,
  FulfilmentSent,
  OrderPage,
  PartnerEndpoint,
  PlatformConnector,
  RefusedOrder,
} from '../../types.js';
import { WaygateError, type OrderInput } from '../../../domain/index.js';
import { createAmazonClient, type AmazonClient } from './client.js';
import { CARRIER_CODE_FALLBACK } from './codes.js';
import { manifest } from './manifest.js';
import {
  amazonOrderToCanonical,
  confirmShipmentBody,
  itemsToConfirm,
  ordersQuery,
  readItemsPage,
  readOrdersPage,
} from './mapper.js';

export { manifest } from './manifest.js';

/** An order with more item pages than this is refused rather than read without end. */
const MAX_ITEM_PAGES = 20;

export interface AmazonSpApiConnector extends PlatformConnector {
  pullOrders(since: string, cursor?: string): Promise<OrderPage>;
  fetchOrder(externalId: string): Promise<OrderInput>;
  sendFulfilment(req: FulfilmentRequest): Promise<FulfilmentSent>;
  readPulledOrder(raw: string): OrderInput;
  /** The rates Amazon last announced per operation (x-amzn-RateLimit-Limit). */
  rateLimits(): Readonly<Record<string, number>>;
}

export function createConnector(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  opts: { now?: () => number; client?: AmazonClient } = {},
): AmazonSpApiConnector {
  const api = opts.client ?? createAmazonClient(endpoint, http, opts.now ? { now: opts.now } : {});
  const { options } = readSettings(manifest, endpoint);
  const source = endpoint.partnerId;
  const restricted = options.restrictedData !== false;
  const now = opts.now ?? Date.now;

  const malformed = (op: string, err: unknown): never => {
    if (!(err instanceof MalformedAnswer)) throw err;
    throw new PartnerCallError({
      partnerId: source,
      code: 'partner_bad_response',
      retryable: true,
      message: `${source} ${op} answered an unusable payload: ${err.message}`,
    });
  };

  function marketplaces(): readonly string[] {
    const ids = options.marketplaceIds;
    if (!ids || ids.length === 0) {
      throw new PartnerCallError({
        partnerId: source,
        code: 'partner_rejected',
        retryable: false,
        message: `${source}: options.marketplaceIds is required to pull orders (e.g. [ATVPDKIKX0DER] for amazon.com)`,
      });
    }
    return ids;
  }

  /** Every item of one order, all NextToken pages. */
  async function orderItems(orderId: string): Promise<Record<string, unknown>[]> {
    const all: Record<string, unknown>[] = [];
    let next: string | undefined;
    for (let page = 0; page < MAX_ITEM_PAGES; page++) {
      const payload = await api.call({
        operation: 'getOrderItems',
        method: 'GET',
        path: `/orders/v0/orders/${encodeURIComponent(orderId)}/orderItems`,
        ...(next ? { query: { NextToken: next } } : {}),
      });
      let read: ReturnType<typeof readItemsPage> | undefined;
      try {
        read = readItemsPage(payload);
      } catch (err) {
        malformed('getOrderItems', err);
      }
      all.push(...read!.items);
      if (all.length > 500)
        malformed('getOrderItems', new MalformedAnswer(`order ${orderId} has over 500 items`));
      if (!read!.next) return all;
      next = read!.next;
    }
    return malformed(
      'getOrderItems',
      new MalformedAnswer(`order ${orderId} has over ${MAX_ITEM_PAGES} item pages`),
    );
  }

  /** The order's marketplace (confirmShipment names it): the only one configured, else getOrder's. */
  async function marketplaceOf(orderId: string): Promise<string> {
    const ids = marketplaces();
    if (ids.length === 1) return ids[0]!;
    const order = await api.call({
      operation: 'getOrder',
      method: 'GET',
      path: `/orders/v0/orders/${encodeURIComponent(orderId)}`,
    });
    const id = order.MarketplaceId;
    if (typeof id !== 'string' || !ids.includes(id)) {
      throw new PartnerCallError({
        partnerId: source,
        code: 'partner_rejected',
        retryable: false,
        message: `${source}: order ${orderId} is in marketplace ${typeof id === 'string' ? id.slice(0, 20) : '?'}, not one of options.marketplaceIds`,
      });
    }
    return id;
  }

  return {
    manifest,

    async pullOrders(since, cursor) {
      const payload = await api.call({
        operation: 'getOrders',
        method: 'GET',
        path: '/orders/v0/orders',
        query: ordersQuery({
          marketplaceIds: marketplaces(),
          ...(Number.isFinite(Date.parse(since)) ? { since: new Date(Date.parse(since)).toISOString() } : {}),
          pullBy: options.pullBy ?? 'LastUpdatedAfter',
          pageSize: options.pageSize ?? 100,
          ...(cursor ? { nextToken: cursor } : {}),
        }),
        restricted,
      });
      let page: ReturnType<typeof readOrdersPage> | undefined;
      try {
        page = readOrdersPage(payload);
      } catch (err) {
        malformed('getOrders', err);
      }
      // Every order is read whole (all item pages) before any is returned, so a failed call
      // leaves the page to be read again. An order that cannot be mapped does not fail its page:
      // it is returned raw (order + items, as Amazon sent them) for the hub to keep for replay.
      const orders: OrderInput[] = [];
      const refused: RefusedOrder[] = [];
      for (const o of page!.orders) {
        const id = typeof o.AmazonOrderId === 'string' ? o.AmazonOrderId : '';
        const items = id ? await orderItems(id) : [];
        try {
          orders.push(amazonOrderToCanonical(o, items, source));
        } catch (err) {
          if (!(err instanceof WaygateError)) throw err;
          refused.push({
            externalId: id.slice(0, 64) || '?',
            raw: JSON.stringify({ order: o, items }),
            error: err,
          });
        }
      }
      return {
        orders,
        ...(refused.length > 0 ? { refused } : {}),
        ...(page!.next ? { next: page!.next } : {}),
      };
    },

    async fetchOrder(externalId) {
      const payload = await api.call({
        operation: 'getOrders',
        method: 'GET',
        path: '/orders/v0/orders',
        query: { MarketplaceIds: marketplaces().join(','), AmazonOrderIds: externalId },
        restricted,
      });
      let page: ReturnType<typeof readOrdersPage> | undefined;
      try {
        page = readOrdersPage(payload);
      } catch (err) {
        malformed('getOrders', err);
      }
      const order = page!.orders.find((o) => o.AmazonOrderId === externalId);
      if (!order) {
        throw new PartnerCallError({
          partnerId: source,
          code: 'partner_rejected',
          retryable: false,
          partnerCode: 'NotFound',
          message: `${source}: order ${externalId} is not among the orders Amazon returned`,
        });
      }
      return amazonOrderToCanonical(order, await orderItems(externalId), source);
    },

    async sendFulfilment(req) {
      // Amazon follows the parcel itself from carrierCode + trackingNumber once confirmed: a
      // later status change of the same package has nothing to send.
      if (req.partnerRef) return { partnerRef: req.partnerRef };
      const marketplaceId = await marketplaceOf(req.externalOrderId);
      const items = await orderItems(req.externalOrderId);
      const lines = itemsToConfirm(items);
      // Every unit already shipped: our confirmation went through and its answer was lost (the
      // job is a retry), or the seller shipped it elsewhere. Either way there is nothing to send.
      if (lines.length === 0 && items.length > 0) return { partnerRef: req.waybillNo };
      if (lines.length === 0) {
        throw new PartnerCallError({
          partnerId: source,
          code: 'partner_rejected',
          retryable: false,
          message: `${source}: order ${req.externalOrderId} has no item left to ship`,
        });
      }
      // Keyed by the hub's carrier id (as the config names carriers), or by its display name.
      const codes = options.carrierCodes ?? {};
      const code =
        (req.carrierId !== undefined ? codes[req.carrierId] : undefined) ??
        codes[req.carrierName] ??
        CARRIER_CODE_FALLBACK;
      const packageReferenceId = req.waybillNo;
      await api.call({
        operation: 'confirmShipment',
        method: 'POST',
        path: `/orders/v0/orders/${encodeURIComponent(req.externalOrderId)}/shipmentConfirmation`,
        body: confirmShipmentBody({
          marketplaceId,
          packageReferenceId,
          carrierCode: code,
          ...(code === CARRIER_CODE_FALLBACK ? { carrierName: req.carrierName } : {}),
          trackingNumber: req.waybillNo,
          shipDate: new Date(now()).toISOString(),
          items: lines,
        }),
      });
      return { partnerRef: packageReferenceId };
    },

    readPulledOrder(raw) {
      let kept: unknown;
      try {
        kept = JSON.parse(raw) as unknown;
      } catch {
        kept = undefined;
      }
      if (typeof kept !== 'object' || kept === null || !Array.isArray((kept as { items?: unknown }).items)) {
        throw new WaygateError('order_payload_invalid', 'the kept Amazon order is not {order, items}', {
          field: '',
          errors: [
            { field: '', message: 'must be {"order": getOrders order, "items": [getOrderItems item]}' },
          ],
        });
      }
      const { order, items } = kept as { order: unknown; items: unknown[] };
      return amazonOrderToCanonical(order, items, source);
    },

    rateLimits: () => api.rateLimits(),
  };
}

export const connector = definePlatform(manifest, (endpoint, http) => createConnector(endpoint, http));
