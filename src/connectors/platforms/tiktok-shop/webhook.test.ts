/**
 * TikTok Shop pushes: the `Authorization` signature (HMAC-SHA256 under the app secret over
 * app_key + raw body) and the ORDER_STATUS_CHANGE body. TikTok publishes no test vector for push
 * signatures: the expected digests below were computed apart from this code, with
 * `(printf %s 68xu9ks5p4i8; cat FIXTURE) | openssl dgst -sha256 -hmac e59af819cc` and again
 * with Python's hmac module, over the fixture files' exact bytes.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HttpClient } from '../../http.js';
import type { InboundRequest } from '../../types.js';
import { createConnector } from './index.js';
import { readOrderStatusChange, signTiktokPush } from './webhook.js';

const bytes = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const APP_KEY = '68xu9ks5p4i8';
const SECRET = 'e59af819cc';
const STATUS_CHANGE = bytes('order-status-change.push.tiktok.json');
const IN_TRANSIT = bytes('order-in-transit.push.tiktok.json');
const PACKAGE_UPDATE = bytes('package-update.push.tiktok.json');
const DIGEST_STATUS_CHANGE = '654b9dcc0a00c7f209b4e6a54b0ea888e9780448bf65bfbf3ffbae40400133be';
const DIGEST_IN_TRANSIT = '4b0f37d42cb180ea681cf1bf4175fc9397187b47be58912aa67b5c203d53178a';

const noHttp: HttpClient = {
  send: () => Promise.reject(new Error('a push is verified and read without calling TikTok')),
  close: async () => undefined,
};
const connector = (options: Record<string, unknown> = {}) =>
  createConnector(
    {
      partnerId: 'tiktok-shop',
      baseUrl: 'https://open-api.tiktokglobalshop.com',
      credentials: { appKey: APP_KEY, appSecret: SECRET, accessToken: 'TTP_tok', shopCipher: 'ROW_abc' },
      options,
    },
    noHttp,
  );
const push = (body: Buffer, authorization?: string): InboundRequest => ({
  headers: {
    'content-type': 'application/json',
    ...(authorization !== undefined ? { authorization } : {}),
  },
  rawBody: body.toString('utf8'),
  rawBytes: body,
  nowMs: 0,
});
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('TikTok Shop push signature', () => {
  it('reproduces the independently computed digests of the fixtures', () => {
    expect(signTiktokPush(APP_KEY, SECRET, STATUS_CHANGE)).toBe(DIGEST_STATUS_CHANGE);
    expect(signTiktokPush(APP_KEY, SECRET, IN_TRANSIT)).toBe(DIGEST_IN_TRANSIT);
    const tt = connector();
    expect(tt.verifyWebhook(push(STATUS_CHANGE, DIGEST_STATUS_CHANGE))).toBe(true);
    // Hex is hex: TikTok sends lowercase, an upper-case copy is the same digest.
    expect(tt.verifyWebhook(push(STATUS_CHANGE, DIGEST_STATUS_CHANGE.toUpperCase()))).toBe(true);
  });

  it('refuses a missing header, a Bearer-style header and a digest of another push', () => {
    const tt = connector();
    expect(tt.verifyWebhook(push(STATUS_CHANGE))).toBe(false);
    expect(tt.verifyWebhook(push(STATUS_CHANGE, ''))).toBe(false);
    expect(tt.verifyWebhook(push(STATUS_CHANGE, `Bearer ${DIGEST_STATUS_CHANGE}`))).toBe(false);
    expect(tt.verifyWebhook(push(STATUS_CHANGE, DIGEST_IN_TRANSIT))).toBe(false);
    // The app key is part of what is signed: a digest of the body alone does not verify.
    expect(tt.verifyWebhook(push(STATUS_CHANGE, signTiktokPush('', SECRET, STATUS_CHANGE)))).toBe(false);
  });

  it('refuses any changed byte, any other secret or app key, and any forged header (fast-check)', () => {
    const tt = connector();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.string({ maxLength: 70 }),
        (raw, at, flip, otherSecret, forged) => {
          const body = Buffer.from(raw);
          const sig = signTiktokPush(APP_KEY, SECRET, body);
          if (!tt.verifyWebhook(push(body, sig))) return false;
          if (body.length > 0) {
            const mangled = Buffer.from(body);
            const i = at % mangled.length;
            mangled[i] = (mangled[i] ?? 0) ^ flip;
            if (tt.verifyWebhook(push(mangled, sig))) return false;
            if (tt.verifyWebhook(push(body.subarray(0, body.length - 1), sig))) return false;
          }
          if (tt.verifyWebhook(push(Buffer.concat([body, Buffer.from(' ')]), sig))) return false;
          if (
            otherSecret !== SECRET &&
            tt.verifyWebhook(push(body, signTiktokPush(APP_KEY, otherSecret, body)))
          )
            return false;
          if (tt.verifyWebhook(push(body, signTiktokPush(`${APP_KEY}x`, SECRET, body)))) return false;
          return forged.toLowerCase() === sig || !tt.verifyWebhook(push(body, forged));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a signature changed in any one hex digit (fast-check)', () => {
    const tt = connector();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 15 }), (i, delta) => {
        const digit = (parseInt(DIGEST_STATUS_CHANGE[i] ?? '0', 16) + delta) % 16;
        const sig = `${DIGEST_STATUS_CHANGE.slice(0, i)}${digit.toString(16)}${DIGEST_STATUS_CHANGE.slice(i + 1)}`;
        return !tt.verifyWebhook(push(STATUS_CHANGE, sig));
      }),
    );
  });
});

describe('TikTok Shop ORDER_STATUS_CHANGE', () => {
  it('reads an order awaiting shipment as a notice to fetch it, its 18-digit id exact', () => {
    expect(connector().parseOrderWebhook(push(STATUS_CHANGE))).toEqual({
      deliveryId: '7327112393057207041',
      topic: 'ORDER_STATUS_CHANGE',
      notice: { externalId: '576461413038785752', status: 'AWAITING_SHIPMENT', fetch: true },
    });
  });

  it('acknowledges a later status without fetching the order', () => {
    expect(connector().parseOrderWebhook(push(IN_TRANSIT)).notice).toEqual({
      externalId: '576461413038785752',
      status: 'IN_TRANSIT',
      fetch: false,
    });
  });

  it('refuses another push type, naming it', () => {
    let err: { code?: string; details?: { errors: Array<{ field: string; message: string }> } } = {};
    try {
      connector().parseOrderWebhook(push(PACKAGE_UPDATE));
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('webhook_topic_unsupported');
    expect(err.details?.errors[0]).toEqual({ field: '/type', message: 'type 4 is not accepted' });
  });

  it('refuses a push for another shop when the shop is configured', () => {
    expect(code(() => connector({ shopId: '1234' }).parseOrderWebhook(push(STATUS_CHANGE)))).toBe(
      'order_payload_invalid',
    );
    expect(
      connector({ shopId: '7494049642642441621' }).parseOrderWebhook(push(STATUS_CHANGE)).notice.fetch,
    ).toBe(true);
  });

  it('refuses an order id sent as a number (already rounded by any JSON reader)', () => {
    const body = STATUS_CHANGE.toString('utf8').replace('"576461413038785752"', '576461413038785752');
    expect(code(() => readOrderStatusChange(body))).toBe('order_payload_invalid');
  });

  it('answers a field-naming refusal, never a crash, for any mangled body (fast-check)', () => {
    const base = JSON.parse(STATUS_CHANGE.toString('utf8')) as Record<string, unknown>;
    const anyJson = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          anyJson.map((v) => JSON.stringify(v)),
          fc
            .record({
              key: fc.constantFrom('type', 'shop_id', 'data', 'tts_notification_id'),
              value: anyJson,
            })
            .map(({ key, value }) => JSON.stringify({ ...base, [key]: value })),
          fc
            .record({ key: fc.constantFrom('order_id', 'order_status', 'update_time'), value: anyJson })
            .map(({ key, value }) =>
              JSON.stringify({ ...base, data: { ...(base.data as object), [key]: value } }),
            ),
        ),
        (body) => {
          try {
            const r = readOrderStatusChange(body);
            return /^[0-9]{1,32}$/.test(r.orderId) && /^[0-9]{1,32}$/.test(r.shopId);
          } catch (e) {
            const c = (e as { code?: string }).code;
            return c === 'order_payload_invalid' || c === 'webhook_topic_unsupported';
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
