/**
 * Returns end to end over real HTTP [001-6.3.3] [002-5.4]: a buyer's return request in the
 * sandbox shop → the hub authorises it → the sandbox warehouse is told and gives its returns dock
 * → carrier-alpha issues the return label → the return parcel's tracking → the warehouse grades
 * what arrived → stock (resellable on hand, damaged in its bucket) → the refund → the shop is told
 * each status. And an exchange asked over the API, which creates the replacement order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { signedHeaders } from '../src/gateway/signature.js';
import { historyForOrder, getOrderRow } from '../src/store/orders.js';
import { levelsOf } from '../src/store/inventory.js';
import { damagedStock, returnById, returnsOfOrder } from '../src/store/returns.js';
import { RETURN_STATUSES, recordRefund } from '../src/pipeline/returns.js';
import { DIALECTS } from './helpers/stores.js';
import { startHarness, waitFor, type Harness } from './helpers/harness.js';
import { SANDBOX_WAREHOUSE, sandboxWarehousePartner } from './helpers/sandbox-warehouse.js';

const WH = SANDBOX_WAREHOUSE;

const withWarehouse = (
  doc: { partners: Record<string, Record<string, unknown>> } & Record<string, unknown>,
) => {
  doc.partners[WH] = sandboxWarehousePartner();
  doc.inventory = { pullIntervalMs: 500, outageThresholdMinutes: 30 };
};

interface Line {
  sku: string;
  quantity: number;
  unitPrice: string;
}

/** One shop order through the hub until its parcel is delivered; its id and lines. */
async function deliveredShopOrder(h: Harness): Promise<{ id: string; externalId: string; items: Line[] }> {
  const [externalId] = h.sandbox.shop.push(1).externalIds;
  let id = '';
  await waitFor(
    async () => {
      const row = await h.hub.store.db
        .selectFrom('orders')
        .select(['id', 'status'])
        .where('source', '=', 'sandbox-shop')
        .where('external_id', '=', externalId!)
        .executeTakeFirst();
      id = row?.id ?? '';
      return row?.status === 'delivered';
    },
    60_000,
    'the shop order to be delivered',
  );
  const row = await getOrderRow(h.hub.store.db, id);
  return { id, externalId: externalId!, items: JSON.parse(row!.items) as Line[] };
}

async function returnStatus(h: Harness, id: string): Promise<string | undefined> {
  return (await returnById(h.hub.store.db, id))?.status;
}

async function deadJobs(h: Harness): Promise<string[]> {
  const rows = await h.hub.store.db
    .selectFrom('jobs')
    .select(['kind', 'last_error'])
    .where('status', '=', 'dead')
    .execute();
  return rows.map((r) => `${r.kind}: ${String(r.last_error)}`);
}

const cents = (a: string) => Math.round(Number(a) * 100);

async function api(h: Harness, path: string): Promise<{ items: unknown[]; totals: unknown[] }> {
  const res = await request(`${h.hub.url}${path}`, { headers: signedHeaders(h.key, 'GET', path, '') });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as { items: unknown[]; totals: unknown[] };
}

