/**
 * An alert whose rule was taken out of the operations file is resolved ("rule removed"); an
 * oversold-stock alert belongs to the hub's default rule `stock-oversold`, which is in force
 * whatever the file says, so it is no orphan: it stays firing while its warehouse is oversold.
 * On every storage dialect under test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { createLogger } from '../../src/hub/logger.js';
import { Operations } from '../../src/monitor/operations.js';
import { OVERSOLD_RULE } from '../../src/monitor/alerts.js';
import { applyStockFigures, reserveForOrder } from '../../src/pipeline/inventory.js';
import { reconcileAfterOutage } from '../../src/pipeline/snapshot/reconcile.js';
import type { KindStats } from '../../src/store/queue.js';
import { firingAlerts, listAlerts } from '../../src/store/operations.js';

const T0 = Date.UTC(2026, 10, 30, 2, 0, 0);

for (const dialect of DIALECTS) {
  describe(`alerts without a rule in the operations file (${dialect})`, () => {
    let store: TestStore;
    let ops: Operations;
    const queue: KindStats[] = [{ kind: 'k', status: 'ready', count: 50, oldestCreatedAt: T0 }];
    beforeAll(async () => {
      store = await freshStore(dialect);
      ops = new Operations({
        store,
        log: createLogger('silent'),
        node: 'node-a',
        sources: { partners: () => [], alerting: () => [], queueStats: async () => queue },
        file: {
          tierDefaults: false,
          rules: [{ name: 'backlog', condition: 'queue_backlog', threshold: 10 }],
        },
      });
    }, 60_000);
    afterAll(async () => {
      await ops?.stop();
      await store?.destroy();
    });

    it('resolves the alert of a removed rule and leaves an oversold-stock alert firing', async () => {
      await ops.alerts.evaluate(T0);
      // wh-1 came back from an outage holding 1 × SKU-1 while 3 were sold on its snapshot.
      await applyStockFigures(
        store,
        'wh-1',
        [{ sku: 'SKU-1', onHand: 5 }],
        T0 - 100_000,
        'pull',
        T0 - 100_000,
      );
      await store.write((trx) =>
        reserveForOrder(trx, 'ord_1', 'wh-1', [{ sku: 'SKU-1', quantity: 3 }], T0 - 50_000),
      );
      await applyStockFigures(store, 'wh-1', [{ sku: 'SKU-1', onHand: 1 }], T0 - 10_000, 'pull', T0 - 10_000);
      await reconcileAfterOutage(store, {
        warehouseId: 'wh-1',
        unreachableSinceMs: T0 - 90_000,
        fallbackFromMs: T0 - 80_000,
        recoveredAtMs: T0 - 10_000,
      });
      await ops.alerts.evaluate(T0 + 30_000);
      ops.setFile({ tierDefaults: false, rules: [] });
      await ops.alerts.evaluate(T0 + 60_000);
      await ops.alerts.evaluate(T0 + 120_000);
      expect((await firingAlerts(store.db)).map((a) => [a.rule, a.subject])).toEqual([
        [OVERSOLD_RULE, 'stock/wh-1'],
      ]);
      const [backlog] = (await listAlerts(store.db, { limit: 10 })).filter((a) => a.rule === 'backlog');
      expect(backlog).toMatchObject({ status: 'resolved', resolved_at: T0 + 60_000 });
      expect(backlog!.summary).toMatch(/rule backlog removed/);
    });
  });
}
