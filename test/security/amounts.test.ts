/**
 * Defect 9 of issue 16: schema-valid amounts crashed the total (a `unitPrice` with 15 integer
 * digits answered 500). Amounts are now bounded in the schema and totals are exact BigInt sums;
 * a total beyond the largest amount is refused as 400 `order_total_too_large`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DECIMAL_PATTERN, type OrderInput, type OrderItem } from '../../src/domain/index.js';
import { gatewayFor, type GatewayFixture } from '../helpers/gateway.js';
import { orderFixture } from '../helpers/fixtures.js';
import { freshStore, type TestStore } from '../helpers/stores.js';

/** The test's own exact arithmetic: decimal strings to 1/10,000 units, independent of money.ts. */
function units(amount: string): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!m) throw new Error(`not an amount: ${amount}`);
  const frac = (m[2] ?? '').padEnd(4, '0');
  expect(frac.length).toBe(4);
  return BigInt(m[1] as string) * 10_000n + BigInt(frac);
}
const MAX = 999_999_999_999_9999n;

describe('defect 9: amounts are bounded and totals exact', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  let n = 0;
  beforeAll(async () => {
    store = await freshStore('sqlite');
    gw = await gatewayFor(store);
  });
  afterAll(async () => {
    await gw.app.close();
    await store.destroy();
  });

  const post = (items: OrderItem[]) =>
    gw.call('POST', '/v1/orders', orderFixture({ externalId: `amt-${++n}`, items }) satisfies OrderInput);
  const base = orderFixture().items[0] as OrderItem;

  it('refuses a unitPrice with 15 integer digits as 400, never 500', async () => {
    const res = await post([{ ...base, unitPrice: '999999999999999.9999', quantity: 100000 }]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });

  it('refuses a total beyond the largest amount, naming the bound', async () => {
    const res = await post([
      { ...base, sku: 'A', unitPrice: '999999999999.9999', quantity: 2 },
      { ...base, sku: 'B', unitPrice: '0.0001', quantity: 1 },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'order_total_too_large' });
  });

  it('the largest total is accepted and stored exactly', async () => {
    const res = await post([
      { ...base, sku: 'A', unitPrice: '999999999998.9999', quantity: 1 },
      { ...base, sku: 'B', unitPrice: '1', quantity: 1 },
    ]);
    expect(res.statusCode).toBe(202);
    const got = await gw.call('GET', `/v1/orders/${res.json().id}`);
    expect(got.json().totalValue).toBe('999999999999.9999');
  });

  it('any schema-valid order: exact total or 400, never 500', async () => {
    const amount = fc.stringMatching(new RegExp(DECIMAL_PATTERN));
    const line = fc.record({
      unitPrice: amount,
      quantity: fc.oneof(fc.integer({ min: 1, max: 100000 }), fc.constant(100000)),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 6 }), async (lines) => {
        const items = lines.map((l, i) => ({ ...base, sku: `SKU-${i}`, ...l }));
        const expected = lines.reduce((acc, l) => acc + units(l.unitPrice) * BigInt(l.quantity), 0n);
        const res = await post(items);
        if (expected > MAX) {
          expect(res.statusCode).toBe(400);
          expect(res.json().error.code).toBe('order_total_too_large');
          return;
        }
        expect(res.statusCode).toBe(202);
        const got = await gw.call('GET', `/v1/orders/${res.json().id}`);
        expect(got.statusCode).toBe(200);
        expect(units(got.json().totalValue)).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });
});
