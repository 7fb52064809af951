/**
 * Cancelling a return tells the partners already told of it, over real HTTP on SQLite and
 * PostgreSQL [001-6.3.3]: once the sandbox warehouse expects the parcel and carrier-alpha issued
 * its label, `POST /v1/returns/{id}/cancel` makes the warehouse stop expecting it (its returns
 * desk shows the return CANCELLED with the reason), while carrier-alpha, whose connector cannot
 * void a waybill, is not called — the return's events and the order's history say so and what to
 * do. A warehouse refusing the cancel (the parcel already received) is noted the same way, the
 * job in the dead letters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { signedHeaders } from '../src/gateway/signature.js';
import { getOrderRow, historyForOrder, setOrderStatus } from '../src/store/orders.js';
import { returnById, returnEvents } from '../src/store/returns.js';
import { DIALECTS } from './helpers/stores.js';
import { startHarness, waitFor, type Harness } from './helpers/harness.js';
import { SANDBOX_WAREHOUSE, sandboxWarehousePartner } from './helpers/sandbox-warehouse.js';

const WH = SANDBOX_WAREHOUSE;

const withWarehouse = (
  doc: { partners: Record<string, Record<string, unknown>> } & Record<string, unknown>,
) => {
  doc.partners[WH] = sandboxWarehousePartner();
};

async function post(h: Harness, path: string, payload: unknown) {
  const body = JSON.stringify(payload);
  const res = await request(`${h.hub.url}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...signedHeaders(h.key, 'POST', path, body) },
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

/** A shop order the carrier took (its parcel stays in transit: a minute per tracking step), marked delivered. */
async function shippedOrder(h: Harness): Promise<{ id: string; sku: string; quantity: number }> {
  const [externalId] = h.sandbox.shop.push(1).externalIds;
  let id = '';
  await waitFor(
    async () => {
      const row = await h.hub.store.db
        .selectFrom('orders')
        .innerJoin('shipments', 'shipments.order_id', 'orders.id')
        .select(['orders.id', 'shipments.waybill_no'])
        .where('orders.source', '=', 'sandbox-shop')
        .where('orders.external_id', '=', externalId!)
        .executeTakeFirst();
      id = row?.id ?? '';
      return Boolean(row?.waybill_no);
    },
    60_000,
    'the shop order to be shipped',
  );
  const [item] = JSON.parse((await getOrderRow(h.hub.store.db, id))!.items) as Array<{
    sku: string;
    quantity: number;
  }>;
  return { id, sku: item!.sku, quantity: item!.quantity };
}

async function labelledReturn(h: Harness, reference: string) {
  const order = await shippedOrder(h);
  let created = { status: 0, body: {} as Record<string, unknown> };
  // The carrier's own status writes may still land after the test marks the order delivered:
  // mark it again until the return is taken.
  await waitFor(
    async () => {
      await h.hub.store.write((trx) =>
        setOrderStatus(trx, order.id, 'delivered', 'test: delivered', Date.now()),
      );
      created = await post(h, `/v1/orders/${order.id}/returns`, {
        kind: 'refund',
        reason: 'changed mind',
        reference,
        lines: [{ sku: order.sku, quantity: order.quantity }],
      });
      if (created.status === 201) return true;
      expect(created.body).toMatchObject({ error: { code: 'return_order_not_shipped' } });
      return false;
    },
    30_000,
    'the return authorised',
  );
  const id = created.body.id as string;
  await waitFor(
    async () => (await returnById(h.hub.store.db, id))?.status === 'label_issued',
    60_000,
    'the return label',
  );
  return { order, id, ret: (await returnById(h.hub.store.db, id))! };
}

const partnerOf = (payload: unknown) =>
  (JSON.parse(typeof payload === 'string' ? payload : JSON.stringify(payload)) as { partner: string })
    .partner;

const notes = async (h: Harness, id: string) => (await returnEvents(h.hub.store.db, id)).map((e) => e.note);

for (const dialect of DIALECTS) {
  describe(`cancelling a return tells its partners on ${dialect}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('the warehouse stops expecting the parcel; a carrier that cannot void a waybill is noted, not called', async () => {
      h = await startHarness({ dialect, edit: withWarehouse });
      const { order, id, ret } = await labelledReturn(h, 'RC-1');
      expect(ret.warehouse_return_no).toMatch(/^RT/);
      expect(ret.carrier).toBe('carrier-alpha');
      expect(h.sandbox.warehouse.returns().find((r) => r.rmaRef === id)?.status).toBe('EXPECTED');

      const res = await post(h, `/v1/returns/${id}/cancel`, { reason: 'buyer kept the goods' });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('cancelled');

      const toldWarehouse = `${WH} no longer expects return ${ret.warehouse_return_no}`;
      const carrierNote = `carrier-alpha not told of the cancel: its connector cannot void a waybill (shipment.cancel); return waybill ${ret.waybill_no} stays unused — void it with the carrier if it bills unused labels`;
      await waitFor(
        async () => {
          const n = await notes(h!, id);
          return n.includes(toldWarehouse) && n.includes(carrierNote);
        },
        60_000,
        'both partners dealt with',
      );
      expect(h.sandbox.warehouse.returns().find((r) => r.rmaRef === id)).toMatchObject({
        returnNo: ret.warehouse_return_no,
        status: 'CANCELLED',
        cancelReason: 'buyer kept the goods',
      });
      const history = (await historyForOrder(h.hub.store.db, order.id)).map((x) => x.note);
      expect(history).toEqual(
        expect.arrayContaining([`return ${id}: ${toldWarehouse}`, `return ${id}: ${carrierNote}`]),
      );
      // Both calls done: no cancel job waits, retries or died.
      const left = await h.hub.store.db
        .selectFrom('jobs')
        .select(['status', 'payload'])
        .where('kind', '=', 'return.cancel')
        .where('status', '!=', 'done')
        .execute();
      expect(left.map((j) => [partnerOf(j.payload), j.status])).toEqual([]);
    }, 180_000);

    it('a warehouse refusing the cancel (parcel already received) is noted on the return and dead-lettered', async () => {
      h = await startHarness({ dialect, edit: withWarehouse });
      const { id } = await labelledReturn(h, 'RC-2');
      // The parcel is on the warehouse's dock before the hub hears of it: the desk refuses the cancel.
      h.sandbox.warehouse.dockReturn(id);
      const res = await post(h, `/v1/returns/${id}/cancel`, { reason: 'late cancel' });
      expect(res.status).toBe(200);
      await waitFor(
        async () => (await notes(h!, id)).some((n) => n.startsWith(`${WH} could not be told of the cancel`)),
        90_000,
        'the refusal noted',
      );
      const dead = await h.hub.store.db
        .selectFrom('jobs')
        .select(['kind', 'payload', 'last_error'])
        .where('status', '=', 'dead')
        .execute();
      expect(dead.map((d) => [d.kind, partnerOf(d.payload)])).toEqual([['return.cancel', WH]]);
      expect(String(dead[0]!.last_error)).toMatch(/OWH-2009|already received/);
    }, 180_000);
  });
}
