import { platformManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

export const settings = defineSettings({
  credentials: {
    webhookSecret: Secret('Secret the shop signs its webhooks with (base64 HMAC-SHA256 of the body)'),
    adminToken: Secret('Admin API access token (shpat_…), sent as X-Shop-Access-Token'),
  },
});

export const manifest = platformManifest({
  id: 'sandbox-shop',
  name: 'Sandbox Shop',
  kind: 'platform',
  dialect: 'rest-json',
  auth: 'hmac-sha256-base64 webhook + access token',
  defaultTier: 'A',
  capabilities: [
    'orders.webhook',
    'orders.subscribe',
    'orders.fetch',
    'stock.update',
    'returns.webhook',
    'returns.update',
  ],
  settings,
  topicHeader: 'x-shop-topic',
});
