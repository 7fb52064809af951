/**
 * Issue 15 with two full hub nodes on one store (two `startHub` instances, each with its HTTP
 * API, workers, statistics, alert evaluator and notifier, sharing the store and the partners'
 * sandbox): an A-tier partner outage gives one alert, one incident, one signed webhook and one
 * e-mail received by a real SMTP server on loopback, whichever node's workers met the failures;
 * the node holding the evaluation lease is then stopped and the other one resolves the alert
 * when the outage clears — again one webhook and one e-mail. On every storage dialect under test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { DIALECTS } from '../helpers/stores.js';
import { startHookReceiver, startSmtp } from '../helpers/receivers.js';
import { signWebhook } from '../../src/monitor/notify.js';
import type { Hub } from '../../src/hub/hub.js';
import {
  callMinutes,
  firingAlerts,
  leaseHolder,
  listAlerts,
  listIncidents,
} from '../../src/store/operations.js';

const SECRET = 'ops-hook-secret-0123456789';

for (const dialect of DIALECTS) {
  describe(`two hub nodes on one ${dialect} store, one A-tier outage`, () => {
    let h: Harness;
    let peer: Hub;
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let hooks: Awaited<ReturnType<typeof startHookReceiver>>;
    let dir: string;

    beforeAll(async () => {
      smtp = await startSmtp();
      hooks = await startHookReceiver();
      dir = mkdtempSync(join(tmpdir(), 'waygate-two-hubs-'));
      const file = join(dir, 'operations.yaml');
      writeFileSync(
        file,
        [
          'evaluateEvery: 250ms',
          'statsFlushEvery: 200ms',
          'tierDefaults: false',
          `smtp: { host: 127.0.0.1, port: ${smtp.port}, from: waygate@example.test }`,
          'recipients:',
          '  ops:',
          `    webhook: { url: "${hooks.url}/alerts", secret: "\${OPS_HOOK_SECRET}" }`,
          '    email: [oncall@example.test]',
          'rules:',
          '  - name: carrier-alpha-down',
          '    condition: success_rate',
          '    partner: carrier-alpha',
          '    interface: shipment.create',
          '    threshold: 0.999',
          '    window: 5s',
          '    minCalls: 3',
          '    clearFor: 1s',
          '    severity: major',
          '    incident: true',
          '    notify: [ops]',
          '',
        ].join('\n'),
      );
      h = await startHarness({
        dialect,
        operations: { file, statsBucketMs: 1000 },
        env: { OPS_HOOK_SECRET: SECRET },
        edit: (doc) => {
          const alpha = doc.partners['carrier-alpha']!;
          alpha.timeoutMs = 300;
          alpha.retry = { backoff: ['100ms'], maxAttempts: 1000, jitter: 0 };
          alpha.circuitBreaker = { failureThreshold: 1000, failoverAfter: '1h', openFor: '100ms' };
        },
      });
      peer = await h.peer();
    }, 90_000);

    afterAll(async () => {
      await h?.close();
      await smtp?.close();
      await hooks?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const events = (event: string) => hooks.hooks.filter((x) => x.headers['x-waygate-event'] === event);
    const mails = (verb: string) =>
      smtp.mails.filter((m) => new RegExp(`${verb}: carrier-alpha-down`).test(m.raw));

    it('one alert, one incident, one webhook, one e-mail; the surviving node resolves it once', async () => {
      const db = h.hub.store.db;
      const nodes = [h.hub, peer];
      expect(new Set(nodes.map((n) => n.operations.node)).size).toBe(2);
      await h.faults({ partner: 'carrier-alpha', channel: 'primary', outage: true });
      await h.faults({ partner: 'carrier-alpha', channel: 'standby', outage: true });
      for (const o of h.usOrders(6)) expect((await h.postOrder(o)).status).toBe(202);

      await waitFor(async () => (await firingAlerts(db)).length > 0, 60_000, 'the alert to fire');
      await waitFor(() => events('alert.fired').length > 0 && mails('FIRING').length > 0, 20_000, 'notices');
      // Both nodes keep evaluating (every 250 ms) while the outage lasts: nothing more is sent.
      await new Promise((r) => setTimeout(r, 2_000));
      const [alert] = await listAlerts(db, { limit: 10 });
      expect(await listAlerts(db, { limit: 10 })).toHaveLength(1);
      expect(await listIncidents(db, { limit: 10 })).toHaveLength(1);
      expect(alert!.incident_id).toBe((await listIncidents(db, { limit: 10 }))[0]!.id);
      expect(events('alert.fired')).toHaveLength(1);
      expect(mails('FIRING')).toHaveLength(1);
      expect(mails('FIRING')[0]!.to).toEqual(['oncall@example.test']);
      const hook = events('alert.fired')[0]!;
      expect(hook.headers['x-waygate-signature']).toBe(
        signWebhook(SECRET, Number(hook.headers['x-waygate-timestamp']), hook.body),
      );
      // The failures were counted by whichever node ran the jobs; both nodes' rows are summed.
      const writers = new Set(
        (await callMinutes(db, { fromMs: Date.now() - 600_000, toMs: Date.now() + 60_000 })).map(
          (m) => m.node,
        ),
      );
      expect([...writers].every((n) => nodes.some((x) => x.operations.node === n))).toBe(true);

      // The node holding the evaluation lease stops; the other takes over.
      const holder = (await leaseHolder(db, 'alerts'))!.holder;
      const leaving = nodes.find((n) => n.operations.node === holder)!;
      const staying = nodes.find((n) => n !== leaving)!;
      await leaving.close();
      await h.faults(null);
      if (leaving === h.hub) staying.pool.notify();
      await waitFor(
        async () => (await firingAlerts(staying.store.db)).length === 0,
        60_000,
        'the alert to resolve',
      );
      expect((await leaseHolder(staying.store.db, 'alerts'))?.holder).toBe(staying.operations.node);
      await waitFor(
        () => events('alert.resolved').length > 0 && mails('RESOLVED').length > 0,
        20_000,
        'resolved notices',
      );
      await new Promise((r) => setTimeout(r, 1_000));
      expect(events('alert.resolved')).toHaveLength(1);
      expect(mails('RESOLVED')).toHaveLength(1);
      expect(await listAlerts(staying.store.db, { limit: 10 })).toEqual([
        expect.objectContaining({ id: alert!.id, status: 'resolved' }),
      ]);
    }, 180_000);
  });
}
