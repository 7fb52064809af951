import { Type } from '@sinclair/typebox';
import { carrierManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

/** What Yanwen needs from the config: checked when the hub loads or reloads it. */
export const settings = defineSettings({
  credentials: {
    userId: Secret('Yanwen user_id (制单账号), sent in the query and signed'),
    apiToken: Secret('Yanwen API token the md5 sign is wrapped in (never sent)'),
  },
  options: {
    /** Yanwen product channel (channelId, from express.channel.getlist). */
    channelId: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z_-]{1,32}$' })),
    /** The tracking host (default http://api.track.yw56.com.cn). */
    trackingUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  },
});

export const manifest = carrierManifest({
  id: 'yanwen',
  name: 'Yanwen (燕文物流) open API',
  kind: 'carrier',
  dialect: 'rest-json',
  auth: 'md5 sign = md5(apiToken + user_id + body + format + method + timestamp + version + apiToken)',
  version: 'V1.0',
  defaultTier: 'B',
  capabilities: ['shipment.create', 'tracking.poll', 'label.fetch'],
  // The tracking API takes a comma-separated list of numbers.
  trackingBatchSize: 40,
  settings,
});
