/**
 * TikTok Shop (API 202309): orders awaiting shipment pulled with Search Orders (page tokens),
 * and pushed as ORDER_STATUS_CHANGE webhooks (verified, then read back with Get Order Detail:
 * a push carries no order), and shipped back with Mark Package As Shipped (tracking number +
 * shipping provider). Every request is signed (signature.ts), every push verified (webhook.ts).
 * docs/partners/tiktok-shop.md.
 */
import { definePlatform } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import {
  bodyBytes,
  headerValue,
  type FulfilmentRequest,
  type FulfilmentSent,
  type InboundRequest,
  type OrderNotice,
  type OrderPage,
  type PartnerEndpoint,
  type PlatformConnector,
} from '../../types.js';
import { WaygateError, type OrderInput } from '../../../domain/index.js';
import { createTiktokClient } from './client.js';
import { SHIPPABLE_STATUS } from './codes.js';
import { manifest } from './manifest.js';
import { lineItemIds, markShippedBody, tiktokOrderToCanonical } from './mapper.js';
import { PUSH_TYPES, ORDER_STATUS_CHANGE, readOrderStatusChange, verifyTiktokPush } from './webhook.js';

/** The header TikTok puts a push's signature in (bare lowercase hex, no scheme). */
export const HEADER_SIGNATURE = 'authorization';

export { manifest } from './manifest.js';

export interface TiktokShopConnector extends PlatformConnector {
  pullOrders(since: string, cursor?: string): Promise<OrderPage>;
  verifyWebhook(req: InboundRequest): boolean;
  /** An ORDER_STATUS_CHANGE push: the order to fetch when it awaits shipment. */
  parseOrderWebhook(req: InboundRequest): OrderNotice;
  fetchOrder(externalId: string): Promise<OrderInput>;
  sendFulfilment(req: FulfilmentRequest): Promise<FulfilmentSent>;
}

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): TiktokShopConnector {
  const api = createTiktokClient(endpoint, http);
  const { credentials, options } = readSettings(manifest, endpoint);
  const source = endpoint.partnerId;
  const bad = (what: string) =>
    new PartnerCallError({
      partnerId: source,
      code: 'partner_bad_response',
      retryable: false,
      message: `${source} answered without ${what}`,
    });

  async function orderDetail(id: string): Promise<unknown> {
    const data = await api.call('GET', '/order/202309/orders', { ids: id });
    const order = Array.isArray(data.orders) ? (data.orders as unknown[])[0] : undefined;
    if (!order) throw bad(`order ${id}`);
    return order;
  }

  return {
    manifest,

    verifyWebhook(req) {
      return verifyTiktokPush(
        credentials.appKey,
        credentials.appSecret,
        bodyBytes(req),
        headerValue(req, HEADER_SIGNATURE),
      );
    },

    parseOrderWebhook(req) {
      const push = readOrderStatusChange(req.rawBody);
      if (options.shopId !== undefined && push.shopId !== options.shopId) {
        throw new WaygateError(
          'order_payload_invalid',
          `the TikTok Shop push is for another shop than ${source}'s (options.shopId)`,
          { field: '/shop_id', errors: [{ field: '/shop_id', message: 'is not the configured shop' }] },
        );
      }
      return {
        // TikTok re-sends a push with its notification id; without one, the order and its status.
        deliveryId: push.notificationId ?? `${push.orderId}:${push.status}:${push.updateTime ?? ''}`,
        topic: PUSH_TYPES[ORDER_STATUS_CHANGE] ?? 'ORDER_STATUS_CHANGE',
        // Only an order awaiting shipment is one the hub takes (as the pull asks for); the pushes
        // for earlier statuses (UNPAID, ON_HOLD) and later ones (IN_TRANSIT, DELIVERED, CANCELLED)
        // are acknowledged and change nothing.
        notice: { externalId: push.orderId, status: push.status, fetch: push.status === SHIPPABLE_STATUS },
      };
    },

    async pullOrders(since, cursor) {
      const from = Math.floor(Date.parse(since) / 1000);
      const data = await api.call(
        'POST',
        '/order/202309/orders/search',
        { page_size: String(options.pageSize ?? 50), ...(cursor ? { page_token: cursor } : {}) },
        { order_status: SHIPPABLE_STATUS, ...(Number.isFinite(from) ? { update_time_ge: from } : {}) },
      );
      if (!Array.isArray(data.orders) && data.orders !== undefined) throw bad('orders');
      const orders = ((data.orders as unknown[] | undefined) ?? []).map((o) =>
        tiktokOrderToCanonical(o, source),
      );
      const next =
        typeof data.next_page_token === 'string' && data.next_page_token ? data.next_page_token : undefined;
      return { orders, ...(next ? { next } : {}) };
    },

    async fetchOrder(externalId) {
      return tiktokOrderToCanonical(await orderDetail(externalId), source);
    },

    async sendFulfilment(req) {
      // The package is marked shipped already: TikTok Shop follows its tracking itself; a second
      // call would create a second package.
      if (req.partnerRef) return { partnerRef: req.partnerRef };
      const providers = options.shippingProviders ?? {};
      const provider = providers[req.carrierId ?? req.carrierName] ?? providers[req.carrierName];
      if (!provider) {
        throw new PartnerCallError({
          partnerId: source,
          code: 'partner_rejected',
          retryable: false,
          message: `${source}: no shipping_provider_id configured for carrier ${req.carrierName} (options.shippingProviders)`,
        });
      }
      const lines = lineItemIds(await orderDetail(req.externalOrderId));
      if (lines.length === 0) throw bad('line item ids');
      const data = await api.call(
        'POST',
        `/fulfillment/202309/orders/${encodeURIComponent(req.externalOrderId)}/packages`,
        {},
        JSON.parse(markShippedBody(lines, req.waybillNo, provider)),
      );
      const pkg = data.package_id;
      if (typeof pkg !== 'string' || !pkg) throw bad('a package_id');
      return { partnerRef: pkg };
    },
  };
}

export const connector = definePlatform(manifest, createConnector);
