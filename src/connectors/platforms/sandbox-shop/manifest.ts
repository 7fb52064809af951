import type { PlatformManifest } from '../../types.js';

export const manifest: PlatformManifest = {
  id: 'sandbox-shop',
  name: 'Sandbox Shop',
  kind: 'platform',
  dialect: 'rest-json',
  auth: 'hmac-sha256-base64 webhook + access token',
  defaultTier: 'A',
  credentials: ['webhookSecret', 'adminToken'],
  topicHeader: 'x-shop-topic',
};
