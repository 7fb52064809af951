/**
 * Scheduled run reports on two hub nodes sharing one store: each period's report is written once
 * for the cluster, by the node holding the `reports` lease, into that node's configured folder,
 * in both languages (HTML + CSV), and recorded so neither node writes it again; a node that dies
 * holding the lease holds the others back only until it expires. Time is injected (`tick(now)`).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { Operations } from '../../src/monitor/operations.js';
import { CallStats } from '../../src/monitor/call-stats.js';
import { startOfDay } from '../../src/monitor/reports/build.js';
import { REPORTS_LEASE } from '../../src/monitor/reports/schedule.js';
import { acquireLease, leaseHolder } from '../../src/store/operations.js';

const TZ = 'Asia/Shanghai';
// Tuesday 2026-12-01 and Monday 2026-12-07, 01:30 in Shanghai: after the configured 01:00.
const TUESDAY = startOfDay('2026-12-01', TZ) + 90 * 60_000;
const MONDAY = startOfDay('2026-12-07', TZ) + 90 * 60_000;
const files = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

for (const dialect of DIALECTS) {
  describe(`scheduled reports on two nodes of one store (${dialect})`, () => {
    let store: TestStore;
    let root: string;
    const nodes: Record<'a' | 'b', { ops: Operations; dir: string }> = {} as never;

    beforeAll(async () => {
      store = await freshStore(dialect);
      root = mkdtempSync(join(tmpdir(), 'waygate-report-schedule-'));
      const log = pino({ level: 'silent' });
      for (const name of ['a', 'b'] as const) {
        const dir = join(root, `node-${name}`);
        const ops = new Operations({
          store,
          log,
          node: `node-${name}`,
          sources: { partners: () => [], alerting: () => [], queueStats: async () => [] },
          file: { reports: { at: '01:00', timezone: TZ, out: dir, langs: ['zh-CN', 'en'] } },
        });
        nodes[name] = { ops, dir };
      }
      // Monday 30 November's traffic, so the daily report of the first tick has content.
      const stats = new CallStats('node-a');
      const t0 = startOfDay('2026-11-30', TZ);
      for (let i = 0; i < 30; i++)
        stats.observe(
          {
            kind: 'shipment.create',
            partnerId: 'carrier-alpha',
            outcome: i < 2 ? 'retry' : 'ok',
            code: i < 2 ? 'partner_timeout' : 'ok',
            durationMs: 40,
          },
          t0 + i * 60_000,
        );
      await stats.flush(store.db, t0 + 10 * 86_400_000);
    });

    afterAll(async () => {
      await store.destroy();
      rmSync(root, { recursive: true, force: true });
    });

    it('writes nothing before the configured time', async () => {
      const early = startOfDay('2026-12-01', TZ) + 30 * 60_000;
      const [a, b] = await Promise.all([nodes.a.ops.reports.tick(early), nodes.b.ops.reports.tick(early)]);
      expect([...a, ...b]).toEqual([]);
    });

    it("writes yesterday's daily report once, on one node, in both languages", async () => {
      const [a, b] = await Promise.all([
        nodes.a.ops.reports.tick(TUESDAY),
        nodes.b.ops.reports.tick(TUESDAY),
      ]);
      const written = [...a, ...b];
      expect(written.map((w) => `${w.period} ${w.date} ${w.lang}`).sort()).toEqual([
        'daily 2026-11-30 en',
        'daily 2026-11-30 zh-CN',
      ]);
      // All of it by one node, into its own folder; the other wrote nothing.
      expect(a.length === 0 || b.length === 0).toBe(true);
      const writer = a.length > 0 ? nodes.a : nodes.b;
      const other = a.length > 0 ? nodes.b : nodes.a;
      expect(files(writer.dir)).toEqual([
        'waygate-daily-2026-11-30.en.csv',
        'waygate-daily-2026-11-30.en.html',
        'waygate-daily-2026-11-30.zh-CN.csv',
        'waygate-daily-2026-11-30.zh-CN.html',
      ]);
      expect(files(other.dir)).toEqual([]);
      expect(readFileSync(join(writer.dir, 'waygate-daily-2026-11-30.zh-CN.html'), 'utf8')).toContain(
        'Waygate 运行日报 — 2026-11-30',
      );
      expect(readFileSync(join(writer.dir, 'waygate-daily-2026-11-30.en.csv'), 'utf8')).toMatch(
        /shipment\.create,carrier-alpha,[^,]*,30,28,2/,
      );
      // The lease is given back after the run.
      expect(await leaseHolder(store.db, REPORTS_LEASE)).toBeUndefined();
    });

    it('a later tick on either node, an hour on, writes it again nowhere', async () => {
      for (const n of [nodes.b, nodes.a]) expect(await n.ops.reports.tick(TUESDAY + 3_600_000)).toEqual([]);
      expect([...files(nodes.a.dir), ...files(nodes.b.dir)]).toHaveLength(4);
    });

    it('on a Monday writes the daily and the past week’s weekly report, once', async () => {
      const [a, b] = await Promise.all([nodes.b.ops.reports.tick(MONDAY), nodes.a.ops.reports.tick(MONDAY)]);
      expect([...a, ...b].map((w) => `${w.period} ${w.date} ${w.lang}`).sort()).toEqual([
        'daily 2026-12-06 en',
        'daily 2026-12-06 zh-CN',
        'weekly 2026-11-30 en',
        'weekly 2026-11-30 zh-CN',
      ]);
      expect(a.length === 0 || b.length === 0).toBe(true);
    });

    it('a node that died holding the lease holds the others back until it expires', async () => {
      const wed = TUESDAY + 86_400_000;
      await store.write((trx) => acquireLease(trx, REPORTS_LEASE, 'node-dead', wed, 10 * 60_000));
      expect(await nodes.a.ops.reports.tick(wed + 60_000)).toEqual([]);
      expect(await nodes.b.ops.reports.tick(wed + 60_000)).toEqual([]);
      const after = await nodes.b.ops.reports.tick(wed + 11 * 60_000);
      expect(after.map((w) => `${w.period} ${w.date} ${w.lang}`).sort()).toEqual([
        'daily 2026-12-01 en',
        'daily 2026-12-01 zh-CN',
      ]);
      expect(await nodes.a.ops.reports.tick(wed + 12 * 60_000)).toEqual([]);
    });
  });
}
