import { warehouseManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

export const settings = defineSettings({
  credentials: {
    appKey: Secret('OWH app key, sent as X-OWH-App-Key'),
    appSecret: Secret('Secret the hub signs its calls with (hex HMAC-SHA256 of the canonical request)'),
    pushSecret: Secret(
      'Secret the warehouse signs its stock events with (hex HMAC-SHA256 of timestamp.body)',
    ),
  },
});

export const manifest = warehouseManifest({
  id: 'sandbox-warehouse',
  name: 'Sandbox Overseas Warehouse (OWH)',
  kind: 'warehouse',
  dialect: 'rest-json',
  auth: 'app-key HMAC-SHA256 request signature; HMAC-SHA256 event pushes',
  defaultTier: 'A',
  capabilities: [
    'outbound.create',
    'outbound.status',
    'stock.query',
    'stock.push',
    'inbound.create',
    'return.announce',
    'return.cancel',
  ],
  settings,
});
