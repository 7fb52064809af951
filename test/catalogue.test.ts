/**
 * The product catalogue (issue 11): orders are enriched from it; an order whose SKU it lacks waits
 * in `needs_data` — kept, listed, never shipped — and moves on by itself when the product is added.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { OrderInput } from '../src/domain/index.js';
import { signedHeaders } from '../src/gateway/signature.js';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import { saveProducts } from '../src/pipeline/catalogue.js';
import { cancelFailedOrder } from '../src/pipeline/order-cancel.js';
import { importProducts } from '../src/pipeline/files/products-import.js';
import { JobQueue } from '../src/store/queue.js';
import { getOrderRow, historyForOrder, listOrders, readOrder } from '../src/store/orders.js';
import { getProduct, missingSkusOf, waitingSummary } from '../src/store/products.js';
import { shipmentsForOrder } from '../src/store/shipments.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { orderFixture } from './helpers/fixtures.js';
import { startHarness, waitFor, type Harness } from './helpers/harness.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/products/${name}`, import.meta.url));

/** An order as a real platform sends it: no HS code, origin or weight on its lines. */
function platformOrder(externalId: string, skus: string[] = ['TEE-RED-M']): OrderInput {
  const base = orderFixture({ externalId });
  return {
    ...base,
    items: skus.map((sku) => ({ sku, description: `item ${sku}`, quantity: 1, unitPrice: '19.90' })),
  };
}

const tee = {
  sku: 'TEE-RED-M',
  hsCode: '6109100010',
  originCountry: 'CN',
  nameEn: 'Cotton T-shirt',
  nameZh: '棉质T恤',
  weightGrams: 180,
  declaredValue: '6.50',
  currency: 'USD',
};

