/**
 * The alert list holds alerts of the operations file's rules and alerts other parts of the hub
 * raise (stock reconciliation's oversold SKUs). An alert whose rule was taken out of the file is
 * resolved ("rule removed"); an oversold alert, owned by no rule, is left firing for operators.
 * On every storage dialect under test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { createLogger } from '../../src/hub/logger.js';
import { Operations } from '../../src/monitor/operations.js';
import { OVERSOLD_RULE } from '../../src/pipeline/snapshot/reconcile.js';
import type { KindStats } from '../../src/store/queue.js';
import { firingAlerts, insertAlert, listAlerts } from '../../src/store/operations.js';

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
      await store.write((trx) =>
        insertAlert(trx, {
          id: 'alr-oversold-1',
          rule: OVERSOLD_RULE,
          subject: 'wh-1/SKU-1',
          status: 'firing',
          severity: 'major',
          summary: 'wh-1/SKU-1: 2 unit(s) oversold',
          value: 2,
          threshold: 0,
          partner: 'wh-1',
          interface: 'inventory',
          fired_at: T0,
          last_true_at: T0,
          resolved_at: null,
          acked_at: null,
          acked_by: null,
          escalated_at: null,
          flapping: 0,
          incident_id: null,
        }),
      );
      ops.setFile({ tierDefaults: false, rules: [] });
      await ops.alerts.evaluate(T0 + 60_000);
      await ops.alerts.evaluate(T0 + 120_000);
      expect((await firingAlerts(store.db)).map((a) => a.rule)).toEqual([OVERSOLD_RULE]);
      const [backlog] = (await listAlerts(store.db, { limit: 10 })).filter((a) => a.rule === 'backlog');
      expect(backlog).toMatchObject({ status: 'resolved', resolved_at: T0 + 60_000 });
      expect(backlog!.summary).toMatch(/rule backlog removed/);
    });
  });
}
