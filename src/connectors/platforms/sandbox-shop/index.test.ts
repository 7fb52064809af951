import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WaygateError } from '../../../domain/index.js';
import type { HttpClient } from '../../http.js';
import type { InboundRequest } from '../../types.js';
import { createConnector, manifest } from './index.js';
import { signShopBody, verifyShopSignature } from './signature.js';

const fixtureText = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const signed = JSON.parse(fixtureText('orders-create.signed.json')) as {
  webhookSecret: string;
  bodyFile: string;
  headers: Record<string, string>;
};
const body = fixtureText(signed.bodyFile);

const noHttp: HttpClient = {
  send: () => Promise.reject(new Error('no HTTP in this test')),
  close: () => Promise.resolve(),
};
const connectorWith = (webhookSecret: string) =>
  createConnector(
    {
      partnerId: 'sandbox-shop',
      baseUrl: 'http://127.0.0.1:1',
      credentials: { webhookSecret, adminToken: 'shpat_test' },
    },
    noHttp,
  );
const shop = connectorWith(signed.webhookSecret);
const req = (headers: Record<string, string | undefined>, rawBody = body): InboundRequest => ({
  headers,
  rawBody,
  nowMs: Date.now(),
});

function thrown(fn: () => unknown): WaygateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WaygateError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('sandbox-shop webhook signature', () => {
  it('declares the manifest the registry and docs rely on', () => {
    expect(manifest).toMatchObject({
      id: 'sandbox-shop',
      kind: 'platform',
      dialect: 'rest-json',
      defaultTier: 'A',
    });
    expect(manifest.credentials).toEqual(['webhookSecret', 'adminToken']);
  });

  it('accepts the documented worked example (base64 HMAC-SHA256 of the raw body)', () => {
    expect(signShopBody(signed.webhookSecret, body)).toBe(signed.headers['x-shop-hmac-sha256']);
    expect(shop.verifyWebhook(req(signed.headers))).toBe(true);
  });

  it('rejects a delivery signed with another secret', () => {
    const forged = { ...signed.headers, 'x-shop-hmac-sha256': signShopBody('attacker-secret', body) };
    expect(shop.verifyWebhook(req(forged))).toBe(false);
    expect(connectorWith('another-secret').verifyWebhook(req(signed.headers))).toBe(false);
  });

  it('rejects a tampered body under the original signature', () => {
    const tampered = body.replace('"quantity": 5', '"quantity": 50');
    expect(tampered).not.toBe(body);
    expect(shop.verifyWebhook(req(signed.headers, tampered))).toBe(false);
  });

  it('rejects a delivery without the signature header, or with a malformed one', () => {
    expect(shop.verifyWebhook(req({ ...signed.headers, 'x-shop-hmac-sha256': undefined }))).toBe(false);
    expect(shop.verifyWebhook(req({ ...signed.headers, 'x-shop-hmac-sha256': '' }))).toBe(false);
    expect(shop.verifyWebhook(req({ ...signed.headers, 'x-shop-hmac-sha256': 'bm90IGEgc2lnbmF0dXJl' }))).toBe(
      false,
    );
  });

  it('cannot be configured without a webhook secret, and an empty key verifies nothing', () => {
    // A missing secret is a settings error when the connector is built (and when the config is
    // loaded), not a connector that quietly verifies against ''.
    expect(() => connectorWith('')).toThrow(/credentials\.webhookSecret must not be empty/);
    expect(verifyShopSignature('', body, signShopBody('', body))).toBe(false);
  });

  it('signs no timestamp, so a replay verifies and is recognised by its unchanged webhook id', () => {
    // The scheme has no signed timestamp to go stale; de-duplication on X-Shop-Webhook-Id and
    // on the order id is what makes a replayed delivery harmless.
    const replay = { ...signed.headers, 'x-shop-triggered-at': '2020-01-01T00:00:00.000Z' };
    expect(shop.verifyWebhook(req(replay))).toBe(true);
    expect(shop.parseOrderWebhook(req(replay)).deliveryId).toBe(
      shop.parseOrderWebhook(req(signed.headers)).deliveryId,
    );
  });
});

describe('sandbox-shop webhook parsing', () => {
  it('parses a delivery into its webhook id, canonical topic and canonical order', () => {
    const hook = shop.parseOrderWebhook(req(signed.headers));
    expect(hook.deliveryId).toBe(signed.headers['x-shop-webhook-id']);
    expect(hook.topic).toBe('order.created');
    expect(hook.order).toEqual(JSON.parse(fixtureText('orders-create.canonical.json')));
  });

  it('refuses a body whose order cannot be mapped, with field details', () => {
    const err = thrown(() =>
      shop.parseOrderWebhook(req(signed.headers, fixtureText('orders-create.invalid.json'))),
    );
    expect(err.kind).toBe('invalid_input');
    expect((err.details as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(
      '/shipping_address',
    );
  });

  it('refuses a body that is not JSON', () => {
    expect(thrown(() => shop.parseOrderWebhook(req(signed.headers, '{"id": 1,'))).code).toBe(
      'order_payload_invalid',
    );
  });

  it('refuses a delivery without webhook id or topic headers', () => {
    const err = thrown(() =>
      shop.parseOrderWebhook(
        req({ ...signed.headers, 'x-shop-webhook-id': undefined, 'x-shop-topic': undefined }),
      ),
    );
    expect(err.code).toBe('webhook_headers_invalid');
    expect((err.details as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
      'header:x-shop-webhook-id',
      'header:x-shop-topic',
    ]);
  });

  it('refuses topics other than orders/create, including unknown ones', () => {
    for (const topic of ['orders/cancelled', 'products/update']) {
      expect(
        thrown(() => shop.parseOrderWebhook(req({ ...signed.headers, 'x-shop-topic': topic }))).code,
      ).toBe('webhook_topic_unsupported');
    }
  });
});