for (const dialect of DIALECTS) {
  describe(`product catalogue on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
    });
    afterEach(async () => store.destroy());

    it('keeps an order whose SKU is unknown in needs_data, with no shipment job, listed by the status filter', async () => {
      const r = await acceptOrder(store, platformOrder('P-1'), { caller: 't' });
      expect(r).toMatchObject({
        created: true,
        status: 'needs_data',
        missing: [{ sku: 'TEE-RED-M', fields: ['hsCode', 'originCountry', 'weightGrams'] }],
      });
      expect(await new JobQueue(store).counts()).toEqual({});
      expect((await listOrders(store.db, { status: 'needs_data', limit: 10 })).map((o) => o.id)).toEqual([
        r.id,
      ]);
      expect(await missingSkusOf(store.db, r.id)).toEqual(['TEE-RED-M']);
      expect((await historyForOrder(store.db, r.id))[0]?.note).toMatch(
        /waiting for catalogue data: TEE-RED-M/,
      );
      expect(await waitingSummary(store.db)).toEqual({ orders: 1, skus: 1 });
    });

    it('moves the waiting order on when the product is added: enriched, accepted, shipment queued once', async () => {
      const r = await acceptOrder(store, platformOrder('P-2'), { caller: 't' });
      const saved = await saveProducts(store, [tee], 'test');
      expect(saved).toMatchObject({ created: 1, released: [r.id], stillWaiting: [] });
      const row = await getOrderRow(store.db, r.id);
      expect(row?.status).toBe('accepted');
      const order = await readOrder(store.keys, row!);
      expect(order.items[0]).toMatchObject({
        hsCode: '6109100010',
        originCountry: 'CN',
        weightGrams: 180,
        declaredNameEn: 'Cotton T-shirt',
        declaredNameZh: '棉质T恤',
        declaredValue: { amount: '6.50', currency: 'USD' },
      });
      expect(await new JobQueue(store).counts()).toEqual({ ready: 1 });
      expect(await missingSkusOf(store.db, r.id)).toEqual([]);
      // Saving the product again releases nothing more and queues nothing twice.
      expect(await saveProducts(store, [tee], 'test')).toMatchObject({ unchanged: 1, released: [] });
      expect(await new JobQueue(store).counts()).toEqual({ ready: 1 });
    });

    it('waits for every missing SKU: one product added keeps it waiting, the last releases it', async () => {
      const r = await acceptOrder(store, platformOrder('P-3', ['TEE-RED-M', 'MUG-01']), { caller: 't' });
      expect(await saveProducts(store, [tee], 'test')).toMatchObject({ released: [], stillWaiting: [r.id] });
      expect((await getOrderRow(store.db, r.id))?.status).toBe('needs_data');
      expect(await missingSkusOf(store.db, r.id)).toEqual(['MUG-01']);
      const mug = {
        ...tee,
        sku: 'MUG-01',
        hsCode: '691200',
        nameEn: 'Mug',
        nameZh: '杯子',
        weightGrams: 350,
      };
      expect(await saveProducts(store, [mug], 'test')).toMatchObject({ released: [r.id] });
      expect((await getOrderRow(store.db, r.id))?.status).toBe('accepted');
    });

    it('lets an order carrying its customs data flow without the catalogue, keeping its own values over it', async () => {
      const plain = await acceptOrder(store, orderFixture({ externalId: 'API-1' }), { caller: 't' });
      expect(plain).toEqual({ id: plain.id, created: true });
      await saveProducts(store, [{ ...tee, sku: 'MUG-01', hsCode: '999999' }], 'test');
      const r = await acceptOrder(store, orderFixture({ externalId: 'API-2' }), { caller: 't' });
      const order = await readOrder(store.keys, (await getOrderRow(store.db, r.id))!);
      // The seller's HS code for this order stands; the catalogue adds the declared names.
      expect(order.items[0]).toMatchObject({ hsCode: '691200', declaredNameZh: '棉质T恤' });
      expect(await new JobQueue(store).counts()).toEqual({ ready: 2 });
    });

    it('fills only the fields a line lacks', async () => {
      await saveProducts(store, [tee], 'test');
      const base = platformOrder('P-4');
      const input = { ...base, items: [{ ...base.items[0]!, hsCode: '610910' }] };
      const r = await acceptOrder(store, input, { caller: 't' });
      const order = await readOrder(store.keys, (await getOrderRow(store.db, r.id))!);
      expect(order.items[0]).toMatchObject({ hsCode: '610910', originCountry: 'CN', weightGrams: 180 });
    });

    it('answers a re-post of an enriched order as the same order, not a conflict', async () => {
      await saveProducts(store, [tee], 'test');
      const a = await acceptOrder(store, platformOrder('P-5'), { caller: 't', conflicts: 'refuse' });
      const b = await acceptOrder(store, platformOrder('P-5'), { caller: 't', conflicts: 'refuse' });
      expect(b).toMatchObject({ id: a.id, created: false, replay: 'external-id' });
    });

    it('saves no product of a batch with one invalid product, and names each bad field', async () => {
      const bad = { ...tee, sku: 'BAD', hsCode: '12', weightGrams: 0 };
      await expect(saveProducts(store, [tee, bad], 'test')).rejects.toMatchObject({
        code: 'products_invalid',
        details: expect.arrayContaining([
          expect.objectContaining({ field: '/products/1/hsCode' }),
          expect.objectContaining({ field: '/products/1/weightGrams' }),
        ]),
      });
      expect(await getProduct(store.db, 'TEE-RED-M')).toBeUndefined();
    });

    it('lets an operator cancel a waiting order, which the product then leaves alone', async () => {
      const r = await acceptOrder(store, platformOrder('P-6'), { caller: 't' });
      await cancelFailedOrder(store, r.id, 'ops', 'customer withdrew');
      expect(await saveProducts(store, [tee], 'test')).toMatchObject({ released: [] });
      expect((await getOrderRow(store.db, r.id))?.status).toBe('cancelled');
      expect(await new JobQueue(store).counts()).toEqual({});
    });

    it('imports a CSV and an XLSX file, releasing the orders that waited', async () => {
      const r = await acceptOrder(store, platformOrder('P-7', ['COFFEE-1KG']), { caller: 't' });
      const csv = await importProducts(
        store,
        { path: fixture('catalogue.csv'), format: 'csv' },
        { actor: 't' },
      );
      expect(csv).toMatchObject({ saved: true, rows: 3, created: 3, released: [] });
      const xlsx = await importProducts(
        store,
        { path: fixture('catalogue.xlsx'), format: 'xlsx' },
        { actor: 't' },
      );
      expect(xlsx).toMatchObject({ saved: true, rows: 3, created: 1, unchanged: 2, released: [r.id] });
      // The leading zero of a text cell survives.
      expect((await getProduct(store.db, 'COFFEE-1KG'))?.hsCode).toBe('0901210000');
    });

    it('reports every bad row and column of a file and saves nothing from it', async () => {
      const res = await importProducts(
        store,
        { path: fixture('catalogue-bad.csv'), format: 'csv' },
        { actor: 't' },
      );
      expect(res.saved).toBe(false);
      expect(res.problems.map((p) => `${p.row}:${p.column}`)).toEqual([
        '3:hs_code',
        '4:origin_country',
        '4:weight_grams',
        '5:declared_value',
        '5:sku',
      ]);
      expect(res.problems.find((p) => p.column === 'sku')?.message).toBe('repeats the SKU of row 2');
      expect(await getProduct(store.db, 'TEE-RED-M')).toBeUndefined();
    });
  });

  describe(`an order with an unknown SKU through the running hub on ${dialect}`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness({ dialect });
    }, 60_000);
    afterEach(async () => h.close());

    it('waits in needs_data (API and list filter) and ships once the product is added', async () => {
      const posted = await h.postOrder(platformOrder('SHOP-1'));
      expect(posted.status).toBe(202);
      expect(posted.body).toMatchObject({ status: 'needs_data', missing: [{ sku: 'TEE-RED-M' }] });
      const id = posted.body.id as string;
      const get = async (path: string) => {
        const res = await request(`${h.hub.url}${path}`, { headers: signedHeaders(h.key, 'GET', path, '') });
        return (await res.body.json()) as Record<string, unknown>;
      };
      expect(await get(`/v1/orders/${id}`)).toMatchObject({
        status: 'needs_data',
        missing: [{ sku: 'TEE-RED-M' }],
      });
      expect(((await get('/v1/orders?status=needs_data')).data as { id: string }[]).map((o) => o.id)).toEqual(
        [id],
      );
      expect(await shipmentsForOrder(h.hub.store.db, id)).toEqual([]);

      const body = JSON.stringify({ products: [tee] });
      const saved = await request(`${h.hub.url}/v1/products`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          ...signedHeaders(h.key, 'POST', '/v1/products', body),
        },
      });
      expect(saved.statusCode).toBe(200);
      expect(await saved.body.json()).toMatchObject({ created: 1, released: [id] });
      expect(await get('/v1/products/TEE-RED-M')).toMatchObject({ hsCode: '6109100010', nameZh: '棉质T恤' });
      await waitFor(
        async () => (await shipmentsForOrder(h.hub.store.db, id)).length === 1,
        30_000,
        'a waybill',
      );
      const detail = await get(`/v1/orders/${id}`);
      expect(detail.status).not.toBe('needs_data');
      expect(detail.missing).toBeUndefined();
    }, 60_000);
  });
}
