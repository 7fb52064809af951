import { Type } from '@sinclair/typebox';
import { carrierManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

/** What Cainiao LINK needs from the config: checked when the hub loads or reloads it. */
export const settings = defineSettings({
  credentials: {
    logisticProviderId: Secret('LINK resource code (logistic_provider_id) of the application'),
    appSecret: Secret('LINK secret key the data_digest is computed with (never sent)'),
  },
  options: {
    /** `to_code` of the Cainiao service the messages are routed to (default CNGFC). */
    toCode: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_]{1,32}$' })),
    /** Cainiao global solution code for created orders (default CAINIAO_STANDARD). */
    solutionCode: Type.Optional(Type.String({ pattern: '^[A-Z0-9_]{1,40}$' })),
  },
});

export const manifest = carrierManifest({
  id: 'cainiao',
  name: 'Cainiao (菜鸟) LINK gateway',
  kind: 'carrier',
  dialect: 'rest-json',
  auth: 'link-data-digest (base64 md5)',
  version: 'LINK',
  defaultTier: 'B',
  capabilities: ['shipment.create', 'tracking.poll', 'probe'],
  trackingBatchSize: 20,
  settings,
});
