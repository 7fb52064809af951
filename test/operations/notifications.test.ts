/**
 * Issue 15 point 3, on every storage dialect under test, with a real SMTP server and a webhook
 * receiver on loopback and a clock the test drives: per-rule recipients; quiet hours in the
 * recipient's time zone (held, then delivered when they end; a listed severity let through; a
 * rule that downgrades to e-mail only); escalation to the next recipients when nobody
 * acknowledges in time; acknowledging through the API (permission-checked, audited, noted on the
 * incident); every notification listed by the API. And two hub nodes on one store evaluating at
 * once: one alert, one webhook, one e-mail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { gatewayFor, type GatewayFixture } from '../helpers/gateway.js';
import { startHookReceiver, startSmtp } from '../helpers/receivers.js';
import { waitFor } from '../helpers/harness.js';
import { createLogger } from '../../src/hub/logger.js';
import { Operations } from '../../src/monitor/operations.js';
import { signWebhook } from '../../src/monitor/notify.js';
import type { OperationsFile } from '../../src/monitor/ops-config.js';
import type { KindStats } from '../../src/store/queue.js';
import { auditDb } from '../../src/store/audit.js';
import { firingAlerts, listAlerts, listIncidents, listNotifications } from '../../src/store/operations.js';

const MIN = 60_000;
const SECRET = 'ops-hook-secret-0123456789';
/** 11:00 in Shanghai: nobody's quiet hours. */
const DAY = Date.UTC(2026, 10, 30, 3, 0, 0);
/** 23:00 in Shanghai: inside 22:00–07:00. */
const NIGHT = Date.UTC(2026, 10, 30, 15, 0, 0);
/** 07:01 in Shanghai: the quiet hours are over. */
const MORNING = Date.UTC(2026, 10, 30, 23, 1, 0);

type Smtp = Awaited<ReturnType<typeof startSmtp>>;
type Hooks = Awaited<ReturnType<typeof startHookReceiver>>;

function operationsFile(smtp: Smtp, hooks: Hooks): OperationsFile {
  const quiet = { from: '22:00', to: '07:00', timezone: 'Asia/Shanghai', except: ['major' as const] };
  const backlog = (name: string, iface: string, extra: Record<string, unknown> = {}) => ({
    name,
    condition: 'queue_backlog' as const,
    interface: iface,
    threshold: 10,
    clearFor: '0s',
    ...extra,
  });
  return {
    tierDefaults: false,
    smtp: { host: '127.0.0.1', port: smtp.port, from: 'waygate@example.test' },
    recipients: {
      ops: { webhook: { url: `${hooks.url}/ops`, secret: SECRET }, email: ['ops@example.test'] },
      lead: { email: ['lead@example.test'] },
      night: {
        webhook: { url: `${hooks.url}/night`, secret: SECRET },
        email: ['night@example.test'],
        quietHours: quiet,
      },
    },
    rules: [
      backlog('to-ops', 'a', { notify: ['ops'], escalate: { after: '15m', to: ['lead'] } }),
      backlog('to-lead', 'b', { notify: ['lead'] }),
      backlog('acked', 'c', { notify: ['ops'], escalate: { after: '15m', to: ['lead'] }, incident: true }),
      backlog('at-night', 'd', { notify: ['night'] }),
      backlog('major-at-night', 'e', { notify: ['night'], severity: 'major' }),
      backlog('downgraded', 'f', { notify: ['night'], quietHours: 'downgrade' }),
    ],
  };
}

const mailsTo = (smtp: Smtp, to: string) => smtp.mails.filter((m) => m.to.includes(to));

