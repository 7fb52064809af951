import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse as losslessParse } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { WaygateError } from '../../../domain/index.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../../http.js';
import type { FulfilmentRequest, InboundRequest } from '../../types.js';
import { createConnector } from './index.js';
import {
  buildFulfillmentCreate,
  canonicalToShopifyOrder,
  fulfillmentId,
  openFulfillmentOrderIds,
  parseShopifyJson,
  shopifyErrorMessage,
  shopifyOrderToCanonical,
} from './mapper.js';
import { signShopifyBody, verifyShopifyHmac } from './signature.js';

const text = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const orderBody = text('orders-create.shopify.json');

function thrown(fn: () => unknown): WaygateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WaygateError) return err;
    throw err;
  }
  throw new Error('expected a WaygateError');
}

describe('Shopify webhook signature', () => {
  it('reproduces the reference vector: secret hush, body {"id":1}', () => {
    expect(signShopifyBody('hush', '{"id":1}')).toBe('VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=');
    expect(verifyShopifyHmac(['hush'], '{"id":1}', 'VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=')).toBe(
      true,
    );
  });

  it('rejects a tampered body, a wrong secret, a hex or missing signature', () => {
    const sig = signShopifyBody('hush', orderBody);
    expect(verifyShopifyHmac(['hush'], orderBody, sig)).toBe(true);
    expect(verifyShopifyHmac(['hush'], orderBody.replace('19.90', '1.99'), sig)).toBe(false);
    expect(verifyShopifyHmac(['wrong'], orderBody, sig)).toBe(false);
    expect(verifyShopifyHmac(['hush'], orderBody, Buffer.from(sig, 'base64').toString('hex'))).toBe(false);
    expect(verifyShopifyHmac(['hush'], orderBody, undefined)).toBe(false);
  });

  it('rejects any changed byte of any body (the class, not one instance)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, at, flip) => {
          const body = Buffer.from(bytes);
          const sig = signShopifyBody('s3cret', body);
          const tampered = Buffer.from(body);
          const i = at % tampered.length;
          tampered[i] = (tampered[i] ?? 0) ^ flip;
          return verifyShopifyHmac(['s3cret'], body, sig) && !verifyShopifyHmac(['s3cret'], tampered, sig);
        },
      ),
    );
  });

  it('accepts the previous secret during a rotation, and only the configured ones', () => {
    const sig = signShopifyBody('old-secret', orderBody);
    expect(verifyShopifyHmac(['new-secret', 'old-secret'], orderBody, sig)).toBe(true);
    expect(verifyShopifyHmac(['new-secret'], orderBody, sig)).toBe(false);
  });
});

describe('Shopify order mapping', () => {
  it('maps an orders/create body to the canonical order, ids exact, customs data left to the catalogue', () => {
    const canonical = shopifyOrderToCanonical(parseShopifyJson(orderBody), 'shopify');
    expect(canonical).toEqual(JSON.parse(text('orders-create.canonical.json')));
    // JSON.parse would have rounded it to …456800.
    expect(canonical.externalId).toBe('5831427890123456789');
    expect(String(Number(canonical.externalId))).not.toBe(canonical.externalId);
  });

  it('keeps an id above 2^53 exact through the round trip canonical → Shopify → canonical', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 2n ** 53n + 1n, max: 10n ** 19n - 1n }), (id) => {
        const base = JSON.parse(text('orders-create.canonical.json')) as Parameters<
          typeof canonicalToShopifyOrder
        >[0];
        const out = canonicalToShopifyOrder({ ...base, externalId: id.toString() });
        expect(out).toContain(`"id":${id.toString()}`);
        const back = shopifyOrderToCanonical(parseShopifyJson(out), 'shopify');
        return back.externalId === id.toString();
      }),
    );
  });

  it('names every Shopify field it cannot map', () => {
    const err = thrown(() =>
      shopifyOrderToCanonical(parseShopifyJson(text('order-no-address.shopify.json')), 'shopify'),
    );
    expect(err.code).toBe('order_payload_invalid');
    const fields = (err.details as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        '/currency',
        '/created_at',
        '/shipping_address',
        '/line_items/0/sku',
        '/line_items/0/quantity',
        '/line_items/0/price',
      ]),
    );
  });

  it('refuses a body that is not JSON without echoing it', () => {
    expect(thrown(() => parseShopifyJson('{"id": 1,')).code).toBe('order_payload_invalid');
  });
});

describe('Shopify fulfilment mapping', () => {
  const req: FulfilmentRequest = {
    externalOrderId: '5831427890123456789',
    waybillNo: '4PX3001234567890CN',
    carrierName: '4PX',
    trackingUrl: 'https://track.4px.com/#/result/0/4PX3001234567890CN',
    status: 'info_received',
  };

  it('reads the open fulfilment orders with exact ids and builds the fulfilment of the fixture', () => {
    const open = openFulfillmentOrderIds(parseShopifyJson(text('fulfillment-orders.shopify.json')));
    expect(open).toEqual(['6912345678901234567']);
    const body = buildFulfillmentCreate(open ?? [], req, false);
    expect(losslessParse(body)).toEqual(losslessParse(text('fulfillment-create.shopify.json')));
    expect(body).toContain('"fulfillment_order_id":6912345678901234567');
  });

  it('reads the fulfilment id of the answer exactly', () => {
    expect(fulfillmentId(parseShopifyJson(text('fulfillment-created.shopify.json')))).toBe(
      '5012345678901234567',
    );
  });

  it('flattens both error envelopes', () => {
    expect(shopifyErrorMessage(text('error-404.shopify.json'))).toBe('Not Found');
    expect(shopifyErrorMessage(text('error-422.shopify.json'))).toBe(
      "fulfillment_order_id: is not open; base: Tracking number can't be blank",
    );
  });
});

