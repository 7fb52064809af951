/**
 * Issue 15 point 2 across hub nodes: an alert rule's `for` and `clearFor` timers and its
 * escalation levels live in the store, so the evaluation lease moving to another node (the
 * holder killed, its lease left to expire) neither restarts nor forgets them. Two evaluator
 * instances on one store and a clock the test drives, on every storage dialect under test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { startHookReceiver } from '../helpers/receivers.js';
import { createLogger } from '../../src/hub/logger.js';
import { Operations } from '../../src/monitor/operations.js';
import type { OperationsFile } from '../../src/monitor/ops-config.js';
import type { KindStats } from '../../src/store/queue.js';
import { firingAlerts, leaseHolder, listAlerts, listNotifications } from '../../src/store/operations.js';
import { acknowledgeAlert } from '../../src/monitor/alerts.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 30, 2, 0, 0);
/** evaluateEvery 30 s: a lease lasts 90 s, so a killed holder's lease is free 90 s after its last turn. */
const LEASE = 90_000;

type Hooks = Awaited<ReturnType<typeof startHookReceiver>>;
const SECRET = 'ops-hook-secret-0123456789';

for (const dialect of DIALECTS) {
  describe(`alert timers when the evaluation lease moves (${dialect})`, () => {
    let store: TestStore;
    const nodes: Operations[] = [];
    let hooks: Hooks | undefined;
    const queue: KindStats[] = [];
    const backlog = (on: boolean) =>
      queue.splice(
        0,
        queue.length,
        ...(on ? [{ kind: 'k', status: 'ready', count: 50, oldestCreatedAt: T0 }] : []),
      );
    const node = (name: string, file: OperationsFile) => {
      const n = new Operations({
        store,
        log: createLogger('silent'),
        node: name,
        sources: { partners: () => [], alerting: () => [], queueStats: async () => queue },
        file,
      });
      nodes.push(n);
      return n;
    };
    const alerts = async (status?: string) =>
      listAlerts(store.db, { ...(status ? { status } : {}), limit: 20 });

    afterEach(async () => {
      for (const n of nodes.splice(0)) await n.stop();
      await store?.destroy();
      await hooks?.close();
      hooks = undefined;
    });

    it('`for`: the node taking over from a killed holder fires when the condition has held `for`, counted from the first node’s reading', async () => {
      store = await freshStore(dialect);
      const file: OperationsFile = {
        tierDefaults: false,
        rules: [{ name: 'slow', condition: 'queue_backlog', threshold: 10, for: '5m', clearFor: '0s' }],
      };
      const a = node('node-a', file);
      const b = node('node-b', file);
      backlog(true);
      expect(await a.alerts.evaluate(T0)).toBe(true);
      expect(await b.alerts.evaluate(T0)).toBe(false);
      expect(await a.alerts.evaluate(T0 + MIN)).toBe(true);
      // Holding, not yet for 5 min: a pending alert in the store, since T0; none firing.
      expect((await alerts('pending')).map((p) => [p.rule, p.fired_at])).toEqual([['slow', T0]]);
      expect(await alerts()).toEqual([]);

      // node-a is killed (no step-down): node-b waits out its lease, then takes over.
      expect(await b.alerts.evaluate(T0 + 2 * MIN)).toBe(false);
      expect(await b.alerts.evaluate(T0 + MIN + LEASE)).toBe(true);
      expect(await leaseHolder(store.db, 'alerts')).toMatchObject({ holder: 'node-b' });
      expect(await firingAlerts(store.db)).toEqual([]);
      await b.alerts.evaluate(T0 + 4 * MIN);
      expect(await firingAlerts(store.db)).toEqual([]);
      // 5 min after node-a first saw it hold, not 5 min after node-b took over.
      await b.alerts.evaluate(T0 + 5 * MIN);
      const fired = await firingAlerts(store.db);
      expect(fired.map((f) => [f.rule, f.fired_at])).toEqual([['slow', T0 + 5 * MIN]]);
      expect(await alerts('pending')).toEqual([]);
      expect(await alerts()).toHaveLength(1);
    });

    it('`for`: a clear reading drops the pending alert, so a new run of the condition waits `for` again', async () => {
      store = await freshStore(dialect);
      const file: OperationsFile = {
        tierDefaults: false,
        rules: [{ name: 'slow', condition: 'queue_backlog', threshold: 10, for: '5m', clearFor: '0s' }],
      };
      const a = node('node-a', file);
      const b = node('node-b', file);
      backlog(true);
      await a.alerts.evaluate(T0);
      backlog(false);
      await a.alerts.evaluate(T0 + MIN);
      expect(await alerts('pending')).toEqual([]);
      backlog(true);
      await a.alerts.evaluate(T0 + 2 * MIN);
      // Killed; node-b takes over and counts from T0 + 2 min, not T0.
      await b.alerts.evaluate(T0 + 2 * MIN + LEASE);
      await b.alerts.evaluate(T0 + 6 * MIN);
      expect(await firingAlerts(store.db)).toEqual([]);
      await b.alerts.evaluate(T0 + 7 * MIN);
      expect((await firingAlerts(store.db)).map((f) => f.fired_at)).toEqual([T0 + 7 * MIN]);
    });

    it('`clearFor`: the node taking over resolves once the condition has been clear `clearFor` since the killed holder last saw it hold', async () => {
      store = await freshStore(dialect);
      const file: OperationsFile = {
        tierDefaults: false,
        rules: [{ name: 'sticky', condition: 'queue_backlog', threshold: 10, clearFor: '5m' }],
      };
      const a = node('node-a', file);
      const b = node('node-b', file);
      backlog(true);
      await a.alerts.evaluate(T0);
      await a.alerts.evaluate(T0 + MIN);
      const [alert] = await firingAlerts(store.db);
      expect(alert!.last_true_at).toBe(T0 + MIN);
      backlog(false);
      await a.alerts.evaluate(T0 + 2 * MIN);
      expect(await firingAlerts(store.db)).toHaveLength(1);
      // node-a is killed; node-b takes over 90 s after node-a's last turn.
      expect(await b.alerts.evaluate(T0 + 2 * MIN + LEASE)).toBe(true);
      await b.alerts.evaluate(T0 + 5 * MIN);
      expect(await firingAlerts(store.db)).toHaveLength(1);
      // Counted from node-a's last reading that was not clear (T0 + 1 min), not from the takeover
      // (which would hold it until T0 + 8.5 min).
      await b.alerts.evaluate(T0 + 6 * MIN);
      expect(await firingAlerts(store.db)).toEqual([]);
      const [resolved] = await alerts();
      expect(resolved).toMatchObject({ id: alert!.id, status: 'resolved', resolved_at: T0 + 6 * MIN });
    });

    it('`clearFor`: a condition holding again on the new node starts the clear count afresh', async () => {
      store = await freshStore(dialect);
      const file: OperationsFile = {
        tierDefaults: false,
        rules: [{ name: 'sticky', condition: 'queue_backlog', threshold: 10, clearFor: '5m' }],
      };
      const a = node('node-a', file);
      const b = node('node-b', file);
      backlog(true);
      await a.alerts.evaluate(T0);
      backlog(false);
      await a.alerts.evaluate(T0 + MIN);
      await b.alerts.evaluate(T0 + MIN + LEASE);
      backlog(true);
      await b.alerts.evaluate(T0 + 3 * MIN);
      backlog(false);
      await b.alerts.evaluate(T0 + 4 * MIN);
      await b.alerts.evaluate(T0 + 8 * MIN);
      // Clear since node-b's own first clear reading (T0 + 4 min): firing until T0 + 9 min.
      expect(await firingAlerts(store.db)).toHaveLength(1);
      await b.alerts.evaluate(T0 + 9 * MIN);
      expect(await firingAlerts(store.db)).toEqual([]);
    });

    it('escalation levels: level 1 from one node, level 2 from the node that took over, each once; acknowledging stops the rest', async () => {
      store = await freshStore(dialect);
      hooks = await startHookReceiver();
      const to = (path: string) => ({ webhook: { url: `${hooks!.url}/${path}`, secret: SECRET } });
      const file: OperationsFile = {
        tierDefaults: false,
        recipients: { ops: to('ops'), lead: to('lead'), head: to('head'), cto: to('cto') },
        rules: [
          {
            name: 'stuck',
            condition: 'queue_backlog',
            threshold: 10,
            notify: ['ops'],
            escalate: [
              { after: '15m', to: ['lead'] },
              { after: '1h', to: ['head'] },
              { after: '4h', to: ['cto'] },
            ],
          },
          {
            name: 'stuck-too',
            condition: 'queue_age',
            threshold: 60,
            notify: ['ops'],
            escalate: [
              { after: '15m', to: ['lead'] },
              { after: '30m', to: ['head'] },
            ],
          },
        ],
      };
      /** Escalations received by a recipient: `rule/level of`. */
      const escalations = (path: string) =>
        hooks!.hooks
          .filter((h) => h.path === `/${path}` && h.headers['x-waygate-event'] === 'alert.escalated')
          .map((h) => {
            const body = JSON.parse(h.body) as {
              alert: { rule: string };
              escalation: { level: number; of: number };
            };
            return `${body.alert.rule}/${body.escalation.level} of ${body.escalation.of}`;
          });
      const a = node('node-a', file);
      const b = node('node-b', file);
      backlog(true);
      await a.alerts.evaluate(T0);
      // stuck fires at T0; stuck-too (oldest job older than 60 s) at T0 + 10 min.
      await a.alerts.evaluate(T0 + 10 * MIN);
      expect(escalations('lead')).toEqual([]);
      await a.alerts.evaluate(T0 + 16 * MIN);
      await a.alerts.evaluate(T0 + 17 * MIN);
      expect(escalations('lead')).toEqual(['stuck/1 of 3']);
      expect(escalations('head')).toEqual([]);

      // node-a is killed; node-b takes over: level 2 of stuck at 1 h, once, level 1 not again.
      await b.alerts.evaluate(T0 + 17 * MIN + LEASE);
      await b.alerts.evaluate(T0 + 30 * MIN);
      expect(escalations('lead')).toEqual(['stuck/1 of 3', 'stuck-too/1 of 2']);
      await b.alerts.evaluate(T0 + 59 * MIN);
      await b.alerts.evaluate(T0 + 61 * MIN);
      await b.alerts.evaluate(T0 + 62 * MIN);
      expect(escalations('lead')).toEqual(['stuck/1 of 3', 'stuck-too/1 of 2']);
      expect(escalations('head').sort()).toEqual(['stuck-too/2 of 2', 'stuck/2 of 3']);

      // Acknowledged at 2 h: the third level (4 h) never goes out.
      const [stuck] = (await firingAlerts(store.db)).filter((x) => x.rule === 'stuck');
      await acknowledgeAlert(store, stuck!.id, 'user:oncall', T0 + 120 * MIN);
      await b.alerts.evaluate(T0 + 300 * MIN);
      expect(escalations('cto')).toEqual([]);
      // The notifications to each level are recorded against the alert.
      const rows = await listNotifications(store.db, { alertId: stuck!.id, limit: 20 });
      expect(
        rows
          .filter((r) => r.event === 'alert.escalated')
          .map((r) => `${r.recipient}/${r.status}`)
          .sort(),
      ).toEqual(['head/sent', 'lead/sent']);
    });
  });
}