for (const dialect of DIALECTS) {
  describe(`returns end to end on ${dialect}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('takes a shop return request through warehouse, carrier, inspection, stock and refund, and tells the shop each step', async () => {
      h = await startHarness({ dialect, edit: withWarehouse, stepMs: 100 });
      const { hub, sandbox } = h;
      const wh = sandbox.warehouse;
      const order = await deliveredShopOrder(h);
      const [first, second] = order.items;
      // One line back in full, resellable; one unit of another damaged (or of the same line,
      // when the order has one line).
      const lines = second
        ? [
            { sku: first!.sku, quantity: first!.quantity },
            { sku: second.sku, quantity: 1 },
          ]
        : [{ sku: first!.sku, quantity: first!.quantity }];
      wh.seed(Object.fromEntries(order.items.map((i) => [i.sku, 5])));
      await waitFor(
        async () => (await levelsOf(hub.store.db, { warehouseId: WH })).length >= order.items.length,
        30_000,
        'the first stock pull',
      );
      const shopReturnId = sandbox.shop.returns.request(order.externalId, lines, 'refund', 'too small');

      let rma = '';
      await waitFor(
        async () => {
          rma = (await returnsOfOrder(hub.store.db, order.id))[0]?.id ?? '';
          return rma !== '' && (await returnStatus(h!, rma)) === 'received_by_carrier';
        },
        60_000,
        'the return parcel to reach the warehouse dock',
      );
      const ret = (await returnById(hub.store.db, rma))!;
      expect(ret).toMatchObject({
        origin: 'sandbox-shop',
        reference: shopReturnId,
        carrier: 'carrier-alpha',
      });
      expect(ret.waybill_no).toMatch(/\S/);
      expect(JSON.parse(ret.return_to!)).toMatchObject({ name: 'OWH Returns Dock', country: 'US' });

      const before = wh.stock();
      wh.receiveReturn(rma, lines[0]!.sku, lines[0]!.quantity, 'RESELLABLE');
      if (lines[1]) wh.receiveReturn(rma, lines[1].sku, 1, 'DAMAGED');
      await waitFor(async () => (await returnStatus(h!, rma)) === 'completed', 60_000, 'the refund');

      // Stock: the resellable units are on hand again, in the hub as in the warehouse; the
      // damaged one is in the damaged bucket, not on hand.
      const truth = wh.stock();
      expect(truth[lines[0]!.sku]!.physical).toBe(before[lines[0]!.sku]!.physical + lines[0]!.quantity);
      await waitFor(
        async () =>
          (await levelsOf(hub.store.db, { warehouseId: WH })).every(
            (l) => l.on_hand === truth[l.sku]?.physical,
          ),
        30_000,
        "the hub's stock to equal the warehouse's",
      );
      const damaged = await damagedStock(hub.store.db, { warehouseId: WH });
      expect(damaged.map((d) => [d.sku, d.quantity])).toEqual(lines[1] ? [[lines[1].sku, 1]] : []);

      // The refund pays back every unit that came back.
      const done = (await returnById(hub.store.db, rma))!;
      const expected = cents(first!.unitPrice) * lines[0]!.quantity + (second ? cents(second.unitPrice) : 0);
      expect(cents(done.refund_amount!)).toBe(expected);

      // Finance sees the refund in the settlement ledger: once, in its month, with its lines.
      const refunds = await api(h, `/v1/settlement/refunds?platform=sandbox-shop`);
      const period = new Date(done.updated_at).toISOString().slice(0, 7);
      expect(refunds.items).toEqual([
        expect.objectContaining({
          returnId: rma,
          orderId: order.id,
          platform: 'sandbox-shop',
          currency: done.currency,
          amount: done.refund_amount,
          period,
        }),
      ]);
      expect(refunds.totals).toEqual([{ currency: done.currency, count: 1, amount: done.refund_amount }]);
      expect((await api(h, `/v1/settlement/refunds?period=2001-01`)).items).toEqual([]);
      // A retried settle finds the entry there: nothing is booked twice.
      expect(await hub.store.write((trx) => recordRefund(trx, done, done.refund_amount!, Date.now()))).toBe(
        false,
      );
      expect((await api(h, '/v1/settlement/refunds')).items).toHaveLength(1);

      // The shop was told, in order, ending with the refund.
      await waitFor(
        () => sandbox.shop.returns.states()[rma]?.status === 'completed',
        60_000,
        'the shop to hear the return is completed',
      );
      const told = sandbox.shop.returns.states()[rma]!;
      expect(told).toMatchObject({
        shopReturnId,
        refundAmount: done.refund_amount,
        orderId: order.externalId,
      });
      const ranks = told.statuses.map((s) => RETURN_STATUSES.indexOf(s as (typeof RETURN_STATUSES)[number]));
      expect(ranks.every((r, i) => r >= 0 && (i === 0 || r > ranks[i - 1]!))).toBe(true);

      // The whole return is in the order's history.
      const notes = (await historyForOrder(hub.store.db, order.id)).map((e) => e.note);
      for (const step of [
        'requested',
        'announced',
        'label_issued',
        'received_by_carrier',
        'inspected',
        'completed',
      ])
        expect(notes.some((n) => n.startsWith(`return ${rma} ${step}:`))).toBe(true);
      expect(await deadJobs(h)).toEqual([]);
    }, 180_000);

    it('an exchange asked over the API creates the replacement order for what came back', async () => {
      h = await startHarness({ dialect, edit: withWarehouse, stepMs: 100 });
      const { hub, sandbox } = h;
      const order = await deliveredShopOrder(h);
      const line = order.items[0]!;
      const path = `/v1/orders/${order.id}/returns`;
      const body = JSON.stringify({
        kind: 'exchange',
        reason: 'wrong size',
        reference: 'EXCH-1',
        lines: [{ sku: line.sku, quantity: 1, exchangeSku: `${line.sku}-XL` }],
      });
      const res = await request(`${hub.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...signedHeaders(h.key, 'POST', path, body) },
      });
      const created = (await res.body.json()) as { id: string; status: string };
      expect(res.statusCode).toBe(201);
      expect(created.status).toBe('requested');
      await waitFor(
        async () =>
          ['label_issued', 'in_transit', 'received_by_carrier'].includes(
            (await returnStatus(h!, created.id)) ?? '',
          ),
        60_000,
        'the return label',
      );
      sandbox.warehouse.receiveReturn(created.id, line.sku, 1, 'RESELLABLE');
      await waitFor(async () => (await returnStatus(h!, created.id)) === 'completed', 60_000, 'the exchange');
      const done = (await returnById(hub.store.db, created.id))!;
      expect(done.refund_amount).toBeNull();
      const replacement = await getOrderRow(hub.store.db, done.replacement_order_id!);
      expect(replacement).toBeDefined();
      expect(replacement!.source).toBe('sandbox-shop');
      expect((JSON.parse(replacement!.items) as Line[]).map((i) => [i.sku, i.quantity])).toEqual([
        [`${line.sku}-XL`, 1],
      ]);
      // The replacement is an ordinary order: it is shipped like any other.
      await waitFor(
        async () =>
          (
            await hub.store.db
              .selectFrom('shipments')
              .select('id')
              .where('order_id', '=', replacement!.id)
              .execute()
          ).length === 1,
        60_000,
        'the replacement to be shipped',
      );
      const notes = (await historyForOrder(hub.store.db, order.id)).map((e) => e.note);
      expect(notes.some((n) => n.includes(`replacement order ${replacement!.id}`))).toBe(true);
      // The same reference again is a duplicate: 409, nothing stored.
      const again = await request(`${hub.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...signedHeaders(h.key, 'POST', path, body) },
      });
      const refused = (await again.body.json()) as { error: { code: string } };
      expect([again.statusCode, refused.error.code]).toEqual([409, 'return_duplicate']);
      expect(await returnsOfOrder(hub.store.db, order.id)).toHaveLength(1);
      expect(await deadJobs(h)).toEqual([]);
    }, 180_000);
  });
}
