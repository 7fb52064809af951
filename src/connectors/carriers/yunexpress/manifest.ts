import { Type } from '@sinclair/typebox';
import { carrierManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

/** What YunExpress needs from the config: checked when the hub loads or reloads it. */
export const settings = defineSettings({
  credentials: {
    customerCode: Secret('YunExpress customer code (客户编号)'),
    apiSecret: Secret('API secret paired with the customer code in the Basic token'),
  },
  options: {
    /** YunExpress shipping method (`ShippingMethodCode`), default THPHR (云途全球专线挂号). */
    shippingMethod: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{2,16}$' })),
  },
});

export const manifest = carrierManifest({
  id: 'yunexpress',
  name: 'YunExpress (云途物流) OMS API',
  kind: 'carrier',
  dialect: 'rest-json',
  auth: 'http-basic (CustomerCode&ApiSecret)',
  version: 'OMS API v1',
  defaultTier: 'B',
  capabilities: ['shipment.create', 'tracking.poll', 'probe', 'label.fetch'],
  // GetTrackInfo takes one OrderNumber per call; the poll job's batch is walked in turn.
  trackingBatchSize: 20,
  settings,
});
