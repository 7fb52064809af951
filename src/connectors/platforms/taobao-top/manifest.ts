import { Type } from '@sinclair/typebox';
import { platformManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

export const settings = defineSettings({
  credentials: {
    appKey: Secret('app_key of the TOP application'),
    appSecret: Secret('app secret the request sign is computed with (never sent)'),
    session: Secret("the seller's authorised session (access token) for the trade APIs"),
  },
  options: {
    /** md5 (secret-wrapped MD5, default), hmac (HMAC-MD5) or hmac-sha256. */
    signMethod: Type.Optional(
      Type.Union([Type.Literal('md5'), Type.Literal('hmac'), Type.Literal('hmac-sha256')]),
    ),
    /** Trades per page of taobao.trades.sold.increment.get (TOP allows up to 100). */
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /**
     * The TOP logistics company code each of the hub's carriers ships under (e.g.
     * `{"fourpx": "FOURPX", "ups": "UPS"}`); a carrier not listed is sent as `OTHER`.
     */
    companyCodes: Type.Optional(Type.Record(Type.String(), Type.String({ pattern: '^[A-Z0-9_]{1,32}$' }))),
  },
});

export const manifest = platformManifest({
  id: 'taobao-top',
  name: 'Taobao / Tmall Open Platform (TOP)',
  kind: 'platform',
  dialect: 'rest-json',
  auth: 'TOP sign (md5 | hmac | hmac-sha256 over sorted params) + session',
  defaultTier: 'B',
  capabilities: ['orders.pull', 'fulfilment.send'],
  settings,
});
