/**
 * Issue 16, defect 10: order search used LIKE without ESCAPE, so on SQLite `%` and `_` in a
 * search were wildcards (and ASCII case was ignored, unlike PostgreSQL); a NUL byte reached the
 * database. Search is now a literal, case-sensitive substring match on both dialects, and text
 * that is not canonical (NUL, controls) is refused at the edge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { acceptOrder } from '../../src/pipeline/accept-order.js';
import { listOrders } from '../../src/store/orders.js';
import { gatewayFor } from '../helpers/gateway.js';
import { orderFixture } from '../helpers/fixtures.js';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';

/** External ids full of what LIKE treats specially, in both cases. */
const IDS = [
  'A%B',
  'a%b',
  'AxB',
  'A_B',
  'a_b',
  'AB',
  'A\\B',
  'A\\%B',
  '100%',
  '100x',
  '_lead',
  'xlead',
  'ÄÖÜ-ß',
  'äöü-ss',
  '😀%_😀',
  "O'Brien",
  'tab\\t',
  'mixed%_\\Case',
  'MIXED%_\\case',
  '%%',
  '__',
];

for (const dialect of DIALECTS) {
  describe(`search finds exactly the orders whose id contains the text (${dialect})`, () => {
    let store: TestStore;
    const byExternal = new Map<string, string>();
    beforeAll(async () => {
      store = await freshStore(dialect);
      for (const externalId of IDS) {
        const { id } = await acceptOrder(store, orderFixture({ externalId }), { caller: 'test' });
        byExternal.set(externalId, id);
      }
    });
    afterAll(async () => {
      await store.destroy();
    });

    const search = async (text: string) =>
      (await listOrders(store.db, { text, limit: 500 })).map((r) => r.external_id).sort();
    const expected = (text: string) =>
      IDS.filter((e) => e.includes(text) || byExternal.get(e) === text).sort();

    it('for the characters LIKE treats specially', async () => {
      for (const text of ['%', '_', '\\', 'A%B', 'a_b', '100%', '%_', '\\%', 'ß', 'a', 'B', '😀'])
        expect(await search(text), text).toEqual(expected(text));
    });

    it('for any text', async () => {
      const fragment = fc.oneof(
        // Substrings by character (a search is canonical text: no lone surrogates).
        fc.constantFrom(...IDS.map((id) => Array.from(id))).chain((chars) =>
          fc
            .tuple(fc.nat(chars.length), fc.nat(chars.length))
            .map(([a, b]) => chars.slice(Math.min(a, b), Math.max(a, b)).join(''))
            .filter((s) => s.length > 0),
        ),
        fc.string({
          unit: fc.constantFrom('%', '_', '\\', 'a', 'A', 'b', 'B', 'x', '1', '0', 'ß'),
          minLength: 1,
          maxLength: 4,
        }),
      );
      await fc.assert(
        fc.asyncProperty(fragment, async (text) => {
          expect(await search(text)).toEqual(expected(text));
        }),
        { numRuns: 100 },
      );
    });
  });
}

describe('search text that is not canonical is refused at the edge', () => {
  it('answers 400 for a NUL byte or a control character, never 500', async () => {
    const store = await freshStore('sqlite');
    const gw = await gatewayFor(store);
    try {
      for (const q of ['%00', 'a%00b', '%01', '%1F', '%0A']) {
        const res = await gw.call('GET', `/v1/orders?q=${q}`);
        expect(res.statusCode, q).toBe(400);
      }
      expect((await gw.call('GET', '/v1/orders?q=%25_%5C')).statusCode).toBe(200);
    } finally {
      await gw.app.close();
      await store.destroy();
    }
  });
});
