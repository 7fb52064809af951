import { platformManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';
import { Type } from '@sinclair/typebox';

export const settings = defineSettings({
  credentials: {
    appKey: Secret('app_key of the TikTok Shop Partner Center app'),
    appSecret: Secret('app_secret the HMAC-SHA256 sign is computed with (never sent)'),
    accessToken: Secret("the shop's access token, sent as x-tts-access-token (never signed)"),
    shopCipher: Secret('shop_cipher of the authorised shop (from Get Authorized Shops)'),
  },
  options: {
    /** Orders per page of Search Orders (TikTok allows up to 100). */
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** TikTok's shipping_provider_id per hub carrier (from Get Shipping Providers). */
    shippingProviders: Type.Optional(Type.Record(Type.String(), Type.String({ pattern: '^[0-9]{1,32}$' }))),
    /**
     * The shop's `shop_id` as TikTok names it in pushes: when set, a push for another shop of the
     * same app is refused (dead-lettered with the field named) rather than fetched here.
     */
    shopId: Type.Optional(Type.String({ pattern: '^[0-9]{1,32}$' })),
  },
});

export const manifest = platformManifest({
  id: 'tiktok-shop',
  name: 'TikTok Shop',
  kind: 'platform',
  dialect: 'rest-json',
  auth: 'HMAC-SHA256 sign (secret-wrapped path + sorted query + body) + x-tts-access-token; pushes: Authorization = HMAC-SHA256(app_key + body)',
  defaultTier: 'B',
  capabilities: ['orders.pull', 'orders.webhook', 'orders.fetch', 'fulfilment.send'],
  settings,
});
