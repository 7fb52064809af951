/**
 * Bad return requests, as a class [001-6.3.3]: whatever the unknown order id, the excess
 * quantity, the SKU not in the order or the repeated reference, the API answers 4xx with its
 * catalogue code and stores nothing — never a 500, never a half-written return.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import { setOrderStatus } from '../src/store/orders.js';
import { listReturns } from '../src/store/returns.js';
import { orderFixture } from './helpers/fixtures.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

for (const dialect of DIALECTS) {
  describe(`return requests refused on ${dialect}`, () => {
    let store: TestStore;
    let gw: GatewayFixture;
    let orderId: string;
    let shipped: Array<{ sku: string; quantity: number }>;
    const returnsStored = async () => (await listReturns(store.db, { limit: 1000 })).length;

    beforeAll(async () => {
      store = await freshStore(dialect);
      gw = await gatewayFor(store, {}, { returnWarehouses: () => ['sandbox-warehouse'] });
      const order = orderFixture({ externalId: `RET-${dialect}` });
      orderId = (await acceptOrder(store, order, { caller: 'test' })).id;
      await store.write((trx) => setOrderStatus(trx, orderId, 'delivered', 'test: delivered', Date.now()));
      shipped = order.items.map((i) => ({ sku: i.sku, quantity: i.quantity }));
    });
    afterAll(async () => {
      await gw.app.close();
      await store.destroy();
    });

    const post = async (id: string, body: unknown) => {
      const res = await gw.call('POST', `/v1/orders/${encodeURIComponent(id)}/returns`, body);
      return { status: res.statusCode, code: (res.json() as { error?: { code: string } }).error?.code };
    };

    it('answers 404 order_not_found for any order id the hub does not have', async () => {
      await fc.assert(
        fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), async (id) => {
          fc.pre(id !== orderId);
          const r = await post(id, {
            kind: 'refund',
            reason: 'x',
            lines: [{ sku: shipped[0]!.sku, quantity: 1 }],
          });
          expect(r).toEqual({ status: 404, code: 'order_not_found' });
        }),
        { numRuns: 40 },
      );
      expect(await returnsStored()).toBe(0);
    });

    it('answers 422 return_quantity_exceeds_shipped for any quantity above what was shipped', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 99_000 }), async (extra) => {
          const line = shipped[0]!;
          const r = await post(orderId, {
            kind: 'refund',
            reason: 'x',
            lines: [{ sku: line.sku, quantity: line.quantity + extra }],
          });
          expect(r).toEqual({ status: 422, code: 'return_quantity_exceeds_shipped' });
        }),
        { numRuns: 40 },
      );
      expect(await returnsStored()).toBe(0);
    });

    it('answers 422 return_line_unknown for any SKU that is not a line of the order', async () => {
      await fc.assert(
        fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/), async (sku) => {
          fc.pre(!shipped.some((s) => s.sku === sku));
          const r = await post(orderId, { kind: 'exchange', reason: 'x', lines: [{ sku, quantity: 1 }] });
          expect(r).toEqual({ status: 422, code: 'return_line_unknown' });
        }),
        { numRuns: 40 },
      );
      expect(await returnsStored()).toBe(0);
    });

    it('answers 400 for malformed bodies, naming the field, and stores nothing', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.record({
              kind: fc.string(),
              reason: fc.constant('x'),
              lines: fc.constant([{ sku: 'A', quantity: 1 }]),
            }),
            fc.record({ kind: fc.constant('refund'), reason: fc.constant('x'), lines: fc.constant([]) }),
            fc.record({
              kind: fc.constant('refund'),
              reason: fc.constant('x'),
              lines: fc.array(fc.record({ sku: fc.constant('A'), quantity: fc.integer({ max: 0 }) }), {
                minLength: 1,
              }),
            }),
            fc.anything(),
          ),
          async (body) => {
            const r = await post(orderId, body);
            expect(r.status).toBe(400);
          },
        ),
        { numRuns: 60 },
      );
      expect(await returnsStored()).toBe(0);
    });

    it('accepts a return once per reference: the same reference again is 409 return_duplicate', async () => {
      const body = {
        kind: 'refund',
        reason: 'too big',
        reference: 'R-1',
        lines: [{ sku: shipped[0]!.sku, quantity: 1 }],
      };
      expect((await post(orderId, body)).status).toBe(201);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('refund', 'exchange'),
          fc.string({ minLength: 1, maxLength: 50 }),
          async (kind, reason) => {
            // eslint-disable-next-line no-control-regex -- reasons with control characters are refused by schema
            fc.pre(!/[\u0000-\u001f\u007f]/.test(reason));
            const r = await post(orderId, { ...body, kind, reason });
            expect(r).toEqual({ status: 409, code: 'return_duplicate' });
          },
        ),
        { numRuns: 20 },
      );
      expect(await returnsStored()).toBe(1);
    });
  });
}
