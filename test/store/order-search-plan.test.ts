/**
 * Order search on a store of a million orders [003-6.2] must not read every order: the search
 * by part of an external id goes through the trigram index (SQLite FTS5, PostgreSQL pg_trgm) and
 * the search by waybill through the waybill index (migration 022). Read from the query plans, so
 * no timing is asserted; bench/console.mjs measures the time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery } from 'kysely';
import { acceptOrder } from '../../src/pipeline/accept-order.js';
import { listOrders, ordersQuery } from '../../src/store/orders.js';
import { orderFixture } from '../helpers/fixtures.js';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';

for (const dialect of DIALECTS) {
  describe(`order search reads indexes, not every order (${dialect})`, () => {
    let store: TestStore;
    beforeAll(async () => {
      store = await freshStore(dialect);
      for (const externalId of ['SO-1001', 'SO-2002', 'AB-3003'])
        await acceptOrder(store, orderFixture({ externalId }), { caller: 'test' });
    });
    afterAll(async () => {
      await store.destroy();
    });

    /** The plan's lines; on PostgreSQL with sequential scans priced out, as on a big table. */
    async function plan(text: string): Promise<string> {
      const c = ordersQuery(store.db, { text, limit: 50 }).compile();
      if (dialect === 'sqlite') {
        const r = await store.db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`explain query plan ${c.sql}`, [...c.parameters]),
        );
        return r.rows.map((x) => x.detail).join('\n');
      }
      return store.db.transaction().execute(async (trx) => {
        await trx.executeQuery(CompiledQuery.raw('set local enable_seqscan = off'));
        const r = await trx.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`explain ${c.sql}`, [...c.parameters]),
        );
        return r.rows.map((x) => x['QUERY PLAN']).join('\n');
      });
    }

    it('finds part of an external id through the trigram index', async () => {
      const p = await plan('O-20');
      if (dialect === 'sqlite') expect(p).toMatch(/VIRTUAL TABLE INDEX \d+:M/);
      else expect(p).toContain('orders_external_id_trgm');
      expect(p).not.toMatch(/Seq Scan on orders\b|SCAN orders\b/);
      expect((await listOrders(store.db, { text: 'O-20', limit: 50 })).map((o) => o.external_id)).toEqual([
        'SO-2002',
      ]);
    });

    it('finds a waybill through the waybill index', async () => {
      const p = await plan('WB0000000001');
      expect(p).toContain('shipments_waybill');
      expect(p).not.toMatch(/Seq Scan on (orders|shipments)\b|SCAN (orders|shipments)\b/);
    });
  });
}
