/**
 * Sandbox Shop, a Shopify-like sales platform: orders arrive as `orders/create` webhooks signed
 * with a base64 HMAC-SHA256 of the raw body; the admin API (access token) subscribes the hub.
 */
import { type OrderInput, WaygateError } from '../../../domain/index.js';
import { definePlatform } from '../../contract.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import {
  bodyBytes,
  headerValue,
  type InboundRequest,
  type OrderWebhook,
  type PartnerEndpoint,
  type PlatformConnector,
  type ReturnRequestWebhook,
  type ReturnStatusUpdate,
  type StockUpdate,
} from '../../types.js';
import { createShopAdminClient } from './client.js';
import { canonicalTopic, ORDER_CREATE_TOPIC } from './codes.js';
import { manifest } from './manifest.js';
import { shopOrderToCanonical } from './mapper.js';
import { RETURN_REQUEST_TOPIC, returnStatusBody, shopReturnToCanonical } from './returns.js';
import { verifyShopSignature } from './signature.js';

export { manifest } from './manifest.js';

export const HEADER_HMAC = 'x-shop-hmac-sha256';
export const HEADER_TOPIC = manifest.topicHeader as string;
export const HEADER_WEBHOOK_ID = 'x-shop-webhook-id';

export interface SandboxShopConnector extends PlatformConnector {
  verifyWebhook(req: InboundRequest): boolean;
  parseOrderWebhook(req: InboundRequest): OrderWebhook;
  subscribeOrderWebhook(url: string): Promise<void>;
  /** Reads an order back from the shop's admin API, as a canonical order. */
  fetchOrder(externalId: string): Promise<OrderInput>;
  updateStock(update: StockUpdate): Promise<void>;
  subscribeReturnWebhook(url: string): Promise<void>;
  parseReturnWebhook(req: InboundRequest): ReturnRequestWebhook;
  updateReturn(update: ReturnStatusUpdate): Promise<void>;
}

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): SandboxShopConnector {
  const admin = createShopAdminClient(endpoint, http);
  const secret = readSettings(manifest, endpoint).credentials.webhookSecret;
  const source = endpoint.partnerId;

  return {
    manifest,

    async subscribeOrderWebhook(url: string): Promise<void> {
      await admin.subscribeWebhook(ORDER_CREATE_TOPIC, url);
    },

    verifyWebhook(req: InboundRequest): boolean {
      return verifyShopSignature(secret, bodyBytes(req), headerValue(req, HEADER_HMAC));
    },

    parseOrderWebhook(req: InboundRequest): OrderWebhook {
      const deliveryId = headerValue(req, HEADER_WEBHOOK_ID)?.trim();
      const topicHeader = headerValue(req, HEADER_TOPIC)?.trim();
      const errors = [
        ...(deliveryId ? [] : [{ field: `header:${HEADER_WEBHOOK_ID}`, message: 'is required' }]),
        ...(topicHeader ? [] : [{ field: `header:${HEADER_TOPIC}`, message: 'is required' }]),
      ];
      if (errors.length > 0 || !deliveryId || !topicHeader) {
        throw new WaygateError('webhook_headers_invalid', 'the shop webhook lacks required headers', {
          field: errors[0]?.field,
          errors,
        });
      }
      const topic = canonicalTopic(topicHeader);
      if (topic !== 'order.created') {
        throw new WaygateError(
          'webhook_topic_unsupported',
          `the hub accepts only ${ORDER_CREATE_TOPIC} webhooks`,
          {
            field: `header:${HEADER_TOPIC}`,
            errors: [{ field: `header:${HEADER_TOPIC}`, message: `topic ${topicHeader} is not accepted` }],
          },
        );
      }
      let payload: unknown;
      try {
        payload = JSON.parse(req.rawBody);
      } catch {
        throw new WaygateError('order_payload_invalid', 'the shop webhook body is not JSON', {
          field: '',
          errors: [{ field: '', message: 'is not valid JSON' }],
        });
      }
      return { deliveryId, topic, order: shopOrderToCanonical(payload, source) };
    },

    async fetchOrder(externalId: string): Promise<OrderInput> {
      return shopOrderToCanonical(await admin.getOrder(externalId), source);
    },

    async subscribeReturnWebhook(url: string): Promise<void> {
      await admin.subscribeWebhook(RETURN_REQUEST_TOPIC, url);
    },

    parseReturnWebhook(req: InboundRequest): ReturnRequestWebhook {
      const deliveryId = headerValue(req, HEADER_WEBHOOK_ID)?.trim();
      const topic = headerValue(req, HEADER_TOPIC)?.trim();
      if (!deliveryId || topic !== RETURN_REQUEST_TOPIC) {
        const field = `header:${deliveryId ? HEADER_TOPIC : HEADER_WEBHOOK_ID}`;
        throw new WaygateError(
          'webhook_headers_invalid',
          `the shop return webhook needs ${field} (${RETURN_REQUEST_TOPIC})`,
          {
            field,
            errors: [{ field, message: deliveryId ? `must be ${RETURN_REQUEST_TOPIC}` : 'is required' }],
          },
        );
      }
      let payload: unknown;
      try {
        payload = JSON.parse(req.rawBody);
      } catch {
        throw new WaygateError('return_payload_invalid', 'the shop return webhook body is not JSON', {
          field: '/',
          errors: [{ field: '/', message: 'is not valid JSON' }],
        });
      }
      return shopReturnToCanonical(payload, deliveryId);
    },

    async updateReturn(update: ReturnStatusUpdate): Promise<void> {
      await admin.setReturnStatus(update.externalOrderId, returnStatusBody(update));
    },

    async updateStock(update: StockUpdate): Promise<void> {
      await admin.setInventoryLevel({
        sku: update.sku,
        available: update.available,
        stock_source: update.source,
        stock_age_seconds: update.snapshotAgeSeconds ?? null,
      });
    },
  };
}

export const connector = definePlatform(manifest, createConnector);
