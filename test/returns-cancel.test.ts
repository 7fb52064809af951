/**
 * Cancelling a return [001-6.3.3] and the damaged bucket in the inventory API: a return may be
 * cancelled over the API only before its parcel is on the way — from every later status it is
 * refused with 409 `return_not_cancellable` and left as it was; a cancelled return frees its units
 * to be returned again and the shop is told. Units the warehouse grades damaged on receipt show as
 * `damaged` in `GET /v1/inventory`, never as on hand or available.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import { applyStockChange } from '../src/pipeline/inventory.js';
import { applyReturnReceipt, CANCELLABLE, RETURN_STATUSES } from '../src/pipeline/returns.js';
import { historyForOrder, setOrderStatus } from '../src/store/orders.js';
import { returnById, updateReturn } from '../src/store/returns.js';
import { orderFixture } from './helpers/fixtures.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

const WH = 'sandbox-warehouse';

for (const dialect of DIALECTS) {
  describe(`return cancel and damaged stock on ${dialect}`, () => {
    let store: TestStore;
    let gw: GatewayFixture;
    let orderId: string;
    let line: { sku: string; quantity: number };

    beforeAll(async () => {
      store = await freshStore(dialect);
      gw = await gatewayFor(store, {}, { returnWarehouses: () => [WH] });
      const order = orderFixture({ externalId: `CANCEL-${dialect}` });
      orderId = (await acceptOrder(store, order, { caller: 'test' })).id;
      await store.write((trx) => setOrderStatus(trx, orderId, 'delivered', 'test: delivered', Date.now()));
      line = { sku: order.items[0]!.sku, quantity: order.items[0]!.quantity };
    });
    afterAll(async () => {
      await gw.app.close();
      await store.destroy();
    });

    const authorise = async (reference: string) => {
      const res = await gw.call('POST', `/v1/orders/${orderId}/returns`, {
        kind: 'refund',
        reason: 'changed mind',
        reference,
        lines: [line],
      });
      expect(res.statusCode).toBe(201);
      return (res.json() as { id: string }).id;
    };
    const cancel = async (id: string, body: unknown = {}) => {
      const res = await gw.call('POST', `/v1/returns/${id}/cancel`, body);
      return { status: res.statusCode, body: res.json() as Record<string, unknown> };
    };
    const statusPushes = async (id: string) =>
      (
        await store.db.selectFrom('jobs').select('payload').where('kind', '=', 'return.status').execute()
      ).filter((j) => String(j.payload).includes(id)).length;

    it('cancels a return before its parcel is on the way; the shop is told and its units are returnable again', async () => {
      const id = await authorise('CX-1');
      const res = await cancel(id, { reason: 'buyer kept the goods' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, status: 'cancelled' });
      const events = res.body.events as Array<{ status: string; note: string }>;
      expect(events.at(-1)).toMatchObject({ status: 'cancelled', note: 'cancelled: buyer kept the goods' });
      const notes = (await historyForOrder(store.db, orderId)).map((h) => h.note);
      expect(notes).toContain(`return ${id} cancelled: cancelled: buyer kept the goods`);
      expect(await statusPushes(id)).toBeGreaterThanOrEqual(1);
      // A second cancel finds it past cancelling: 409 with its status, nothing changed.
      const again = await cancel(id);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({
        code: 'return_not_cancellable',
        details: { status: 'cancelled' },
      });
      // Its units are free: the same quantity can be returned again.
      expect((await cancel(await authorise('CX-2'))).status).toBe(200);
    });

    it('refuses with 409 return_not_cancellable from every status at or past the parcel on its way, and changes nothing', async () => {
      const late = RETURN_STATUSES.filter((s) => !CANCELLABLE.includes(s));
      expect(CANCELLABLE).toEqual(['requested', 'announced', 'label_issued']);
      expect(late).toEqual(['in_transit', 'received_by_carrier', 'inspected', 'completed', 'cancelled']);
      for (const [i, status] of RETURN_STATUSES.entries()) {
        const id = await authorise(`CX-S-${i}`);
        await store.write((trx) => updateReturn(trx, id, { status }, Date.now()));
        const res = await cancel(id);
        if (CANCELLABLE.includes(status)) {
          expect([status, res.status]).toEqual([status, 200]);
        } else {
          expect([status, res.status, (res.body.error as { code: string }).code]).toEqual([
            status,
            409,
            'return_not_cancellable',
          ]);
          expect((await returnById(store.db, id))?.status).toBe(status);
          // Free its units for the next round (a completed return keeps them taken otherwise).
          await store.write((trx) => updateReturn(trx, id, { status: 'cancelled' }, Date.now()));
        }
      }
    });

    it('answers 404 return_not_found for a return that does not exist, and 400 for a malformed body', async () => {
      const missing = await cancel('rma_00000000000000000000000000');
      expect([missing.status, (missing.body.error as { code: string }).code]).toEqual([
        404,
        'return_not_found',
      ]);
      const id = await authorise('CX-BAD');
      const bad = await cancel(id, { reason: 'x', refund: true });
      expect(bad.status).toBe(400);
      expect((await returnById(store.db, id))?.status).toBe('requested');
      expect((await cancel(id)).status).toBe(200);
    });

    it('shows returned units graded damaged as `damaged` in GET /v1/inventory, never on hand or available', async () => {
      const t0 = Date.now();
      await store.write((trx) =>
        applyStockChange(trx, WH, {
          eventId: `ADJ-${dialect}`,
          sku: line.sku,
          kind: 'adjustment',
          delta: 4,
          occurredAt: t0,
        }),
      );
      const id = await authorise('CX-DMG');
      await store.write((trx) => updateReturn(trx, id, { status: 'received_by_carrier' }, t0));
      await store.write((trx) =>
        applyReturnReceipt(
          trx,
          {
            warehouseId: WH,
            returnId: id,
            sku: line.sku,
            inspection: 'damaged',
            quantity: 1,
            eventId: 'EV-D1',
          },
          t0 + 1,
        ),
      );
      const res = await gw.call('GET', `/v1/inventory?sku=${encodeURIComponent(line.sku)}&warehouse=${WH}`);
      expect(res.statusCode).toBe(200);
      const [item] = (res.json() as { items: Array<Record<string, unknown>> }).items;
      expect(item).toMatchObject({ warehouse: WH, sku: line.sku, onHand: 4, available: 4, damaged: 1 });
    });
  });
}
