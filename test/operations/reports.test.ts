/**
 * Issue 15 must-show: the daily run report, as HTML with charts and as CSV, in Chinese and in
 * English, from the call statistics, dead letters, alerts and incidents of a day — on every
 * storage dialect under test — and `waygate report daily` writing the same files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { CallStats } from '../../src/monitor/call-stats.js';
import { Incidents } from '../../src/monitor/incidents.js';
import { deadlinesOf } from '../../src/monitor/ops-config.js';
import { buildReport, startOfDay } from '../../src/monitor/reports/build.js';
import { renderCsv, renderHtml } from '../../src/monitor/reports/render.js';
import { writeReport } from '../../src/monitor/reports/schedule.js';

const DAY = '2026-11-30';

for (const dialect of DIALECTS) {
  describe(`the daily run report (${dialect})`, () => {
    let store: TestStore;
    let dir: string;
    beforeAll(async () => {
      store = await freshStore(dialect);
      dir = mkdtempSync(join(tmpdir(), 'waygate-report-'));
      const t0 = startOfDay(DAY, 'Asia/Shanghai');
      const stats = new CallStats('node-a');
      // 200 shipment.create calls to carrier-alpha (A), 3 failed with a timeout; 50 to beta (B), 5 failed.
      for (let i = 0; i < 200; i++)
        stats.observe(
          {
            kind: 'shipment.create',
            partnerId: 'carrier-alpha',
            outcome: i < 3 ? 'retry' : 'ok',
            code: i < 3 ? 'partner_timeout' : 'ok',
            durationMs: 20 + (i % 50),
          },
          t0 + 3_600_000 * (i % 24),
        );
      for (let i = 0; i < 50; i++)
        stats.observe(
          {
            kind: 'tracking.poll',
            partnerId: 'carrier-beta',
            outcome: i < 5 ? 'dead' : 'ok',
            code: i < 5 ? 'partner_rejected' : 'ok',
            durationMs: 300,
          },
          t0 + 7_200_000,
        );
      // Outside the day: not counted.
      stats.observe(
        { kind: 'shipment.create', partnerId: 'carrier-alpha', outcome: 'retry', code: 'x', durationMs: 1 },
        t0 - 1000,
      );
      await stats.flush(store.db, t0 + 86_400_000 * 3);
      const incidents = new Incidents(store, () => deadlinesOf(undefined));
      const inc = await incidents.open(
        {
          title: 'carrier-alpha timeouts',
          symptom: 'shipment.create timing out <b>',
          severity: 'general',
          partner: 'carrier-alpha',
          actor: 'test',
        },
        t0 + 3_600_000,
      );
      await incidents.close(
        inc.id,
        'test',
        { cause: 'partner load balancer', fix: 'partner restarted it' },
        t0 + 2 * 3_600_000,
      );
    }, 60_000);
    afterAll(async () => {
      await store?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it('sums the day per interface and partner against each tier’s SLA target', async () => {
      const r = await buildReport(store, {
        period: 'daily',
        date: DAY,
        timezone: 'Asia/Shanghai',
        tiers: { 'carrier-alpha': 'A', 'carrier-beta': 'B' },
      });
      expect(r.total.calls).toBe(250);
      const alpha = r.rows.find((x) => x.partner === 'carrier-alpha')!;
      expect(alpha).toMatchObject({
        iface: 'shipment.create',
        calls: 200,
        ok: 197,
        slaTarget: 0.999,
        slaMet: false,
        incidents: 1,
      });
      expect(alpha.codes).toEqual({ partner_timeout: 3 });
      expect(alpha.p50).toBeGreaterThan(25);
      expect(alpha.p50).toBeLessThanOrEqual(50);
      const beta = r.rows.find((x) => x.partner === 'carrier-beta')!;
      expect(beta).toMatchObject({ calls: 50, ok: 45, slaTarget: 0.995, slaMet: false });
      expect(r.series.reduce((a, s) => a + s.calls, 0)).toBe(250);
      expect(r.incidents).toHaveLength(1);
      expect(r.codes.map((c) => c.code)).toEqual(['partner_rejected', 'partner_timeout']);
    });

    it('renders HTML with charts and CSV in Chinese and English, every data value escaped', async () => {
      const r = await buildReport(store, {
        period: 'daily',
        date: DAY,
        timezone: 'Asia/Shanghai',
        tiers: { 'carrier-alpha': 'A' },
      });
      const zh = renderHtml(r, 'zh-CN');
      const en = renderHtml(r, 'en');
      expect(zh).toContain('<html lang="zh-CN">');
      expect(zh).toContain(`Waygate 运行日报 — ${DAY}`);
      expect(zh).toContain('错误码分布');
      expect(zh).toContain('较大'); // the incident's severity, translated
      expect(en).toContain(`Waygate daily run report — ${DAY}`);
      for (const html of [zh, en]) {
        expect(html.match(/<svg /g)?.length).toBe(2);
        expect(html).not.toContain('<b>');
        expect(html).not.toMatch(/<script/i);
      }
      const csvZh = renderCsv(r, 'zh-CN');
      const csvEn = renderCsv(r, 'en');
      expect(csvZh.split('\n')[0]).toMatch(/^\ufeff接口,合作方,等级,调用次数/);
      expect(csvEn.split('\n')[0]).toMatch(/^\ufeffInterface,Partner,Tier,Calls/);
      expect(csvEn).toMatch(/shipment\.create,carrier-alpha,A,200,197,3,0,0\.98500,0\.999,no/);
    });

    it('writes both languages’ files on demand', async () => {
      const written = await writeReport(store, {
        period: 'daily',
        date: DAY,
        langs: ['zh-CN', 'en'],
        out: dir,
        timezone: 'Asia/Shanghai',
      });
      expect(written.map((w) => w.html.split('/').at(-1))).toEqual([
        `waygate-daily-${DAY}.zh-CN.html`,
        `waygate-daily-${DAY}.en.html`,
      ]);
      expect(readFileSync(written[0]!.csv, 'utf8')).toContain('carrier-beta');
    });
  });
}
