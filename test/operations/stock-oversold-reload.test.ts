/**
 * The stock_oversold rule in a running hub's operations file, on SQLite and PostgreSQL: hot-reloaded
 * like every rule — an edit that breaks it is rejected with its line and the last good file stays
 * in force; taking the rule out brings the hub's default `stock-oversold` back, and the rule in
 * force fires on a reconciliation that found oversold SKUs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '../../src/gateway/signature.js';
import { DIALECTS } from '../helpers/stores.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { startHookReceiver } from '../helpers/receivers.js';
import { applyStockFigures, reserveForOrder } from '../../src/pipeline/inventory.js';
import { reconcileAfterOutage } from '../../src/pipeline/snapshot/reconcile.js';
import { firingAlerts } from '../../src/store/operations.js';

const SECRET = 'reload-hook-secret-0123456789';

for (const dialect of DIALECTS) {
  describe(`stock_oversold rule reloaded in a running hub (${dialect})`, () => {
    let h: Harness;
    let hooks: Awaited<ReturnType<typeof startHookReceiver>>;
    let dir: string;
    let file: string;
    const write = (rules: string[]) =>
      writeFileSync(
        file,
        [
          'tierDefaults: false',
          'evaluateEvery: 1h',
          'defaultRecipients: [ops]',
          'recipients:',
          `  ops: { webhook: { url: "${hooks.url}/ops", secret: "${SECRET}" } }`,
          ...(rules.length > 0 ? ['rules:', ...rules] : []),
          '',
        ].join('\n'),
      );
    /** The operations file's reloads as `GET /v1/alerts/rules` lists them. */
    const reloads = async () => {
      const path = '/v1/alerts/rules';
      const res = await request(`${h.hub.url}${path}`, { headers: signedHeaders(h.key, 'GET', path, '') });
      expect(res.statusCode).toBe(200);
      return ((await res.body.json()) as { reloads: Array<{ outcome: string; message: string }> }).reloads;
    };
    const oversoldRules = () =>
      h.hub.operations.alerts
        .rules()
        .filter((r) => r.condition === 'stock_oversold')
        .map((r) => [r.name, r.origin, r.partner]);

    beforeAll(async () => {
      hooks = await startHookReceiver();
      dir = mkdtempSync(join(tmpdir(), 'waygate-oversold-reload-'));
      file = join(dir, 'operations.yaml');
      write(['  - { name: oversold-wh-1, condition: stock_oversold, partner: wh-1, severity: major }']);
      h = await startHarness({ dialect, operations: { file } });
    }, 60_000);
    afterAll(async () => {
      await h?.close();
      await hooks?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('rejects a broken edit, keeps the last good rule, and falls back to the default when the rule is taken out', async () => {
      expect(oversoldRules()).toEqual([['oversold-wh-1', 'file', 'wh-1']]);

      write(['  - name: oversold-wh-1', '    condition: stock_oversold', '    interface: shipment.create']);
      await waitFor(
        async () => (await reloads()).some((e) => e.outcome === 'rejected'),
        30_000,
        'the broken edit rejected',
      );
      const rejected = (await reloads()).find((e) => e.outcome === 'rejected')!;
      expect(rejected.message).toMatch(
        /operations\.yaml:9: .*interface does not apply to condition stock_oversold/,
      );
      expect(oversoldRules()).toEqual([['oversold-wh-1', 'file', 'wh-1']]);

      write([]);
      await waitFor(
        () => oversoldRules().some(([name]) => name === 'stock-oversold'),
        30_000,
        'the default rule back',
      );
      expect(oversoldRules()).toEqual([['stock-oversold', 'default', '*']]);

      // The rule in force fires on an oversold reconciliation and tells the default recipients.
      const t0 = Date.now() - 3_600_000;
      const store = h.hub.store;
      await applyStockFigures(store, 'wh-2', [{ sku: 'SKU-9', onHand: 3 }], t0, 'pull', t0);
      await store.write((trx) =>
        reserveForOrder(trx, 'ord_9', 'wh-2', [{ sku: 'SKU-9', quantity: 3 }], t0 + 60_000),
      );
      await applyStockFigures(
        store,
        'wh-2',
        [{ sku: 'SKU-9', onHand: 1 }],
        t0 + 120_000,
        'pull',
        t0 + 120_000,
      );
      await reconcileAfterOutage(store, {
        warehouseId: 'wh-2',
        unreachableSinceMs: t0 + 10_000,
        fallbackFromMs: t0 + 20_000,
        recoveredAtMs: t0 + 120_000,
      });
      await h.hub.operations.alerts.evaluate();
      expect((await firingAlerts(store.db)).map((a) => [a.rule, a.subject])).toEqual([
        ['stock-oversold', 'stock/wh-2'],
      ]);
      await waitFor(() => hooks.hooks.length > 0, 10_000, 'the webhook');
      expect(JSON.parse(hooks.hooks[0]!.body)).toMatchObject({
        event: 'alert.fired',
        alert: { rule: 'stock-oversold', subject: 'stock/wh-2' },
      });
    }, 120_000);
  });
}
