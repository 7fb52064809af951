/**
 * Shopify: `orders/create` and `orders/updated` webhooks (X-Shopify-Hmac-Sha256 over the raw
 * body; re-deliveries dropped by X-Shopify-Webhook-Id), orders read back over the Admin REST
 * API, and the shipment sent back as a fulfilment with tracking number and company, its
 * tracking and events updated as the parcel moves. docs/partners/shopify.md.
 */
import { WaygateError, type OrderInput } from '../../../domain/index.js';
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
  type OrderWebhook,
  type PartnerEndpoint,
  type PlatformConnector,
} from '../../types.js';
import { createShopifyClient } from './client.js';
import { canonicalTopic, ORDER_TOPICS } from './codes.js';
import { manifest } from './manifest.js';
import {
  buildFulfillmentCreate,
  buildFulfillmentEvent,
  buildTrackingUpdate,
  fulfillmentId,
  openFulfillmentOrderIds,
  parseShopifyJson,
  shopifyOrderToCanonical,
} from './mapper.js';
import { verifyShopifyHmac } from './signature.js';

export { manifest } from './manifest.js';

export const HEADER_HMAC = 'x-shopify-hmac-sha256';
export const HEADER_TOPIC = 'x-shopify-topic';
export const HEADER_WEBHOOK_ID = 'x-shopify-webhook-id';

export interface ShopifyConnector extends PlatformConnector {
  verifyWebhook(req: InboundRequest): boolean;
  parseOrderWebhook(req: InboundRequest): OrderWebhook;
  subscribeOrderWebhook(url: string): Promise<void>;
  fetchOrder(externalId: string): Promise<OrderInput>;
  sendFulfilment(req: FulfilmentRequest): Promise<FulfilmentSent>;
}

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): ShopifyConnector {
  const api = createShopifyClient(endpoint, http);
  const { credentials, options } = readSettings(manifest, endpoint);
  const secrets = [
    credentials.webhookSecret,
    ...(options.previousWebhookSecret ? [options.previousWebhookSecret] : []),
  ];
  const source = endpoint.partnerId;
  const partnerId = endpoint.partnerId;

  function badAnswer(what: string): PartnerCallError {
    return new PartnerCallError({
      partnerId,
      code: 'partner_bad_response',
      retryable: false,
      message: `${partnerId} answered without ${what}`,
    });
  }

  return {
    manifest,

    async subscribeOrderWebhook(url) {
      for (const topic of Object.keys(ORDER_TOPICS)) await api.subscribeWebhook(topic, url);
    },

    verifyWebhook(req: InboundRequest) {
      return verifyShopifyHmac(secrets, bodyBytes(req), headerValue(req, HEADER_HMAC));
    },

    parseOrderWebhook(req: InboundRequest): OrderWebhook {
      const deliveryId = headerValue(req, HEADER_WEBHOOK_ID)?.trim();
      const topicHeader = headerValue(req, HEADER_TOPIC)?.trim();
      const errors = [
        ...(deliveryId ? [] : [{ field: `header:${HEADER_WEBHOOK_ID}`, message: 'is required' }]),
        ...(topicHeader ? [] : [{ field: `header:${HEADER_TOPIC}`, message: 'is required' }]),
      ];
      if (!deliveryId || !topicHeader) {
        throw new WaygateError('webhook_headers_invalid', 'the Shopify webhook lacks required headers', {
          field: errors[0]?.field,
          errors,
        });
      }
      const topic = canonicalTopic(topicHeader);
      if (!topic) {
        throw new WaygateError(
          'webhook_topic_unsupported',
          `the hub accepts only ${Object.keys(ORDER_TOPICS).join(' and ')} webhooks from Shopify`,
          {
            field: `header:${HEADER_TOPIC}`,
            errors: [{ field: `header:${HEADER_TOPIC}`, message: `topic ${topicHeader} is not accepted` }],
          },
        );
      }
      return { deliveryId, topic, order: shopifyOrderToCanonical(parseShopifyJson(req.rawBody), source) };
    },

    async fetchOrder(externalId) {
      return shopifyOrderToCanonical(await api.getOrder(externalId), source);
    },

    async sendFulfilment(req) {
      if (req.partnerRef) {
        // Already fulfilled: correct the tracking if it changed, and report how the parcel moves.
        await api.updateTracking(req.partnerRef, buildTrackingUpdate(req));
        const event = buildFulfillmentEvent(req);
        if (event) await api.postEvent(req.externalOrderId, req.partnerRef, event);
        return { partnerRef: req.partnerRef };
      }
      const open = openFulfillmentOrderIds(await api.fulfillmentOrders(req.externalOrderId));
      if (!open) throw badAnswer('its fulfillment_orders');
      if (open.length === 0) {
        throw new PartnerCallError({
          partnerId,
          code: 'partner_rejected',
          retryable: false,
          message: `${partnerId} order ${req.externalOrderId} has no open fulfilment order (fulfilled or cancelled in the shop)`,
        });
      }
      const created = fulfillmentId(
        await api.createFulfillment(buildFulfillmentCreate(open, req, options.notifyCustomer ?? false)),
      );
      if (!created) throw badAnswer('a fulfillment id');
      return { partnerRef: created };
    },
  };
}

export const connector = definePlatform(manifest, createConnector);
