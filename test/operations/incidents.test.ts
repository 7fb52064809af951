/**
 * Issue 15 point 5, on every storage dialect under test: incident deadlines come from the
 * operations file and the time left counts down to overdue; every action is on the timeline;
 * closing needs a cause and a fix (through the API too: 400 naming what is missing); the
 * post-incident report says whether the deadline was met; the fault knowledge base offers its
 * best matches with their score when an incident opens — Chinese symptoms included — and a
 * closed incident becomes an entry the next similar incident finds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { gatewayFor, type GatewayFixture } from '../helpers/gateway.js';
import { createLogger } from '../../src/hub/logger.js';
import { Operations } from '../../src/monitor/operations.js';
import { WaygateError } from '../../src/domain/index.js';

const MIN = 60_000;
const T = Date.UTC(2026, 11, 1, 8, 0, 0);

for (const dialect of DIALECTS) {
  describe(`incidents and the fault knowledge base (${dialect})`, () => {
    let store: TestStore;
    let ops: Operations;
    let gw: GatewayFixture;
    beforeAll(async () => {
      store = await freshStore(dialect);
      ops = new Operations({
        store,
        log: createLogger('silent'),
        sources: { partners: () => [], alerting: () => [], queueStats: async () => [] },
        file: { tierDefaults: false, incidents: { deadlines: { minor: '30m', general: '90m' } } },
      });
      gw = await gatewayFor(store, {}, { operations: ops });
      await ops.incidents.addKnowledge(
        'test',
        {
          symptom: 'carrier-alpha shipment.create partner_timeout on every call',
          cause: 'the partner’s load balancer dropped connections',
          fix: 'fail over to the standby channel; partner restarted the balancer',
          tags: ['carrier-alpha', 'shipment.create'],
        },
        T,
      );
      await ops.incidents.addKnowledge(
        'test',
        {
          symptom: '海关报关回执超时，CEB621 没有回执',
          cause: '单一窗口接口维护',
          fix: '等待维护结束后重发',
        },
        T,
      );
      await ops.incidents.addKnowledge(
        'test',
        {
          symptom: 'warehouse stock push rejected: unknown SKU',
          cause: 'catalogue not synced',
          fix: 'add the SKU',
        },
        T,
      );
    }, 60_000);
    afterAll(async () => {
      await gw?.app.close();
      await ops?.stop();
      await store?.destroy();
    });

    it('deadlines come from the operations file (minor 30 min here), the default stays for the rest; time left counts down to overdue', async () => {
      const minor = await ops.incidents.open(
        { title: 'label PDFs slow', symptom: 'labels take 4 s', severity: 'minor', actor: 'test' },
        T,
      );
      expect(Date.parse(minor.deadlineAt) - Date.parse(minor.openedAt)).toBe(30 * MIN);
      const general = await ops.incidents.open(
        { title: 'beta slow', symptom: 'p99 3 s', severity: 'general', actor: 'test' },
        T,
      );
      expect(Date.parse(general.deadlineAt) - T).toBe(90 * MIN);
      const major = await ops.incidents.open(
        { title: 'down', symptom: 'all failing', severity: 'major', actor: 'test' },
        T,
      );
      expect(Date.parse(major.deadlineAt) - T).toBe(4 * 3_600_000);

      const later = await ops.incidents.get(minor.id, T + 10 * MIN);
      expect(later.incident).toMatchObject({ timeLeftMs: 20 * MIN, overdue: false });
      const late = await ops.incidents.get(minor.id, T + 40 * MIN);
      expect(late.incident).toMatchObject({ timeLeftMs: -10 * MIN, overdue: true });
    });

    it('closing needs cause and fix; the timeline holds every action; the report says the deadline was missed', async () => {
      const inc = await ops.incidents.open(
        { title: 'tracking stale', symptom: 'no scans from beta', severity: 'minor', actor: 'alice' },
        T,
      );
      await ops.incidents.note(inc.id, 'bob', 'asked carrier-beta support', 'note', T + 5 * MIN);
      const refused = await ops.incidents
        .close(inc.id, 'bob', { cause: 'their feed stalled', fix: '   ' }, T + 10 * MIN)
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WaygateError);
      expect(refused).toMatchObject({ code: 'incident_close_incomplete', details: { missing: ['fix'] } });

      const viaApi = await gw.call('POST', `/v1/incidents/${inc.id}/close`, { cause: 'x' });
      expect(viaApi.statusCode).toBe(400);
      expect(viaApi.json().error.code).toBeTruthy();
      expect((await ops.incidents.get(inc.id)).incident.status).toBe('open');

      const closed = await ops.incidents.close(
        inc.id,
        'bob',
        { cause: 'their feed stalled', fix: 'they replayed it', prevention: 'alert on no_traffic' },
        T + 45 * MIN,
      );
      expect(closed).toMatchObject({ status: 'closed', overdue: true, cause: 'their feed stalled' });
      const again = await ops.incidents
        .close(inc.id, 'bob', { cause: 'a', fix: 'b' }, T + 46 * MIN)
        .catch((e: unknown) => e);
      expect(again).toMatchObject({ code: 'incident_closed' });

      const { timeline } = await ops.incidents.get(inc.id);
      expect(timeline.map((e) => `${e.actor}:${e.kind}`)).toEqual(
        expect.arrayContaining(['alice:opened', 'bob:note', 'bob:closed']),
      );
      expect(timeline.at(-1)!.text).toMatch(
        /closed after its deadline — cause: their feed stalled; fix: they replayed it/,
      );

      const report = await ops.incidents.report(inc.id);
      expect(report).toMatch(/^# Post-incident report: tracking stale/);
      expect(report).toMatch(/Deadline: .* — missed/);
      expect(report).toMatch(/Time to close: 45 min/);
      expect(report).toMatch(/## Prevention\n\nalert on no_traffic/);
      const viaReport = await gw.call('GET', `/v1/incidents/${inc.id}/report`);
      expect(viaReport.statusCode).toBe(200);
      expect(viaReport.body).toContain('asked carrier-beta support');
    });

    it('offers the knowledge base’s best matches with their score when an incident opens, Chinese included', async () => {
      const inc = await ops.incidents.open(
        {
          title: 'carrier-alpha timeouts',
          symptom: 'shipment.create partner_timeout rising',
          severity: 'general',
          partner: 'carrier-alpha',
          actor: 'system:alerts',
        },
        T,
      );
      expect(inc.suggestions.length).toBeGreaterThan(0);
      const [best, ...rest] = inc.suggestions;
      expect(best!.symptom).toMatch(/carrier-alpha shipment.create partner_timeout/);
      expect(best!.score).toBeGreaterThan(0.2);
      expect(best!.score).toBeLessThanOrEqual(1);
      for (const s of rest) expect(s.score).toBeLessThanOrEqual(best!.score);
      expect((await ops.incidents.get(inc.id)).timeline.map((e) => e.kind)).toContain('suggested');

      const zh = await ops.incidents.open(
        { title: '报关回执超时', symptom: 'CEB621 报关回执超时', severity: 'major', actor: 'test' },
        T,
      );
      expect(zh.suggestions[0]!.symptom).toBe('海关报关回执超时，CEB621 没有回执');
      expect(zh.suggestions[0]!.fix).toBe('等待维护结束后重发');
    });

    it('a closed incident becomes an entry the next similar incident is offered', async () => {
      const first = await ops.incidents.open(
        {
          title: 'yanwen labels blank',
          symptom: 'label PDF has zero pages',
          severity: 'minor',
          actor: 'test',
        },
        T,
      );
      await ops.incidents.close(
        first.id,
        'test',
        { cause: 'font missing at partner', fix: 'partner redeployed' },
        T + MIN,
      );
      const next = await ops.incidents.open(
        {
          title: 'labels blank again',
          symptom: 'yanwen label PDF zero pages',
          severity: 'minor',
          actor: 'test',
        },
        T + 60 * MIN,
      );
      expect(next.suggestions[0]).toMatchObject({
        cause: 'font missing at partner',
        fix: 'partner redeployed',
      });
    });
  });
}
