/**
 * TikTok Shop (API 202309): orders awaiting shipment pulled with Search Orders (page tokens),
 * read back with Get Order Detail, and shipped back with Mark Package As Shipped (tracking
 * number + shipping provider). Every request is signed (signature.ts). docs/partners/tiktok-shop.md.
 */
import { definePlatform } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type {
  FulfilmentRequest,
  FulfilmentSent,
  OrderPage,
  PartnerEndpoint,
  PlatformConnector,
} from '../../types.js';
import type { OrderInput } from '../../../domain/index.js';
import { createTiktokClient } from './client.js';
import { SHIPPABLE_STATUS } from './codes.js';
import { manifest } from './manifest.js';
import { lineItemIds, markShippedBody, tiktokOrderToCanonical } from './mapper.js';

export { manifest } from './manifest.js';

export interface TiktokShopConnector extends PlatformConnector {
  pullOrders(since: string, cursor?: string): Promise<OrderPage>;
  fetchOrder(externalId: string): Promise<OrderInput>;
  sendFulfilment(req: FulfilmentRequest): Promise<FulfilmentSent>;
}

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): TiktokShopConnector {
  const api = createTiktokClient(endpoint, http);
  const { options } = readSettings(manifest, endpoint);
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
