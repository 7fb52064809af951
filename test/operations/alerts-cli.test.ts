/**
 * `waygate alerts ack` and `waygate incidents …` run as a user runs them (the built CLI as a
 * subprocess, on the store a hub uses), on every storage dialect under test: an acknowledgement
 * is recorded on the alert, on its incident's timeline and in the audit log; an unknown or
 * resolved alert, an unknown incident and an incomplete close each print what was wrong, exit 1,
 * change nothing and (for alerts) are audited as refusals; a missing argument is a usage error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { createTestDbUrl, DIALECTS } from '../helpers/stores.js';
import { createLogger } from '../../src/hub/logger.js';
import { openStore, type Store } from '../../src/store/db.js';
import { localFieldCipher } from '../../src/security/field-cipher.js';
import { Operations } from '../../src/monitor/operations.js';
import { auditDb } from '../../src/store/audit.js';
import type { KindStats } from '../../src/store/queue.js';
import {
  firingAlerts,
  getAlert,
  getIncident,
  incidentEvents,
  listAlerts,
} from '../../src/store/operations.js';

const T0 = Date.UTC(2026, 10, 30, 2, 0, 0);
/** The CLI finds a PostgreSQL store's master key under ./data, as the hub run from here does. */
const cwd = process.cwd();

for (const dialect of DIALECTS) {
  describe(`waygate alerts / incidents as a subprocess (${dialect})`, () => {
    let db: { url: string; drop: () => Promise<void> };
    let store: Store;
    let ops: Operations;
    const queue: KindStats[] = [{ kind: 'k', status: 'ready', count: 50, oldestCreatedAt: T0 }];
    const run = (...args: string[]) => runBin([...args, '--db', db.url], { cwd, killAfterMs: 60_000 });
    const listAll = () => listAlerts(store.db, { limit: 20 });
    const audits = (target: string) =>
      auditDb(store.db)
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'alert.acknowledge')
        .where('target', '=', target)
        .orderBy('seq')
        .execute();

    beforeAll(async () => {
      db = await createTestDbUrl(dialect);
      store = await openStore(db.url, { cipher: localFieldCipher });
      ops = new Operations({
        store,
        log: createLogger('silent'),
        node: 'node-a',
        sources: { partners: () => [], alerting: () => [], queueStats: async () => queue },
        file: {
          tierDefaults: false,
          rules: [
            {
              name: 'backlog',
              condition: 'queue_backlog',
              threshold: 10,
              clearFor: '0s',
              severity: 'major',
              incident: true,
            },
            { name: 'other', condition: 'queue_age', threshold: 60, clearFor: '0s' },
          ],
        },
      });
      await ops.alerts.evaluate(T0);
      await ops.alerts.evaluate(T0 + 120_000);
    }, 60_000);
    afterAll(async () => {
      await ops?.stop();
      await store?.close();
      await db?.drop();
    });

    it('acknowledges a firing alert: exit 0, noted on its incident’s timeline, audited with the OS user', async () => {
      const [alert] = (await firingAlerts(store.db)).filter((a) => a.rule === 'backlog');
      const r = await run('alerts', 'ack', alert!.id);
      expect(r.killed).toBe(false);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(`acknowledged ${alert!.id} (noted on incident ${alert!.incident_id})`);
      const row = await getAlert(store.db, alert!.id);
      expect(row!.acked_by).toMatch(/^cli:/);
      expect(row!.acked_at).not.toBeNull();
      const timeline = await incidentEvents(store.db, alert!.incident_id!);
      expect(timeline.filter((e) => e.kind === 'acknowledged').map((e) => e.actor)).toEqual([row!.acked_by]);
      expect((await audits(alert!.id)).map((a) => [a.outcome, a.actor])).toEqual([['ok', row!.acked_by]]);
    }, 90_000);

    it('an unknown alert: exit 1, says so and what to do, audited as a refusal; --json prints the API’s error body', async () => {
      const r = await run('alerts', 'ack', 'alr-no-such-alert');
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^waygate: alert_not_found: no alert alr-no-such-alert: list the alerts/);
      const j = await run('alerts', 'ack', 'alr-no-such-alert', '--json');
      expect(j.code).toBe(1);
      expect(JSON.parse(j.stdout)).toMatchObject({
        error: { code: 'alert_not_found', message: expect.stringContaining('alr-no-such-alert') },
      });
      expect((await audits('alr-no-such-alert')).map((a) => a.outcome)).toEqual(['rejected', 'rejected']);
    }, 90_000);

    it('a resolved alert: exit 1 alert_not_firing with since when, nothing changed', async () => {
      queue.splice(0);
      await ops.alerts.evaluate(T0 + 180_000);
      const [other] = (await listAll()).filter((a) => a.rule === 'other');
      expect(other!.status).toBe('resolved');
      const r = await run('alerts', 'ack', other!.id);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`alert_not_firing: alert ${other!.id} is resolved since`);
      expect((await getAlert(store.db, other!.id))!.acked_at).toBeNull();
      expect((await audits(other!.id)).map((a) => a.outcome)).toEqual(['rejected']);
    }, 90_000);

    it('a missing id is a usage error, exit 1, nothing run', async () => {
      const r = await run('alerts', 'ack');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/missing required argument 'id'/);
    }, 90_000);

    it('incidents: show with the deadline, refuse a blank fix, close once; an unknown id exits 1', async () => {
      const [alert] = (await listAll()).filter((a) => a.rule === 'backlog');
      const id = alert!.incident_id!;
      const show = await run('incidents', 'show', id);
      expect(show.code).toBe(0);
      expect(show.stdout).toMatch(/severity major, open; deadline 2026-11-30T06:00:00.000Z/);
      expect(show.stdout).toMatch(/\[acknowledged\] alert .* acknowledged/);

      const blank = await run('incidents', 'close', id, '--cause', 'carrier outage', '--fix', ' ');
      expect(blank.code).toBe(1);
      expect(blank.stderr).toMatch(/incident_close_incomplete/);
      expect((await getIncident(store.db, id))!.status).toBe('open');

      const closed = await run('incidents', 'close', id, '--cause', 'carrier outage', '--fix', 'failed over');
      expect(closed.code).toBe(0);
      expect(closed.stdout).toMatch(new RegExp(`closed ${id} (within|after) its deadline`));
      const again = await run('incidents', 'close', id, '--cause', 'x', '--fix', 'y');
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`incident_closed: incident ${id} is already closed`);
      const timeline = (await incidentEvents(store.db, id)).map((e) => `${e.kind}/${e.actor.split(':')[0]}`);
      expect(timeline).toContain('closed/cli');

      const unknown = await run('incidents', 'show', 'inc-none');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/^waygate: incident_not_found: no incident inc-none/);
    }, 180_000);
  });
}
