import type { CarrierManifest } from '../../types.js';

export const manifest: CarrierManifest = {
  kind: 'carrier',
  id: 'carrier-beta',
  name: 'Carrier Beta (CN cross-border, TOP-style XML router)',
  dialect: 'xml-http',
  auth: 'top-hmac-sha256',
  defaultTier: 'B',
  tracking: 'poll',
  trackingBatchSize: 50,
  credentials: ['appKey', 'appSecret'],
};
