/**
 * Issue 15 must-show: an outage on an A-tier partner (the sandbox's outage knob on both of its
 * channels) fires the alert, which is delivered as a signed webhook and as an e-mail received by
 * a real SMTP server, and opens a major incident with its 4 h deadline; clearing the outage
 * resolves the alert (and says so on the incident's timeline and to the same recipients).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { DIALECTS } from '../helpers/stores.js';
import { startHookReceiver, startSmtp } from '../helpers/receivers.js';
import { signWebhook } from '../../src/monitor/notify.js';
import { signedHeaders } from '../../src/gateway/signature.js';
import { firingAlerts, listAlerts, listNotifications } from '../../src/store/operations.js';

const SECRET = 'ops-hook-secret-0123456789';

for (const dialect of DIALECTS) {
  describe(`an A-tier partner outage (${dialect})`, () => {
    let h: Harness;
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let hooks: Awaited<ReturnType<typeof startHookReceiver>>;
    let dir: string;

    beforeAll(async () => {
      smtp = await startSmtp();
      hooks = await startHookReceiver();
      dir = mkdtempSync(join(tmpdir(), 'waygate-ops-'));
      const file = join(dir, 'operations.yaml');
      writeFileSync(
        file,
        [
          'evaluateEvery: 250ms',
          'statsFlushEvery: 200ms',
          '# The tier A thresholds (99.9 %), over a window short enough for a test to see it clear.',
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
          // Fail fast and often so the test need not wait long: short timeout, quick retries.
          const alpha = doc.partners['carrier-alpha']!;
          alpha.timeoutMs = 300;
          alpha.retry = { backoff: ['100ms'], maxAttempts: 1000, jitter: 0 };
          alpha.circuitBreaker = { failureThreshold: 1000, failoverAfter: '1h', openFor: '100ms' };
        },
      });
    }, 60_000);

    afterAll(async () => {
      await h?.close();
      await smtp?.close();
      await hooks?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('fires a de-duplicated alert, a signed webhook, an e-mail and a major incident; clearing it resolves the alert', async () => {
      await h.faults({ partner: 'carrier-alpha', channel: 'primary', outage: true });
      await h.faults({ partner: 'carrier-alpha', channel: 'standby', outage: true });
      for (const o of h.usOrders(4)) expect((await h.postOrder(o)).status).toBe(202);

      const db = h.hub.store.db;
      await waitFor(async () => (await firingAlerts(db)).length > 0, 40_000, 'the alert to fire');
      const [alert] = await firingAlerts(db);
      expect(alert).toMatchObject({
        rule: 'carrier-alpha-down',
        partner: 'carrier-alpha',
        severity: 'major',
      });
      expect(alert!.summary).toMatch(/carrier-alpha shipment.create: success rate 0.00 %/);

      // The webhook: signed over the exact bytes, naming the alert.
      await waitFor(
        () => hooks.hooks.some((x) => x.headers['x-waygate-event'] === 'alert.fired'),
        10_000,
        'webhook',
      );
      const hook = hooks.hooks.find((x) => x.headers['x-waygate-event'] === 'alert.fired')!;
      const ts = Number(hook.headers['x-waygate-timestamp']);
      expect(hook.headers['x-waygate-signature']).toBe(signWebhook(SECRET, ts, hook.body));
      expect(JSON.parse(hook.body).alert).toMatchObject({
        id: alert!.id,
        status: 'firing',
        partner: 'carrier-alpha',
      });

      // The e-mail, as the SMTP server received it.
      await waitFor(() => smtp.mails.length > 0, 10_000, 'e-mail');
      expect(smtp.mails[0]!.to).toEqual(['oncall@example.test']);
      expect(smtp.mails[0]!.raw).toMatch(/Subject: \[Waygate major\] FIRING: carrier-alpha-down/);
      expect(smtp.mails[0]!.raw).toContain(alert!.id);

      // The incident, with its deadline (major: 4 h) and time left.
      expect(alert!.incident_id).toBeTruthy();
      const res = await h.hub.app.inject({
        method: 'GET',
        url: `/v1/incidents/${alert!.incident_id}`,
        headers: signedHeaders(h.key, 'GET', `/v1/incidents/${alert!.incident_id}`, ''),
      });
      expect(res.statusCode).toBe(200);
      const { incident } = res.json();
      expect(incident.severity).toBe('major');
      expect(Date.parse(incident.deadlineAt) - Date.parse(incident.openedAt)).toBe(4 * 3_600_000);
      expect(incident.timeLeftMs).toBeGreaterThan(3.9 * 3_600_000);

      // Still failing: still one alert (de-duplicated), one notification per channel.
      await new Promise((r) => setTimeout(r, 1000));
      expect((await listAlerts(db, { limit: 10 })).length).toBe(1);

      await h.faults(null);
      await waitFor(async () => (await firingAlerts(db)).length === 0, 40_000, 'the alert to resolve');
      const [resolved] = await listAlerts(db, { limit: 10 });
      expect(resolved).toMatchObject({ id: alert!.id, status: 'resolved' });
      await waitFor(
        () => hooks.hooks.some((x) => x.headers['x-waygate-event'] === 'alert.resolved'),
        10_000,
        'resolved webhook',
      );
      await waitFor(() => smtp.mails.some((m) => /RESOLVED/.test(m.raw)), 10_000, 'resolved e-mail');
      // Each notification is recorded just after its delivery: wait for the four records.
      const sentRecords = async () =>
        (await listNotifications(db, { alertId: alert!.id, limit: 20 })).filter((n) => n.status === 'sent');
      await waitFor(async () => (await sentRecords()).length >= 4, 10_000, 'the notification records');
      const sent = await listNotifications(db, { alertId: alert!.id, limit: 20 });
      expect(
        sent
          .filter((n) => n.status === 'sent')
          .map((n) => `${n.event}/${n.channel}`)
          .sort(),
      ).toEqual([
        'alert.fired/email',
        'alert.fired/webhook',
        'alert.resolved/email',
        'alert.resolved/webhook',
      ]);
    }, 120_000);
  });
}
