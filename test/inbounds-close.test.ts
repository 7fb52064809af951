/**
 * Inbound receipts over the API beyond creating one: `GET /v1/inbounds` lists them newest first
 * by warehouse and status, page by page; `POST /v1/inbounds/{id}/close` closes a short-received
 * receipt by hand — the units that did not arrive leave transit, on hand is untouched, and a
 * late receipt counts as on hand without taking anything out of transit twice. A receipt not
 * (or no longer) open is refused with 409 `inbound_not_closable` and left as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInbound } from '../src/pipeline/inbounds.js';
import { applyStockChange } from '../src/pipeline/inventory.js';
import { historyOf, levelsOf } from '../src/store/inventory.js';
import { updateInbound } from '../src/store/warehouse-orders.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

const WH = 'sandbox-warehouse';
const WH2 = 'second-warehouse';

interface View {
  id: string;
  warehouse: string;
  status: string;
  lines: Array<{ sku: string; expected: number; received: number; inTransit: number; status: string }>;
}

for (const dialect of DIALECTS) {
  describe(`inbound receipts listed and closed on ${dialect}`, () => {
    let store: TestStore;
    let gw: GatewayFixture;
    let seq = 0;

    beforeAll(async () => {
      store = await freshStore(dialect);
      gw = await gatewayFor(store);
    });
    afterAll(async () => {
      await gw.app.close();
      await store.destroy();
    });

    const create = async (warehouse: string, lines: Array<[string, number]>) =>
      (
        await createInbound(
          store,
          { warehouse, lines: lines.map(([sku, quantity]) => ({ sku, quantity })) },
          'test',
        )
      ).inbound.id;
    const sent = (id: string) =>
      store.write((trx) =>
        updateInbound(trx, id, { status: 'sent', asn_no: `ASN-${id}`, updated_at: Date.now() }),
      );
    const receive = (warehouse: string, id: string, sku: string, quantity: number) =>
      store.write((trx) =>
        applyStockChange(trx, warehouse, {
          eventId: `EV-${dialect}-${++seq}`,
          sku,
          kind: 'inbound_received',
          delta: quantity,
          occurredAt: Date.now(),
          reference: id,
        }),
      );
    const close = async (id: string, body: unknown = {}) => {
      const res = await gw.call('POST', `/v1/inbounds/${id}/close`, body);
      return {
        status: res.statusCode,
        body: res.json() as View & { error?: { code: string; details: unknown } },
      };
    };
    const level = async (warehouse: string, sku: string) =>
      (await levelsOf(store.db, { warehouseId: warehouse, sku }))[0];

    it('closes a short-received receipt: what did not arrive leaves transit, on hand stays, a late unit is on hand only', async () => {
      const id = await create(WH, [
        ['CL-A', 10],
        ['CL-B', 4],
      ]);
      await sent(id);
      await receive(WH, id, 'CL-A', 7);
      await receive(WH, id, 'CL-B', 4);
      expect(await level(WH, 'CL-A')).toMatchObject({ on_hand: 7, in_transit: 3 });

      const closed = await close(id, { reason: 'supplier short-shipped' });
      expect(closed.status).toBe(200);
      expect(closed.body).toMatchObject({
        id,
        status: 'closed',
        lines: [
          { sku: 'CL-A', expected: 10, received: 7, inTransit: 0, status: 'closed' },
          { sku: 'CL-B', expected: 4, received: 4, inTransit: 0, status: 'closed' },
        ],
      });
      expect(await level(WH, 'CL-A')).toMatchObject({ on_hand: 7, in_transit: 0 });
      expect(await level(WH, 'CL-B')).toMatchObject({ on_hand: 4, in_transit: 0 });
      const [last] = await historyOf(store.db, 'CL-A', { limit: 1 });
      expect(last).toMatchObject({
        change: 'asn_closed',
        source: 'hub',
        in_transit_delta: -3,
        on_hand_delta: 0,
        reference: `${id} closed: supplier short-shipped`,
      });

      // Two units turn up after all: on hand, nothing more leaves transit, the receipt stays closed.
      await receive(WH, id, 'CL-A', 2);
      expect(await level(WH, 'CL-A')).toMatchObject({ on_hand: 9, in_transit: 0 });
      const after = (await gw.call('GET', `/v1/inbounds/${id}`)).json() as View;
      expect(after).toMatchObject({
        status: 'closed',
        lines: [{ sku: 'CL-A', received: 9, inTransit: 0 }, {}],
      });

      // Closed already: 409 with its status, nothing moves.
      const again = await close(id);
      expect([again.status, again.body.error?.code]).toEqual([409, 'inbound_not_closable']);
      expect(again.body.error?.details).toMatchObject({ status: 'closed' });
      expect(await level(WH, 'CL-A')).toMatchObject({ on_hand: 9, in_transit: 0 });
    });

    it('refuses to close a receipt not yet announced or received in full (409), an unknown one (404), and a malformed body (400)', async () => {
      const queued = await create(WH, [['CL-Q', 5]]);
      const full = await create(WH, [['CL-F', 2]]);
      await sent(full);
      await receive(WH, full, 'CL-F', 2);
      for (const [id, status] of [
        [queued, 'queued'],
        [full, 'received'],
      ] as const) {
        const r = await close(id);
        expect([r.status, r.body.error?.code, r.body.error?.details]).toEqual([
          409,
          'inbound_not_closable',
          { id, status },
        ]);
      }
      expect(await level(WH, 'CL-Q')).toMatchObject({ in_transit: 5 });
      const missing = await close('inb_00000000000000000000000000');
      expect([missing.status, missing.body.error?.code]).toEqual([404, 'inbound_not_found']);
      expect((await close(queued, { reason: 'x', force: true })).status).toBe(400);
    });

    it('lists receipts newest first by warehouse and status, page by page', async () => {
      const a = await create(WH2, [['LS-1', 1]]);
      const b = await create(WH2, [['LS-2', 2]]);
      const c = await create(WH2, [['LS-3', 3]]);
      await sent(b);
      await receive(WH2, b, 'LS-2', 1);
      await sent(c);
      await close(c);
      const list = async (query: string) => {
        const res = await gw.call('GET', `/v1/inbounds?${query}`);
        expect(res.statusCode).toBe(200);
        return res.json() as { items: View[]; next?: string };
      };
      // Newest first is id order (time-ordered ids; two made in one millisecond keep id order).
      const newestFirst = [a, b, c].sort().reverse();
      expect((await list(`warehouse=${WH2}`)).items.map((v) => v.id)).toEqual(newestFirst);
      expect((await list(`warehouse=${WH2}&status=queued`)).items.map((v) => v.id)).toEqual([a]);
      expect((await list(`warehouse=${WH2}&status=partial`)).items.map((v) => v.id)).toEqual([b]);
      expect((await list(`warehouse=${WH2}&status=closed`)).items.map((v) => v.id)).toEqual([c]);
      expect((await list(`warehouse=${WH}`)).items.every((v) => v.warehouse === WH)).toBe(true);
      // Page by page, one at a time: every receipt once, in order.
      const seen: string[] = [];
      let page = await list(`warehouse=${WH2}&limit=1`);
      for (;;) {
        seen.push(...page.items.map((v) => v.id));
        if (!page.next) break;
        page = await list(`warehouse=${WH2}&limit=1&before=${page.next}`);
      }
      expect(seen).toEqual(newestFirst);
      const bad = await gw.call('GET', '/v1/inbounds?status=lost');
      expect(bad.statusCode).toBe(400);
    });
  });
}
