import { Type } from '@sinclair/typebox';
import { carrierManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

/** What UPS needs from the config: checked when the hub loads or reloads it. */
export const settings = defineSettings({
  credentials: {
    clientId: Secret('OAuth client ID of the UPS developer app'),
    clientSecret: Secret('OAuth client secret of the UPS developer app'),
    accountNumber: Secret('UPS shipper account number the shipments are billed to'),
  },
  options: {
    /** UPS service code, default 11 (UPS Standard); 65 Saver, 07 Worldwide Express… */
    serviceCode: Type.Optional(Type.String({ pattern: '^\\d{2}$' })),
    /** Label image format (default ZPL for thermal printers). */
    labelFormat: Type.Optional(Type.Union([Type.Literal('ZPL'), Type.Literal('PNG')])),
    /** Sent as `transactionSrc` on every call (default waygate). */
    transactionSrc: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,30}$' })),
    /** The shipper address printed on labels. */
    shipper: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 35 }),
          phone: Type.Optional(Type.String({ maxLength: 15 })),
          addressLine: Type.String({ minLength: 1, maxLength: 35 }),
          city: Type.String({ minLength: 1, maxLength: 30 }),
          postalCode: Type.Optional(Type.String({ maxLength: 9 })),
          countryCode: Type.String({ pattern: '^[A-Z]{2}$' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
});

export const manifest = carrierManifest({
  id: 'ups',
  name: 'UPS (OAuth 2.0, Shipping and Tracking APIs)',
  kind: 'carrier',
  dialect: 'rest-json',
  auth: 'oauth2-client-credentials',
  version: 'shipments v2409, track v1',
  defaultTier: 'A',
  capabilities: ['shipment.create', 'tracking.poll', 'probe'],
  // /track/v1/details takes one inquiry number per call.
  trackingBatchSize: 20,
  settings,
});
