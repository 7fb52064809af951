import { carrierManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

export const settings = defineSettings({
  credentials: {
    apiToken: Secret('Bearer token of the alpha API (alpha_live_… / alpha_test_…)'),
    webhookSecret: Secret('Secret alpha signs its tracking pushes with (whsec_…)'),
  },
});

export const manifest = carrierManifest({
  id: 'carrier-alpha',
  name: 'Carrier Alpha Express',
  kind: 'carrier',
  dialect: 'rest-json',
  auth: 'bearer',
  defaultTier: 'A',
  capabilities: ['shipment.create', 'tracking.push', 'probe', 'bills.fetch', 'return.label'],
  settings,
});
