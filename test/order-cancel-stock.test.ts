/**
 * Cancelling an order whose warehouse fulfilment failed ends its reservations; the platforms that
 * show those SKUs must hear the units are sellable again (or they keep selling too few), while a
 * SKU no platform was ever told of queues nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import { reserveForOrder } from '../src/pipeline/inventory.js';
import { announceStock } from '../src/pipeline/jobs/stock-publish.js';
import { cancelFailedOrder } from '../src/pipeline/order-cancel.js';
import { levelsOf, readStockPush } from '../src/store/inventory.js';
import { setOrderStatus } from '../src/store/orders.js';
import { insertWarehouseOrder } from '../src/store/warehouse-orders.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { orderFixture } from './helpers/fixtures.js';

const WH = 'wh-de';

for (const dialect of DIALECTS) {
  describe(`cancelling a warehouse order on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
    });
    afterEach(async () => store.destroy());

    const stockJobs = async () =>
      (await store.db.selectFrom('jobs').select('payload').where('kind', '=', 'stock.publish').execute())
        .map((j) => JSON.parse(j.payload) as { platform: string; sku: string })
        .sort((a, b) => (a.platform + a.sku < b.platform + b.sku ? -1 : 1));

    it('releases its reservations and queues a stock push for each platform showing a released SKU, and only those', async () => {
      const items = [
        {
          sku: 'SHOWN',
          description: 'Mug',
          quantity: 2,
          unitPrice: '5.00',
          hsCode: '691200',
          originCountry: 'CN',
          weightGrams: 300,
        },
        {
          sku: 'NEVER-TOLD',
          description: 'Lid',
          quantity: 1,
          unitPrice: '1.00',
          hsCode: '691200',
          originCountry: 'CN',
          weightGrams: 50,
        },
      ];
      const { id } = await acceptOrder(store, orderFixture({ externalId: 'WC-1', items }), { caller: 't' });
      await store.write(async (trx) => {
        await reserveForOrder(trx, id, WH, [
          { sku: 'SHOWN', quantity: 2 },
          { sku: 'NEVER-TOLD', quantity: 1 },
        ]);
        await insertWarehouseOrder(trx, {
          order_id: id,
          warehouse_id: WH,
          status: 'failed',
          lines: JSON.stringify([
            { sku: 'NEVER-TOLD', quantity: 1 },
            { sku: 'SHOWN', quantity: 2 },
          ]),
          outbound_no: null,
          reason: 'refused by the warehouse',
          created_at: 1,
          updated_at: 1,
        });
        await setOrderStatus(trx, id, 'failed', 'outbound refused', Date.now());
        // Two shops were told SHOWN's stock before; their pushes ran and ended.
        await announceStock(trx, ['shop-a', 'shop-b'], ['SHOWN']);
      });
      await store.db.deleteFrom('jobs').where('kind', '=', 'stock.publish').execute();
      const before = await readStockPush(store.db, 'shop-a', 'SHOWN');

      await cancelFailedOrder(store, id, 'ops', 'customer withdrew');

      expect((await levelsOf(store.db, { warehouseId: WH })).map((l) => [l.sku, l.reserved])).toEqual([
        ['NEVER-TOLD', 0],
        ['SHOWN', 0],
      ]);
      expect(await stockJobs()).toEqual([
        { platform: 'shop-a', sku: 'SHOWN' },
        { platform: 'shop-b', sku: 'SHOWN' },
      ]);
      expect((await readStockPush(store.db, 'shop-a', 'SHOWN'))!.wanted_version).toBe(
        before!.wanted_version + 1,
      );
    });
  });
}
