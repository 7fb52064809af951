import { Type } from '@sinclair/typebox';
import { carrierManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

export const settings = defineSettings({
  credentials: {
    appKey: Secret('App key issued by beta’s open platform (digits)'),
    appSecret: Secret('App secret the TOP-style HMAC-SHA256 `sign` is keyed with'),
  },
  options: {
    /** Beta's product code for created waybills (default BETA_STANDARD). */
    serviceCode: Type.Optional(Type.String({ pattern: '^[A-Z0-9_]{1,32}$' })),
  },
});

export const manifest = carrierManifest({
  kind: 'carrier',
  id: 'carrier-beta',
  name: 'Carrier Beta (CN cross-border, TOP-style XML router)',
  dialect: 'xml-http',
  auth: 'top-hmac-sha256',
  defaultTier: 'B',
  capabilities: ['shipment.create', 'tracking.poll', 'probe', 'bills.fetch'],
  trackingBatchSize: 50,
  settings,
});