describe('Shopify connector', () => {
  const calls: HttpRequest[] = [];
  function fakeHttp(answers: Record<string, HttpResponse>): HttpClient {
    return {
      async send(r) {
        calls.push(r);
        const key = `${r.method} ${new URL(r.url).pathname}`;
        const a = answers[key];
        if (!a) throw new Error(`unexpected ${key}`);
        return a;
      },
      close: async () => undefined,
    };
  }
  const endpoint = {
    partnerId: 'shopify',
    baseUrl: 'https://waygate-demo.myshopify.com',
    credentials: { webhookSecret: 'hush', accessToken: 'shpat_test' },
  };
  const ok = (body: string, status = 200): HttpResponse => ({ status, headers: {}, body });
  const V = '/admin/api/2025-01';

  it('verifies and parses a webhook, refusing a wrong topic and missing delivery id', () => {
    const shopify = createConnector(endpoint, fakeHttp({}));
    const headers = {
      'x-shopify-hmac-sha256': signShopifyBody('hush', orderBody),
      'x-shopify-topic': 'orders/updated',
      'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    };
    const req = (h: Record<string, string>): InboundRequest => ({ headers: h, rawBody: orderBody, nowMs: 0 });
    expect(shopify.verifyWebhook(req(headers))).toBe(true);
    expect(
      shopify.verifyWebhook(req({ ...headers, 'x-shopify-hmac-sha256': signShopifyBody('x', orderBody) })),
    ).toBe(false);
    const hook = shopify.parseOrderWebhook(req(headers));
    expect(hook).toMatchObject({ deliveryId: headers['x-shopify-webhook-id'], topic: 'order.updated' });
    expect(hook.order.externalId).toBe('5831427890123456789');
    expect(
      thrown(() => shopify.parseOrderWebhook(req({ ...headers, 'x-shopify-topic': 'orders/paid' }))).code,
    ).toBe('webhook_topic_unsupported');
    const { ['x-shopify-webhook-id']: _dropped, ...noId } = headers;
    expect(thrown(() => shopify.parseOrderWebhook(req(noId))).code).toBe('webhook_headers_invalid');
  });

  it('creates the fulfilment from the open fulfilment orders, then updates tracking and posts events', async () => {
    calls.length = 0;
    const shopify = createConnector(
      endpoint,
      fakeHttp({
        [`GET ${V}/orders/5831427890123456789/fulfillment_orders.json`]: ok(
          text('fulfillment-orders.shopify.json'),
        ),
        [`POST ${V}/fulfillments.json`]: ok(text('fulfillment-created.shopify.json'), 201),
        [`POST ${V}/fulfillments/5012345678901234567/update_tracking.json`]: ok(
          text('fulfillment-created.shopify.json'),
        ),
        [`POST ${V}/orders/5831427890123456789/fulfillments/5012345678901234567/events.json`]: ok(
          '{"fulfillment_event":{}}',
          201,
        ),
      }),
    );
    const base = {
      externalOrderId: '5831427890123456789',
      waybillNo: '4PX3001234567890CN',
      carrierName: '4PX',
    };
    expect(await shopify.sendFulfilment({ ...base, status: 'info_received' })).toEqual({
      partnerRef: '5012345678901234567',
    });
    expect(calls[1]?.body).toContain('"fulfillment_order_id":6912345678901234567');
    expect(calls[1]?.headers?.['x-shopify-access-token']).toBe('shpat_test');
    await shopify.sendFulfilment({ ...base, status: 'out_for_delivery', partnerRef: '5012345678901234567' });
    expect(calls.at(-1)?.body).toBe('{"event":{"status":"out_for_delivery"}}');
  });

  it('turns a 429 into a retryable error carrying Retry-After, and a 422 into a refusal naming the field', async () => {
    const limited = createConnector(
      endpoint,
      fakeHttp({
        [`GET ${V}/orders/1/fulfillment_orders.json`]: {
          status: 429,
          headers: { 'retry-after': '2.0', 'x-shopify-shop-api-call-limit': '40/40' },
          body: '{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}',
        },
      }),
    );
    const req = { externalOrderId: '1', waybillNo: 'W1', carrierName: 'UPS', status: 'in_transit' as const };
    const e429 = await limited.sendFulfilment(req).catch((e: unknown) => e);
    expect(e429).toBeInstanceOf(PartnerCallError);
    expect(e429).toMatchObject({ code: 'partner_rate_limited', retryable: true, retryAfterMs: 2000 });
    const refused = createConnector(
      endpoint,
      fakeHttp({
        [`GET ${V}/orders/1/fulfillment_orders.json`]: ok(text('fulfillment-orders.shopify.json')),
        [`POST ${V}/fulfillments.json`]: { status: 422, headers: {}, body: text('error-422.shopify.json') },
      }),
    );
    const e422 = await refused.sendFulfilment(req).catch((e: unknown) => e);
    expect(e422).toMatchObject({
      retryable: false,
      partnerMessage: expect.stringContaining('fulfillment_order_id: is not open'),
    });
    expect(JSON.stringify(e422)).not.toContain('shpat_test');
  });
});
