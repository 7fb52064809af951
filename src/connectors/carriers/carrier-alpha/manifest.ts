import type { CarrierManifest } from '../../types.js';

export const manifest: CarrierManifest = {
  id: 'carrier-alpha',
  name: 'Carrier Alpha Express',
  kind: 'carrier',
  dialect: 'rest-json',
  auth: 'bearer',
  defaultTier: 'A',
  tracking: 'push',
  credentials: ['apiToken', 'webhookSecret'],
};
