/**
 * Oversold stock after a warehouse outage is an alert rule like the others [004-3.2] [000-13], on
 * every storage dialect under test, with a real SMTP server and a webhook receiver on loopback:
 * the default rule `stock-oversold` fires once per warehouse whose newest reconciliation found
 * SKUs sold beyond its stock, tells the default recipients (signed webhook and e-mail), and
 * resolves by itself — when a later reconciliation finds none, or when the warehouse's stock
 * covers the hub's reservations again — telling them so. A file rule of the condition replaces the
 * default (its own recipients, one warehouse); the file is validated like any other rule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { startHookReceiver, startSmtp } from '../helpers/receivers.js';
import { createLogger } from '../../src/hub/logger.js';
import { OVERSOLD_RULE } from '../../src/monitor/alerts.js';
import { signWebhook } from '../../src/monitor/notify.js';
import { Operations } from '../../src/monitor/operations.js';
import { OperationsConfigError, parseOperations, type OperationsFile } from '../../src/monitor/ops-config.js';
import { applyStockFigures, reserveForOrder } from '../../src/pipeline/inventory.js';
import { reconcileAfterOutage } from '../../src/pipeline/snapshot/reconcile.js';
import { takeSnapshot } from '../../src/pipeline/snapshot/take.js';
import { firingAlerts, insertAlert, listAlerts, listNotifications } from '../../src/store/operations.js';

const WH = 'sandbox-warehouse';
const OTHER = 'other-warehouse';
const MIN = 60_000;
const SECRET = 'stock-hook-secret-0123456789';

type Smtp = Awaited<ReturnType<typeof startSmtp>>;
type Hooks = Awaited<ReturnType<typeof startHookReceiver>>;

function fileFor(smtp: Smtp, hooks: Hooks, extra: Partial<OperationsFile> = {}): OperationsFile {
  return {
    tierDefaults: false,
    defaultRecipients: ['ops'],
    smtp: { host: '127.0.0.1', port: smtp.port, from: 'waygate@example.test' },
    recipients: {
      ops: { webhook: { url: `${hooks.url}/ops`, secret: SECRET }, email: ['ops@example.test'] },
      stock: { email: ['stock@example.test'] },
    },
    ...extra,
  };
}

for (const dialect of DIALECTS) {
  describe(`stock-oversold alert rule (${dialect})`, () => {
    let store: TestStore;
    let ops: Operations;
    let smtp: Smtp;
    let hooks: Hooks;
    let dir: string;
    const t0 = Date.now() - 6 * 60 * MIN;

    beforeEach(async () => {
      smtp = await startSmtp();
      hooks = await startHookReceiver();
      store = await freshStore(dialect);
      dir = mkdtempSync(join(tmpdir(), 'waygate-oversold-'));
      ops = new Operations({
        store,
        log: createLogger('silent'),
        node: 'node-a',
        sources: { partners: () => [], alerting: () => [], queueStats: async () => [] },
        file: fileFor(smtp, hooks),
      });
    }, 60_000);
    afterEach(async () => {
      await ops?.stop();
      await store?.destroy();
      await smtp?.close();
      await hooks?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /**
     * An outage of `warehouse` from `at`: its snapshot says SKU-A 10 and SKU-C 5, 4 × SKU-C are sold
     * on the snapshot, the warehouse comes back holding SKU-A 10 and SKU-C `cBack`.
     */
    async function outage(warehouse: string, at: number, cBack: number, sell = 4) {
      await applyStockFigures(
        store,
        warehouse,
        [
          { sku: 'SKU-A', onHand: 10 },
          { sku: 'SKU-C', onHand: 5 },
        ],
        at,
        'pull',
        at,
      );
      await takeSnapshot(store, {
        dir,
        timeZone: 'Asia/Shanghai',
        scope: { platforms: [], carriers: [], warehouses: [warehouse] },
        trigger: 'cli',
        nowMs: at + MIN,
      });
      if (sell > 0)
        await store.write((trx) =>
          reserveForOrder(
            trx,
            `ord_${warehouse}_${at}`,
            warehouse,
            [{ sku: 'SKU-C', quantity: sell }],
            at + 50 * MIN,
          ),
        );
      const back = at + 90 * MIN;
      await applyStockFigures(
        store,
        warehouse,
        [
          { sku: 'SKU-A', onHand: 10 },
          { sku: 'SKU-C', onHand: cBack },
        ],
        back,
        'pull',
        back,
      );
      return reconcileAfterOutage(store, {
        warehouseId: warehouse,
        unreachableSinceMs: at + 10 * MIN,
        fallbackFromMs: at + 40 * MIN,
        recoveredAtMs: back,
      });
    }

    const oversoldAlerts = async () =>
      (await listAlerts(store.db, { limit: 50 })).filter((a) => a.rule === OVERSOLD_RULE);
    const opsHooks = () => hooks.hooks.filter((h) => h.path === '/ops').map((h) => JSON.parse(h.body));

    it('fires once per warehouse with its oversold SKUs, notifies by signed webhook and e-mail, and resolves when a later reconciliation finds none', async () => {
      const first = await outage(WH, t0, 2);
      expect(first.oversoldSkus).toEqual(['SKU-C']);
      // The reconciliation itself writes no alert: the rule does, at its next evaluation.
      expect(await firingAlerts(store.db)).toEqual([]);

      const at = t0 + 100 * MIN;
      await ops.alerts.evaluate(at);
      await ops.alerts.evaluate(at + MIN);
      const [alert, ...more] = await oversoldAlerts();
      expect(more).toEqual([]);
      expect(alert).toMatchObject({
        subject: `stock/${WH}`,
        status: 'firing',
        severity: 'major',
        partner: WH,
        interface: 'inventory',
        value: 1,
        fired_at: at,
      });
      expect(alert!.summary).toContain('SKU-C 2');
      expect(alert!.summary).toContain(first.id);

      const [fired, ...again] = hooks.hooks.filter((h) => h.path === '/ops');
      expect(again).toEqual([]);
      expect(fired!.headers['x-waygate-signature']).toBe(
        signWebhook(SECRET, Number(fired!.headers['x-waygate-timestamp']), fired!.body),
      );
      expect(JSON.parse(fired!.body)).toMatchObject({
        event: 'alert.fired',
        alert: { id: alert!.id, rule: OVERSOLD_RULE, condition: 'stock_oversold', subject: `stock/${WH}` },
      });
      const mails = smtp.mails.filter((m) => m.to.includes('ops@example.test'));
      expect(mails.map((m) => /FIRING: stock-oversold stock\/sandbox-warehouse/.test(m.raw))).toEqual([true]);

      // A second outage, nothing sold on its snapshot: the newest report has no oversold SKU.
      const second = await outage(WH, t0 + 120 * MIN, 2, 0);
      expect(second.oversoldSkus).toEqual([]);
      await ops.alerts.evaluate(t0 + 220 * MIN);
      const [resolved] = await oversoldAlerts();
      expect(resolved).toMatchObject({ id: alert!.id, status: 'resolved', resolved_at: t0 + 220 * MIN });
      expect(resolved!.summary).toBe(`${WH}: reconciliation ${second.id} found no oversold SKU`);
      expect(opsHooks().map((b: { event: string }) => b.event)).toEqual(['alert.fired', 'alert.resolved']);
      expect(
        smtp.mails.filter((m) => m.to.includes('ops@example.test') && /RESOLVED: stock-oversold/.test(m.raw)),
      ).toHaveLength(1);
      const sent = await listNotifications(store.db, { alertId: alert!.id, limit: 10 });
      expect(sent.map((n) => [n.event, n.channel, n.status]).sort()).toEqual([
        ['alert.fired', 'email', 'sent'],
        ['alert.fired', 'webhook', 'sent'],
        ['alert.resolved', 'email', 'sent'],
        ['alert.resolved', 'webhook', 'sent'],
      ]);
    });

    it("resolves when the warehouse's stock covers the reservations again, and one warehouse's alert is not another's", async () => {
      await outage(WH, t0, 2);
      await outage(OTHER, t0, 1);
      await ops.alerts.evaluate(t0 + 100 * MIN);
      expect((await firingAlerts(store.db)).map((a) => [a.subject, a.value]).sort()).toEqual([
        [`stock/${OTHER}`, 1],
        [`stock/${WH}`, 1],
      ]);
      // Goods found at WH: 4 on hand against 4 reserved. OTHER is still short.
      const found = t0 + 110 * MIN;
      await applyStockFigures(store, WH, [{ sku: 'SKU-C', onHand: 4 }], found, 'pull', found);
      await ops.alerts.evaluate(t0 + 111 * MIN);
      const bySubject = new Map((await oversoldAlerts()).map((a) => [a.subject, a]));
      expect(bySubject.get(`stock/${WH}`)).toMatchObject({ status: 'resolved' });
      expect(bySubject.get(`stock/${WH}`)!.summary).toMatch(/covered by the warehouse's stock again/);
      expect(bySubject.get(`stock/${OTHER}`)).toMatchObject({ status: 'firing' });
      expect(
        opsHooks()
          .map((b: { event: string; alert: { subject: string } }) => [b.event, b.alert.subject])
          .sort(),
      ).toEqual([
        ['alert.fired', `stock/${OTHER}`],
        ['alert.fired', `stock/${WH}`],
        ['alert.resolved', `stock/${WH}`],
      ]);
    });

    it('takes a file rule of the condition instead of the default: its recipients, its warehouse', async () => {
      ops.setFile(
        fileFor(smtp, hooks, {
          rules: [
            {
              name: 'oversold-main',
              condition: 'stock_oversold',
              partner: WH,
              notify: ['stock'],
              severity: 'general',
            },
          ],
        }),
      );
      expect(ops.alerts.rules().map((r) => [r.name, r.condition, r.origin])).toEqual([
        ['oversold-main', 'stock_oversold', 'file'],
      ]);
      await outage(WH, t0, 2);
      await outage(OTHER, t0, 1);
      await ops.alerts.evaluate(t0 + 100 * MIN);
      expect((await firingAlerts(store.db)).map((a) => [a.rule, a.subject, a.severity])).toEqual([
        ['oversold-main', `stock/${WH}`, 'general'],
      ]);
      expect(smtp.mails.map((m) => m.to)).toEqual([['stock@example.test']]);
      expect(hooks.hooks).toEqual([]);
    });

    it('resolves an oversold alert of the days before the rule (one per SKU) through the rule, not as an orphan', async () => {
      await store.write((trx) =>
        insertAlert(trx, {
          id: 'alr-legacy-1',
          rule: OVERSOLD_RULE,
          subject: `${WH}/SKU-1`,
          status: 'firing',
          severity: 'major',
          summary: `${WH}/SKU-1: 2 unit(s) oversold`,
          value: 2,
          threshold: 0,
          partner: WH,
          interface: 'inventory',
          fired_at: t0,
          last_true_at: t0,
          resolved_at: null,
          acked_at: null,
          acked_by: null,
          escalated_at: null,
          flapping: 0,
          incident_id: null,
        }),
      );
      await ops.alerts.evaluate(t0 + MIN);
      const [legacy] = await oversoldAlerts();
      expect(legacy).toMatchObject({ id: 'alr-legacy-1', status: 'resolved' });
      expect(legacy!.summary).toBe(`${WH}: no reconciliation shows oversold SKUs`);
    });
  });
}

describe('stock_oversold in the operations file', () => {
  it('is checked like any rule: fields that do not apply and unknown recipients name their line', () => {
    const bad = [
      'recipients:',
      '  ops: { webhook: { url: "https://ops.example.com/h", secret: "0123456789abcdef0" } }',
      'rules:',
      '  - name: oversold',
      '    condition: stock_oversold',
      '    interface: shipment.create',
      '    notify: [nobody]',
    ].join('\n');
    let err: unknown;
    try {
      parseOperations(bad, 'ops.yaml', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OperationsConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(/^ops\.yaml:6: .*interface.* does not apply to condition stock_oversold/m);
    expect(message).toMatch(/^ops\.yaml:7: .*names recipient nobody/m);
    const good = parseOperations(
      ['rules:', '  - { name: oversold, condition: stock_oversold, partner: "*", threshold: 2 }'].join('\n'),
      'ops.yaml',
      {},
    );
    expect(good.rules?.[0]).toMatchObject({ condition: 'stock_oversold', threshold: 2 });
  });
});
