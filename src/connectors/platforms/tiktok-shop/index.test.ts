import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HttpClient, HttpRequest } from '../../http.js';
import { createConnector } from './index.js';
import { markShippedBody, readEnvelope, tiktokOrderToCanonical } from './mapper.js';
import { signTiktok, tiktokSignBase, verifyTiktok } from './signature.js';

const text = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('TikTok Shop signing', () => {
  it('reproduces the published vector (secret e59af819cc, /authorization/202309/shops)', () => {
    const input = {
      path: '/authorization/202309/shops',
      query: { app_key: '29a39d', timestamp: '1623812664' },
    };
    expect(tiktokSignBase(input)).toBe('/authorization/202309/shopsapp_key29a39dtimestamp1623812664');
    expect(signTiktok(input, 'e59af819cc')).toBe(
      'b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8',
    );
  });

  it('signs the exact body after the sorted query, and leaves sign and access_token out', () => {
    const input = {
      path: '/event/202309/webhooks',
      query: {
        timestamp: '1696909648',
        shop_cipher: 'ROW_xkMbgAAAeVAQra0eZWebFQq5aIKt',
        app_key: '68xu9ks5p4i8',
        access_token: 'tok',
        sign: 'x',
      },
      body: '{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}',
    };
    expect(tiktokSignBase(input)).toBe(
      '/event/202309/webhooksapp_key68xu9ks5p4i8shop_cipherROW_xkMbgAAAeVAQra0eZWebFQq5aIKttimestamp1696909648{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}',
    );
  });

  it('rejects a tampered body, query or path and a wrong secret (any request)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\/[a-z0-9/]{1,30}$/),
        fc.string({ maxLength: 80 }),
        fc.string({ minLength: 1, maxLength: 10 }),
        (path, body, ts) => {
          const query = { app_key: 'k', timestamp: ts };
          const sign = signTiktok({ path, query, body }, 'secret');
          const signed = { ...query, sign };
          return (
            verifyTiktok({ path, query: signed, body }, 'secret') &&
            !verifyTiktok({ path, query: signed, body: `${body} ` }, 'secret') &&
            !verifyTiktok({ path, query: { ...signed, timestamp: `${ts}0` }, body }, 'secret') &&
            !verifyTiktok({ path: `${path}x`, query: signed, body }, 'secret') &&
            !verifyTiktok({ path, query: signed, body }, 'secret2')
          );
        },
      ),
    );
  });
});

describe('TikTok Shop mapping', () => {
  it('maps an order, merging per-unit lines of one SKU into a quantity', () => {
    const env = readEnvelope(JSON.parse(text('order-detail.tiktok.json')));
    const order = (env?.data?.orders as unknown[])[0];
    expect(tiktokOrderToCanonical(order, 'tiktok-shop')).toEqual(JSON.parse(text('order.canonical.json')));
  });

  it('names every field it cannot map', () => {
    let err: { details?: { errors: { field: string }[] } } | undefined;
    try {
      tiktokOrderToCanonical(
        {
          id: '1',
          status: 'UNPAID',
          payment: { currency: 'XX' },
          line_items: [{ seller_sku: 'A', sale_price: 5 }],
        },
        'tiktok-shop',
      );
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.details?.errors.map((e) => e.field)).toEqual(
      expect.arrayContaining([
        '/status',
        '/payment/currency',
        '/recipient_address',
        '/line_items/0/product_name',
        '/line_items/0/sale_price',
      ]),
    );
  });

  it('builds the Mark Package As Shipped body of the fixture', () => {
    expect(
      JSON.parse(
        markShippedBody(
          ['577087614418913015', '577087614418913016'],
          '1Z999AA10123456784',
          '6617675021119438849',
        ),
      ),
    ).toEqual(JSON.parse(text('mark-shipped.request.tiktok.json')));
  });
});

describe('TikTok Shop connector', () => {
  const endpoint = {
    partnerId: 'tiktok-shop',
    baseUrl: 'https://open-api.tiktokglobalshop.com',
    credentials: { appKey: '29a39d', appSecret: 'e59af819cc', accessToken: 'TTP_tok', shopCipher: 'ROW_abc' },
    options: { shippingProviders: { ups: '6617675021119438849' } },
  };
  const sent: HttpRequest[] = [];
  const http = (answers: string[]): HttpClient => ({
    async send(r) {
      sent.push(r);
      return { status: 200, headers: {}, body: answers.shift() ?? '{}' };
    },
    close: async () => undefined,
  });

  it('signs each call, sends the token as a header, and ships back the package', async () => {
    sent.length = 0;
    const tt = createConnector(
      endpoint,
      http([text('order-detail.tiktok.json'), text('mark-shipped.response.tiktok.json')]),
    );
    const res = await tt.sendFulfilment({
      externalOrderId: '576461413038785752',
      waybillNo: '1Z999AA10123456784',
      carrierName: 'ups',
      status: 'info_received',
    });
    expect(res).toEqual({ partnerRef: '1153132168123859123' });
    const post = sent[1] as HttpRequest;
    const url = new URL(post.url);
    expect(url.pathname).toBe('/fulfillment/202309/orders/576461413038785752/packages');
    expect(post.headers?.['x-tts-access-token']).toBe('TTP_tok');
    expect(url.searchParams.has('access_token')).toBe(false);
    const query = Object.fromEntries(url.searchParams);
    expect(
      verifyTiktok({ path: url.pathname, query, ...(post.body ? { body: post.body } : {}) }, 'e59af819cc'),
    ).toBe(true);
    expect(JSON.parse(post.body ?? '')).toEqual(JSON.parse(text('mark-shipped.request.tiktok.json')));
  });

  it.each([
    ['error-sign.tiktok.json', { code: 'partner_auth_failed', retryable: false, partnerCode: '106001' }],
    ['error-status.tiktok.json', { code: 'partner_rejected', retryable: false, partnerCode: '21011001' }],
  ])('maps the error envelope %s', async (file, expected) => {
    const tt = createConnector(endpoint, http([text(file)]));
    const err = await tt.fetchOrder('1').catch((e: unknown) => e);
    expect(err).toMatchObject(expected);
    expect(JSON.stringify(err)).not.toContain('e59af819cc');
    expect(JSON.stringify(err)).not.toContain('TTP_tok');
  });
});