for (const dialect of DIALECTS) {
  describe(`notifications (${dialect})`, () => {
    let store: TestStore;
    let ops: Operations;
    let gw: GatewayFixture;
    let smtp: Smtp;
    let hooks: Hooks;
    const queue: KindStats[] = [];
    const backlog = (...kinds: string[]) =>
      queue.splice(
        0,
        queue.length,
        ...kinds.map((kind) => ({ kind, status: 'ready', count: 50, oldestCreatedAt: DAY })),
      );
    const alertOf = async (rule: string) => (await firingAlerts(store.db)).find((a) => a.rule === rule)!;

    beforeAll(async () => {
      smtp = await startSmtp();
      hooks = await startHookReceiver();
      store = await freshStore(dialect);
      ops = new Operations({
        store,
        log: createLogger('silent'),
        node: 'node-a',
        sources: { partners: () => [], alerting: () => [], queueStats: async () => queue },
        file: operationsFile(smtp, hooks),
      });
      gw = await gatewayFor(store, {}, { operations: ops });
    }, 60_000);
    afterAll(async () => {
      await gw?.app.close();
      await ops?.stop();
      await store?.destroy();
      await smtp?.close();
      await hooks?.close();
    });

    it('sends each rule to its own recipients: a signed webhook and an e-mail to ops, an e-mail to lead', async () => {
      backlog('a', 'b');
      await ops.alerts.evaluate(DAY);
      const toOps = await alertOf('to-ops');
      expect(mailsTo(smtp, 'ops@example.test').map((m) => /FIRING: to-ops/.test(m.raw))).toEqual([true]);
      expect(mailsTo(smtp, 'lead@example.test').map((m) => /FIRING: to-lead/.test(m.raw))).toEqual([true]);
      const hook = hooks.hooks.find((h) => h.path === '/ops')!;
      const ts = Number(hook.headers['x-waygate-timestamp']);
      expect(hook.headers['x-waygate-signature']).toBe(signWebhook(SECRET, ts, hook.body));
      expect(JSON.parse(hook.body).alert.id).toBe(toOps.id);
      expect(hooks.hooks.filter((h) => h.path === '/ops')).toHaveLength(1);
      // Every notification is recorded and listed by the API.
      const res = await gw.call('GET', `/v1/notifications?alertId=${toOps.id}`);
      expect(res.statusCode).toBe(200);
      expect(
        res
          .json()
          .data.map(
            (n: { channel: string; recipient: string; status: string }) =>
              `${n.channel}/${n.recipient}/${n.status}`,
          )
          .sort(),
      ).toEqual(['email/ops/sent', 'webhook/ops/sent']);
    });

    it('escalates an alert nobody acknowledged within 15 min to the next recipients, once', async () => {
      const before = mailsTo(smtp, 'lead@example.test').length;
      await ops.alerts.evaluate(DAY + 10 * MIN);
      expect(mailsTo(smtp, 'lead@example.test')).toHaveLength(before);
      await ops.alerts.evaluate(DAY + 16 * MIN);
      await ops.alerts.evaluate(DAY + 17 * MIN);
      const escalations = mailsTo(smtp, 'lead@example.test').filter((m) => /ESCALATED/.test(m.raw));
      expect(escalations).toHaveLength(1);
      expect(escalations[0]!.raw).toMatch(/to-ops/);
      expect((await alertOf('to-ops')).escalated_at).toBe(DAY + 16 * MIN);
    });

    it('acknowledging through the API needs alerts:manage, is audited and noted on the incident, and stops the escalation', async () => {
      backlog('c');
      const t = DAY + 60 * MIN;
      await ops.alerts.evaluate(t);
      const alert = await alertOf('acked');
      expect(alert.incident_id).toBeTruthy();

      const reader = await gw.keyWith({ name: 'reader', scopes: ['alerts:read'] });
      const refused = await gw.callAs(reader, 'POST', `/v1/alerts/${alert.id}/ack`);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.code).toBeTruthy();
      expect((await alertOf('acked')).acked_at).toBeNull();

      const ok = await gw.call('POST', `/v1/alerts/${alert.id}/ack`);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ id: alert.id, acknowledgedBy: expect.any(String) });
      const audit = await auditDb(store.db)
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'alert.acknowledge')
        .where('target', '=', alert.id)
        .execute();
      expect(audit.map((a) => a.outcome)).toEqual(['ok']);
      const incident = await gw.call('GET', `/v1/incidents/${alert.incident_id}`);
      expect(incident.json().timeline.map((e: { kind: string }) => e.kind)).toContain('acknowledged');

      const lead = mailsTo(smtp, 'lead@example.test').length;
      await ops.alerts.evaluate(t + 20 * MIN);
      expect(mailsTo(smtp, 'lead@example.test')).toHaveLength(lead);

      const missing = await gw.call('POST', '/v1/alerts/alr-none/ack');
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('alert_not_found');
      backlog();
      await ops.alerts.evaluate(t + 21 * MIN);
      const resolved = await gw.call('POST', `/v1/alerts/${alert.id}/ack`);
      expect(resolved.statusCode).toBe(409);
      expect(resolved.json().error.code).toBe('alert_not_firing');
    });

    it('quiet hours in Asia/Shanghai: holds a notice at 23:00, delivers it at 07:01, once', async () => {
      backlog('d');
      await ops.alerts.evaluate(NIGHT);
      const alert = await alertOf('at-night');
      expect(mailsTo(smtp, 'night@example.test')).toHaveLength(0);
      expect(hooks.hooks.filter((h) => h.path === '/night')).toHaveLength(0);
      const held = await gw.call('GET', '/v1/notifications?status=held_quiet_hours');
      expect(held.json().data).toEqual([
        expect.objectContaining({ alertId: alert.id, recipient: 'night', deliveredAt: null }),
      ]);
      // Still night an hour later: still held.
      await ops.alerts.evaluate(NIGHT + 60 * MIN);
      expect(mailsTo(smtp, 'night@example.test')).toHaveLength(0);

      await ops.alerts.evaluate(MORNING);
      await ops.alerts.evaluate(MORNING + MIN);
      const mails = mailsTo(smtp, 'night@example.test');
      expect(mails).toHaveLength(1);
      expect(mails[0]!.raw).toMatch(/FIRING: at-night/);
      expect(mails[0]!.raw).toMatch(/held during quiet hours since 2026-11-30T15:00:00.000Z/);
      expect(hooks.hooks.filter((h) => h.path === '/night')).toHaveLength(1);
      const [row] = await listNotifications(store.db, {
        alertId: alert.id,
        status: 'held_quiet_hours',
        limit: 5,
      });
      expect(row!.delivered_at).toBe(MORNING);
      backlog();
      await ops.alerts.evaluate(MORNING + 2 * MIN);
    });

    it('quiet hours let a listed severity through, and a downgrading rule goes out by e-mail only', async () => {
      smtp.mails.splice(0);
      hooks.hooks.splice(0);
      backlog('e', 'f');
      const night = NIGHT + 86_400_000;
      await ops.alerts.evaluate(night);
      const mails = mailsTo(smtp, 'night@example.test');
      expect(mails.map((m) => /major-at-night/.test(m.raw) || /downgraded/.test(m.raw))).toEqual([
        true,
        true,
      ]);
      // The major one by webhook too; the downgraded one not.
      expect(
        hooks.hooks.filter((h) => h.path === '/night').map((h) => JSON.parse(h.body).alert.rule),
      ).toEqual(['major-at-night']);
      const down = await alertOf('downgraded');
      const rows = await listNotifications(store.db, { alertId: down.id, limit: 5 });
      expect(rows.map((r) => `${r.channel}/${r.status}`).sort()).toEqual([
        'email/sent',
        'webhook/downgraded_quiet_hours',
      ]);
      backlog();
      await ops.alerts.evaluate(night + MIN);
      expect((await listAlerts(store.db, { status: 'firing', limit: 50 })).length).toBe(0);
    });
  });

  describe(`two hub nodes on one ${dialect} store`, () => {
    it('evaluating at the same moments, they fire one alert, send one webhook and one e-mail; the survivor takes over', async () => {
      const smtp = await startSmtp();
      const hooks = await startHookReceiver();
      const store = await freshStore(dialect);
      const queue: KindStats[] = [
        { kind: 'shipment.create', status: 'ready', count: 500, oldestCreatedAt: DAY },
      ];
      const file: OperationsFile = {
        tierDefaults: false,
        smtp: { host: '127.0.0.1', port: smtp.port, from: 'waygate@example.test' },
        recipients: {
          ops: { webhook: { url: `${hooks.url}/ops`, secret: SECRET }, email: ['ops@example.test'] },
        },
        rules: [
          {
            name: 'backlog',
            condition: 'queue_backlog',
            threshold: 100,
            clearFor: '0s',
            incident: true,
            severity: 'major',
            notify: ['ops'],
          },
        ],
      };
      const node = (name: string) =>
        new Operations({
          store,
          log: createLogger('silent'),
          node: name,
          sources: { partners: () => [], alerting: () => [], queueStats: async () => queue },
          file,
        });
      const a = node('node-a');
      const b = node('node-b');
      try {
        for (let i = 0; i < 5; i++) {
          const at = DAY + i * 30_000;
          const ran = await Promise.all([a.alerts.evaluate(at), b.alerts.evaluate(at)]);
          // Exactly one of them holds the lease at each turn.
          expect(ran.filter(Boolean)).toHaveLength(1);
        }
        await waitFor(() => smtp.mails.length > 0, 10_000, 'the e-mail');
        expect(await listAlerts(store.db, { limit: 10 })).toHaveLength(1);
        expect(hooks.hooks).toHaveLength(1);
        expect(smtp.mails).toHaveLength(1);
        const incidents = await listIncidents(store.db, { limit: 10 });
        expect(incidents).toHaveLength(1);

        // node-a stops: node-b takes the lease over and resolves the alert when the backlog clears.
        await a.stop();
        queue.splice(0);
        expect(await b.alerts.evaluate(DAY + 3 * MIN)).toBe(true);
        expect(await firingAlerts(store.db)).toHaveLength(0);
        await waitFor(() => smtp.mails.length === 2, 10_000, 'the resolved e-mail');
        expect(hooks.hooks.map((h) => h.headers['x-waygate-event'])).toEqual([
          'alert.fired',
          'alert.resolved',
        ]);
      } finally {
        await a.stop();
        await b.stop();
        await store.destroy();
        await smtp.close();
        await hooks.close();
      }
    }, 60_000);
  });
}
