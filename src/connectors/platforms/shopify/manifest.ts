import { Type } from '@sinclair/typebox';
import { platformManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

export const settings = defineSettings({
  credentials: {
    webhookSecret: Secret(
      "The app's client secret: webhooks carry base64 HMAC-SHA256 of the raw body with it",
    ),
    accessToken: Secret('Admin API access token (shpat_…), sent as X-Shopify-Access-Token'),
  },
  options: {
    /** Admin API version, e.g. 2025-01 (Shopify retires each after a year). */
    apiVersion: Type.Optional(Type.String({ pattern: '^\\d{4}-(01|04|07|10)$' })),
    /**
     * The client secret before a rotation: Shopify may sign with it for up to an hour after the
     * rotation, so webhooks verify against either until it is removed.
     */
    previousWebhookSecret: Type.Optional(Type.String({ minLength: 1 })),
    /** Email the buyer when the fulfilment is created (default false: the shop decides). */
    notifyCustomer: Type.Optional(Type.Boolean()),
  },
});

export const manifest = platformManifest({
  id: 'shopify',
  name: 'Shopify',
  kind: 'platform',
  dialect: 'rest-json',
  auth: 'hmac-sha256-base64 webhook (X-Shopify-Hmac-Sha256) + X-Shopify-Access-Token',
  defaultTier: 'A',
  capabilities: ['orders.webhook', 'orders.subscribe', 'orders.fetch', 'fulfilment.send'],
  settings,
  topicHeader: 'x-shopify-topic',
  deliveryIdHeader: 'x-shopify-webhook-id',
});
