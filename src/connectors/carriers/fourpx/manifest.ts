import { Type } from '@sinclair/typebox';
import { carrierManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

/** What 4PX needs from the config: checked when the hub loads or reloads it. */
export const settings = defineSettings({
  credentials: {
    appKey: Secret('app_key of the 4PX FOP open platform application'),
    appSecret: Secret('appSecret the md5 `sign` is computed with (never sent)'),
  },
  options: {
    /** 4PX logistics product code (`logistics_product_code`), e.g. F3; default F3. */
    productCode: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{1,10}$' })),
    /** Label format asked of `ds.xms.label.get` (default PDF). */
    labelFormat: Type.Optional(Type.Union([Type.Literal('PDF'), Type.Literal('PNG'), Type.Literal('ZPL')])),
    /** Answer language of 4PX's messages (default en). */
    language: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('cn')])),
  },
});

export const manifest = carrierManifest({
  id: 'fourpx',
  name: '4PX (递四方) FOP open platform',
  kind: 'carrier',
  dialect: 'rest-json',
  auth: '4px-md5-sign',
  version: '1.1.0 (orders), 1.0.0 (tracking)',
  defaultTier: 'B',
  capabilities: ['shipment.create', 'tracking.poll', 'probe', 'shipment.cancel', 'label.fetch'],
  // tr.order.tracking.get takes one deliveryOrderNo per call; the poll job's batch is walked here.
  trackingBatchSize: 20,
  settings,
});
