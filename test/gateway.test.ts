import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signedHeaders } from '../src/gateway/signature.js';
import { freshStore, type TestStore } from './helpers/stores.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { orderFixture } from './helpers/fixtures.js';
import type { OrderInput } from '../src/domain/index.js';

describe('gateway: authentication of /v1', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  beforeEach(async () => {
    store = await freshStore('sqlite');
    gw = await gatewayFor(store);
  });
  afterEach(async () => {
    await gw.app.close();
    await store.destroy();
  });

  const body = JSON.stringify(orderFixture());
  /** Posts `payload` to /v1/orders with exactly the given auth headers. */
  const postOrder = (headers: Record<string, string>, payload = body) =>
    gw.app.inject({
      method: 'POST',
      url: '/v1/orders',
      payload,
      headers: { ...headers, 'content-type': 'application/json' },
    });

  it('rejects an unsigned request with 401', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/v1/orders',
      payload: body,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('auth_missing');
  });

  it('rejects a signature made with the wrong secret', async () => {
    const headers = signedHeaders(
      { keyId: gw.key.keyId, secret: 'not-the-secret' },
      'POST',
      '/v1/orders',
      body,
    );
    const res = await postOrder(headers);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('auth_bad_signature');
  });

  it('rejects a body changed after signing', async () => {
    const headers = signedHeaders(gw.key, 'POST', '/v1/orders', body);
    const tampered = body.replace('"quantity":2', '"quantity":20');
    const res = await postOrder(headers, tampered);
    expect(res.statusCode).toBe(401);
  });

  it('rejects a timestamp older than 300 s even with a valid signature', async () => {
    const old = Math.floor(Date.now() / 1000) - 301;
    const headers = signedHeaders(gw.key, 'POST', '/v1/orders', body, old);
    const res = await postOrder(headers);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('auth_stale_timestamp');
  });

  it('accepts a signed request once and rejects the same nonce replayed', async () => {
    const headers = signedHeaders(gw.key, 'POST', '/v1/orders', body);
    const first = await postOrder(headers);
    expect(first.statusCode).toBe(202);
    const replay = await postOrder(headers);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('auth_replayed_nonce');
  });

  it('answers health probes without authentication and serves the OpenAPI document', async () => {
    expect((await gw.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await gw.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const spec = await gw.app.inject({ url: '/openapi.json' });
    expect(spec.statusCode).toBe(200);
    expect(Object.keys(spec.json().paths)).toEqual(
      expect.arrayContaining(['/v1/orders', '/v1/orders/{id}', '/v1/shipments/{waybillNo}/tracking']),
    );
    expect((await gw.app.inject({ url: '/docs/' })).statusCode).toBe(200);
  });
});

