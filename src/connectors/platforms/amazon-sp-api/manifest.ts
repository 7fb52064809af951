import { Type } from '@sinclair/typebox';
import { platformManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

export const settings = defineSettings({
  credentials: {
    clientId: Secret('LWA client id of the SP-API application (amzn1.application-oa2-client.…)'),
    clientSecret: Secret('LWA client secret of the application (sent to the token endpoint only)'),
    refreshToken: Secret("the selling partner's LWA refresh token (Atzr|…), from the authorisation"),
  },
  options: {
    /** Marketplaces whose orders are pulled (getOrders MarketplaceIds), e.g. ATVPDKIKX0DER (US). */
    marketplaceIds: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Z0-9]{10,14}$' }), { minItems: 1, maxItems: 50 }),
    ),
    /** The LWA token endpoint (default https://api.amazon.com/auth/o2/token). */
    tokenUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** Orders per getOrders page (MaxResultsPerPage, 1–100; Amazon's default 100). */
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** Pull by last update (default) or by creation time. */
    pullBy: Type.Optional(Type.Union([Type.Literal('LastUpdatedAfter'), Type.Literal('CreatedAfter')])),
    /**
     * Ask the Tokens API for a Restricted Data Token so getOrders carries the buyer's name,
     * street and phone (default true; needs the PII roles). Without it Amazon sends only the
     * city, region, postal code and country, and such an order cannot be shipped.
     */
    restrictedData: Type.Optional(Type.Boolean()),
    /** Amazon carrierCode per hub carrier name (e.g. { ups: UPS, yanwen: Yanwen }); else "Other". */
    carrierCodes: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 64 }))),
  },
});

export const manifest = platformManifest({
  id: 'amazon-sp-api',
  name: 'Amazon Selling Partner API (Orders v0)',
  kind: 'platform',
  dialect: 'rest-json',
  auth: 'LWA refresh-token flow; access token (or RDT) in x-amz-access-token',
  defaultTier: 'B',
  capabilities: ['orders.pull', 'orders.fetch', 'fulfilment.send'],
  settings,
});