describe('gateway: orders API', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  beforeEach(async () => {
    store = await freshStore('sqlite');
    gw = await gatewayFor(store);
  });
  afterEach(async () => {
    await gw.app.close();
    await store.destroy();
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await gw.call('POST', '/v1/orders', '{"source": "sandbox-shop",');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
  });

  it('answers a schema violation with 400 naming the exact field', async () => {
    const bad = orderFixture();
    bad.items[0]!.hsCode = '12AB';
    const res = await gw.call('POST', '/v1/orders', bad);
    expect(res.statusCode).toBe(400);
    const err = res.json().error;
    expect(err.code).toBe('validation_failed');
    expect(err.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: '/items/0/hsCode' })]),
    );
    expect(err.message).toContain('/items/0/hsCode');
  });

  it('rejects a missing field, an unknown field, a float price and an unknown currency, each by name', async () => {
    const { recipient, ...noRecipient } = orderFixture();
    void recipient;
    const cases: Array<[unknown, string]> = [
      [noRecipient, '/recipient'],
      [{ ...orderFixture(), extra: 1 }, '/extra'],
      [{ ...orderFixture(), items: [{ ...orderFixture().items[0], unitPrice: 12.5 }] }, '/items/0/unitPrice'],
      [{ ...orderFixture(), currency: 'XYZ' }, '/currency'],
    ];
    for (const [body, field] of cases) {
      const res = await gw.call('POST', '/v1/orders', body);
      expect(res.statusCode, field).toBe(400);
      expect(res.json().error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it('answers an oversized body with 413 and stores nothing', async () => {
    const huge = { ...orderFixture(), notes: 'x'.repeat(2 * 1024 * 1024) };
    const res = await gw.call('POST', '/v1/orders', huge);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
    expect(await store.db.selectFrom('orders').select('id').execute()).toHaveLength(0);
  });

  it('returns the same id for a re-posted order and for a repeated Idempotency-Key', async () => {
    const a = await gw.call('POST', '/v1/orders', orderFixture(), { 'idempotency-key': 'k-1' });
    const b = await gw.call('POST', '/v1/orders', orderFixture(), { 'idempotency-key': 'k-1' });
    const c = await gw.call('POST', '/v1/orders', orderFixture());
    expect(a.statusCode).toBe(202);
    expect(a.json()).toEqual({ id: expect.stringMatching(/^ord_/), status: 'accepted' });
    expect(b.json().id).toBe(a.json().id);
    expect(c.json().id).toBe(a.json().id);
    expect(b.headers['idempotent-replayed']).toBe('true');
    const conflict = await gw.call('POST', '/v1/orders', orderFixture({ externalId: 'other' }), {
      'idempotency-key': 'k-1',
    });
    expect(conflict.statusCode).toBe(409);
  });

  it('answers an identical re-post with 200, the stored order and "duplicate": true', async () => {
    const first = await gw.call('POST', '/v1/orders', orderFixture());
    const again = await gw.call('POST', '/v1/orders', orderFixture());
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ id: first.json().id, status: 'accepted', duplicate: true });
    expect(await store.db.selectFrom('orders').select('id').execute()).toHaveLength(1);
  });

  it('answers a re-post with different contents with 409 order_conflict naming each differing field', async () => {
    const original: OrderInput = {
      ...orderFixture({ placedAt: '2026-11-01T10:00:00Z' }),
      notes: 'ring twice',
      buyer: {
        name: 'Jane Doe',
        phone: '+1 555 0100',
        idType: 'national-id',
        idNumber: '110101199001011234',
      },
      charges: { freight: '5.00', insurance: '0', discount: '0', tax: '0' },
    };
    const { id } = (await gw.call('POST', '/v1/orders', original)).json();
    const before = (await gw.call('GET', `/v1/orders/${id}`)).json();
    /** Each change and the JSON pointer the answer must name for it. */
    const changes: Array<[string, (o: OrderInput) => void]> = [
      ['/currency', (o) => void (o.currency = 'EUR')],
      ['/placedAt', (o) => void (o.placedAt = '2026-11-02T10:00:00Z')],
      ['/recipient/name', (o) => void (o.recipient.name = 'John Roe')],
      ['/recipient/line1', (o) => void (o.recipient.line1 = '2 Market St')],
      ['/recipient/company', (o) => void (o.recipient.company = 'Roe Ltd')],
      ['/recipient/phone', (o) => void delete o.recipient.phone],
      ['/items/0/quantity', (o) => void (o.items[0]!.quantity = 3)],
      ['/items/0/unitPrice', (o) => void (o.items[0]!.unitPrice = '12.5')],
      ['/items/0/hsCode', (o) => void (o.items[0]!.hsCode = '691110')],
      ['/items/1', (o) => void o.items.push({ ...o.items[0]!, sku: 'MUG-02' })],
      ['/notes', (o) => void (o.notes = 'leave at the door')],
      ['/buyer/idNumber', (o) => void (o.buyer!.idNumber = '110101199001019999')],
      ['/charges/freight', (o) => void (o.charges!.freight = '7.00')],
    ];
    await fc.assert(
      fc.asyncProperty(fc.subarray(changes, { minLength: 1 }), async (picked) => {
        const changed = structuredClone(original);
        for (const [, apply] of picked) apply(changed);
        const res = await gw.call('POST', '/v1/orders', changed);
        expect(res.statusCode).toBe(409);
        const err = res.json().error;
        expect(err.code).toBe('order_conflict');
        expect(err.details.map((d: { field: string }) => d.field).sort()).toEqual(
          picked.map(([field]) => field).sort(),
        );
        for (const [field] of picked) expect(err.message).toContain(field);
        // No personal data in the error: fields are named, their values are not.
        expect(JSON.stringify(err)).not.toMatch(/John Roe|Jane Doe|Market St|door|1101011990/);
      }),
      { numRuns: 25 },
    );
    // The same body again, notes, buyer and charges included, is a duplicate, not a conflict.
    expect((await gw.call('POST', '/v1/orders', original)).statusCode).toBe(200);
    // The stored order is unchanged, and no second one was created.
    expect(before.notes).toBe('ring twice');
    expect((await gw.call('GET', `/v1/orders/${id}`)).json()).toEqual(before);
    expect(await store.db.selectFrom('orders').select('id').execute()).toHaveLength(1);
  });

  it('shows an order with its history, and 404 for an unknown one', async () => {
    const { id } = (await gw.call('POST', '/v1/orders', orderFixture())).json();
    const res = await gw.call('GET', `/v1/orders/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id,
      status: 'accepted',
      totalValue: '25.00',
      shipments: [],
      history: [{ status: 'accepted' }],
    });
    const missing = await gw.call('GET', '/v1/orders/ord_nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('order_not_found');
  });

  it('lists orders newest first with filters and a cursor that walks every page once', async () => {
    for (let i = 0; i < 5; i++) await gw.call('POST', '/v1/orders', orderFixture({ externalId: `SO-${i}` }));
    await gw.call(
      'POST',
      '/v1/orders',
      orderFixture({
        externalId: 'SO-DE',
        recipient: { ...orderFixture().recipient, country: 'DE', postalCode: '10115' },
      }),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/v1/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await gw.call('GET', path)).json();
      seen.push(...page.data.map((o: { externalId: string }) => o.externalId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['SO-DE', 'SO-4', 'SO-3', 'SO-2', 'SO-1', 'SO-0']);
    const de = (await gw.call('GET', '/v1/orders?country=DE')).json();
    expect(de.data.map((o: { externalId: string }) => o.externalId)).toEqual(['SO-DE']);
    const text = (await gw.call('GET', '/v1/orders?q=SO-3&status=accepted')).json();
    expect(text.data).toHaveLength(1);
    const bad = await gw.call('GET', '/v1/orders?limit=0');
    expect(bad.statusCode).toBe(400);
  });

  it('shows a waybill’s normalised events in the order they happened, with its order and status', async () => {
    const { id } = (await gw.call('POST', '/v1/orders', orderFixture())).json();
    const now = Date.now();
    await store.db
      .insertInto('shipments')
      .values({
        id: 'shp_t',
        order_id: id,
        carrier: 'carrier-x',
        waybill_no: 'WB9',
        status: 'info_received',
        label_url: null,
        estimated_delivery: null,
        last_event_at: null,
        next_poll_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const { ingestTrackingEvents } = await import('../src/pipeline/tracking.js');
    const ev = (code: 'PICKED_UP' | 'OUT_FOR_DELIVERY', stage: 'first_mile' | 'delivery', at: string) => ({
      carrier: 'carrier-x',
      waybillNo: 'WB9',
      eventId: code,
      code,
      stage,
      partnerCode: code,
      description: code,
      occurredAt: at,
    });
    await ingestTrackingEvents(store, [
      ev('OUT_FOR_DELIVERY', 'delivery', '2026-01-02T00:00:00.000Z'),
      ev('PICKED_UP', 'first_mile', '2026-01-01T00:00:00.000Z'),
    ]);
    const res = await gw.call('GET', '/v1/shipments/WB9/tracking');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      waybillNo: 'WB9',
      carrier: 'carrier-x',
      orderId: id,
      status: 'out_for_delivery',
    });
    expect(res.json().events.map((e: { code: string }) => e.code)).toEqual(['PICKED_UP', 'OUT_FOR_DELIVERY']);
    expect((await gw.call('GET', '/v1/shipments/WB9/tracking?carrier=other')).statusCode).toBe(404);
  });

  it('answers 404 for tracking of an unknown waybill', async () => {
    const res = await gw.call('GET', '/v1/shipments/NOPE123/tracking');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('shipment_not_found');
  });
});

describe('gateway: partner callbacks', () => {
  it('rejects a tracking push with a bad partner signature and stores nothing', async () => {
    const { createHttpClient } = await import('../src/connectors/http.js');
    const { LOOPBACK_ALLOWED } = await import('../src/domain/network-policy.js');
    const alpha = await import('../src/connectors/carriers/carrier-alpha/index.js');
    const { signAlphaPayload } = await import('../src/connectors/carriers/carrier-alpha/signature.js');
    const store = await freshStore('sqlite');
    const http = createHttpClient({ network: LOOPBACK_ALLOWED });
    const connector = alpha.createConnector(
      {
        partnerId: 'carrier-alpha',
        baseUrl: 'http://127.0.0.1:9',
        credentials: { apiToken: 't', webhookSecret: 'right-secret' },
      },
      http,
    );
    const gw = await gatewayFor(store, { carriers: new Map([['carrier-alpha', connector]]) });
    try {
      const body = readFileSync(
        new URL(
          '../src/connectors/carriers/carrier-alpha/fixtures/tracking-push.alpha.json',
          import.meta.url,
        ),
        'utf8',
      );
      const t = Math.floor(Date.now() / 1000);
      const post = (secret: string) =>
        gw.app.inject({
          method: 'POST',
          url: '/v1/callbacks/carrier-alpha/tracking',
          payload: body,
          headers: {
            'content-type': 'application/json',
            'alpha-signature': `t=${t},v1=${signAlphaPayload(secret, t, body)}`,
          },
        });
      const forged = await post('wrong-secret');
      expect(forged.statusCode).toBe(401);
      expect(forged.json().error.code).toBe('partner_signature_invalid');
      expect(await store.db.selectFrom('tracking_events').select('id').execute()).toHaveLength(0);
      expect(await store.db.selectFrom('inbound_messages').select('id').execute()).toHaveLength(0);
      expect(await store.db.selectFrom('jobs').select('id').execute()).toHaveLength(0);
      const genuine = await post('right-secret');
      expect(genuine.statusCode).toBe(202);
      expect(genuine.json().status).toBe('queued');
      // Stored raw and queued for the inbound lane; a byte-identical re-delivery queues nothing.
      const again = await post('right-secret');
      expect(again.json()).toEqual({ id: genuine.json().id, status: 'duplicate' });
      expect(await store.db.selectFrom('inbound_messages').select('id').execute()).toHaveLength(1);
      expect(await store.db.selectFrom('jobs').select('kind').execute()).toEqual([
        { kind: 'inbound.tracking' },
      ]);
    } finally {
      await gw.app.close();
      await http.close();
      await store.destroy();
    }
  });
});

describe('gateway: order sources', () => {
  let store: TestStore;
  beforeEach(async () => {
    store = await freshStore('sqlite');
  });
  afterEach(() => store.destroy());

  const withSources = (known: string[], allowAdHoc = false) =>
    gatewayFor(store, {}, { orderSources: () => ({ known, allowAdHoc }) });

  it('refuses a source that is not configured with 422 listing the known ones, and stores nothing', async () => {
    const gw = await withSources(['sandbox-shop', 'erp']);
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,62}$/).filter((s) => s !== 'sandbox-shop' && s !== 'erp'),
        async (source) => {
          const res = await gw.call('POST', '/v1/orders', orderFixture({ source }));
          expect(res.statusCode).toBe(422);
          const err = res.json().error;
          expect(err.code).toBe('unknown_source');
          expect(err.message).toContain('known sources: erp, sandbox-shop');
          expect(err.details).toEqual([{ field: '/source', message: 'must be one of erp, sandbox-shop' }]);
        },
      ),
      { numRuns: 30 },
    );
    expect(await store.db.selectFrom('orders').select('id').execute()).toHaveLength(0);
    expect((await gw.call('POST', '/v1/orders', orderFixture({ source: 'erp' }))).statusCode).toBe(202);
    await gw.app.close();
  });

  it('lets a key bound to a partner submit that partner’s orders, and only those', async () => {
    const gw = await withSources(['sandbox-shop']);
    const bound = await gw.keyWith({ partnerId: 'wholesale' });
    const own = await gw.callAs(bound, 'POST', '/v1/orders', orderFixture({ source: 'wholesale' }));
    expect(own.statusCode).toBe(202);
    const other = await gw.callAs(bound, 'POST', '/v1/orders', orderFixture({ source: 'sandbox-shop' }));
    expect(other.statusCode).toBe(403);
    expect(other.json().error.code).toBe('source_not_allowed');
    await gw.app.close();
  });

  it('accepts any source when the config allows ad-hoc sources', async () => {
    const gw = await withSources([], true);
    const res = await gw.call('POST', '/v1/orders', orderFixture({ source: 'pop-up-store' }));
    expect(res.statusCode).toBe(202);
    await gw.app.close();
  });
});
