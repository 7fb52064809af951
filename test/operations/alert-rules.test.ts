/**
 * Issue 15 point 2: every alert condition fires when it holds and resolves when it clears, on a
 * clock the test drives (each evaluation is given its time), on every storage dialect under test.
 * Also: one alert per rule and subject however often it is evaluated (de-duplicated), `for` and
 * `clearFor` damping, an alert bouncing around its threshold marked flapping and not notified,
 * and fast-check properties of the success-rate and latency thresholds over random windows.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { createLogger } from '../../src/hub/logger.js';
import { CallStats } from '../../src/monitor/call-stats.js';
import { Operations } from '../../src/monitor/operations.js';
import type { OperationsFile, RuleSpec } from '../../src/monitor/ops-config.js';
import type { PartnerHealthView } from '../../src/monitor/metrics.js';
import type { KindStats } from '../../src/store/queue.js';
import {
  firingAlerts,
  insertShipmentException,
  listAlerts,
  listNotifications,
  resolveExceptions,
} from '../../src/store/operations.js';

const MIN = 60_000;
/** A fixed minute boundary: every time in these tests is T0 plus something. */
const T0 = Date.UTC(2026, 10, 30, 2, 0, 0);

interface World {
  store: TestStore;
  ops: Operations;
  queue: KindStats[];
  partners: PartnerHealthView[];
  stats: CallStats;
  /** Records `n` calls of `kind` to `partner` at `at`, `failed` of them failing with `code`. */
  calls(o: {
    partner: string;
    kind?: string;
    n: number;
    failed?: number;
    code?: string;
    ms?: number;
    at: number;
  }): Promise<void>;
  rules(rules: RuleSpec[], extra?: Partial<OperationsFile>): void;
  firing(rule: string): Promise<number>;
}

async function world(dialect: (typeof DIALECTS)[number]): Promise<World> {
  const store = await freshStore(dialect);
  const queue: KindStats[] = [];
  const partners: PartnerHealthView[] = [];
  const ops = new Operations({
    store,
    log: createLogger('silent'),
    node: 'node-a',
    sources: { partners: () => partners, alerting: () => [], queueStats: async () => queue },
    file: { tierDefaults: false },
  });
  const stats = new CallStats('node-a');
  return {
    store,
    ops,
    queue,
    partners,
    stats,
    async calls({ partner, kind = 'shipment.create', n, failed = 0, code = 'partner_timeout', ms = 40, at }) {
      for (let i = 0; i < n; i++)
        stats.observe(
          {
            kind,
            partnerId: partner,
            outcome: i < failed ? 'retry' : 'ok',
            code: i < failed ? code : 'ok',
            durationMs: ms,
          },
          at,
        );
      await stats.flush(store.db, at);
    },
    rules(rules, extra = {}) {
      ops.setFile({ tierDefaults: false, ...extra, rules });
    },
    async firing(rule) {
      return (await firingAlerts(store.db)).filter((a) => a.rule === rule).length;
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`alert conditions fire and resolve (${dialect})`, () => {
    let w: World;
    beforeAll(async () => {
      w = await world(dialect);
    }, 60_000);
    afterAll(async () => {
      await w?.ops.stop();
      await w?.store.destroy();
    });
    const evaluate = (at: number) => w.ops.alerts.evaluate(at);

    it('success rate below X over a window: fires once however often evaluated; resolves after clearFor', async () => {
      w.rules([
        {
          name: 'sr',
          condition: 'success_rate',
          partner: 'p-sr',
          threshold: 0.95,
          window: '5m',
          minCalls: 10,
          clearFor: '2m',
        },
      ]);
      await w.calls({ partner: 'p-sr', n: 20, failed: 10, at: T0 });
      expect(await evaluate(T0 + 1000)).toBe(true);
      expect(await w.firing('sr')).toBe(1);
      for (const dt of [MIN, 2 * MIN, 3 * MIN]) await evaluate(T0 + dt);
      expect((await listAlerts(w.store.db, { limit: 50 })).filter((a) => a.rule === 'sr')).toHaveLength(1);
      // The failures slide out of the window; healthy calls since: clear, but not for 2 min yet.
      await w.calls({ partner: 'p-sr', n: 20, at: T0 + 5 * MIN });
      await evaluate(T0 + 6 * MIN);
      expect(await w.firing('sr')).toBe(1);
      await evaluate(T0 + 7 * MIN);
      expect(await w.firing('sr')).toBe(1);
      await evaluate(T0 + 8 * MIN + 1000);
      expect(await w.firing('sr')).toBe(0);
      const [a] = (await listAlerts(w.store.db, { limit: 50 })).filter((x) => x.rule === 'sr');
      expect(a).toMatchObject({ status: 'resolved', resolved_at: T0 + 8 * MIN + 1000 });
    });

    it('too few calls is no verdict: 5 failures under minCalls 10 fire nothing', async () => {
      w.rules([
        { name: 'sr-few', condition: 'success_rate', partner: 'p-few', threshold: 0.95, minCalls: 10 },
      ]);
      await w.calls({ partner: 'p-few', n: 5, failed: 5, at: T0 });
      await evaluate(T0 + 1000);
      expect(await w.firing('sr-few')).toBe(0);
    });

    it('latency percentile above Y: p99 of 3 s calls above 1 s fires; fast calls resolve it', async () => {
      w.rules([
        {
          name: 'lat',
          condition: 'latency',
          partner: 'p-lat',
          percentile: 99,
          threshold: 1000,
          window: '5m',
          minCalls: 10,
          clearFor: '1m',
        },
      ]);
      await w.calls({ partner: 'p-lat', n: 30, ms: 3000, at: T0 });
      await evaluate(T0 + 1000);
      const [a] = (await firingAlerts(w.store.db)).filter((x) => x.rule === 'lat');
      expect(a).toMatchObject({ rule: 'lat', partner: 'p-lat' });
      expect(a!.value).toBeGreaterThan(1000);
      await w.calls({ partner: 'p-lat', n: 30, ms: 30, at: T0 + 6 * MIN });
      await evaluate(T0 + 6 * MIN + 1000);
      await evaluate(T0 + 7 * MIN + 2000);
      expect(await w.firing('lat')).toBe(0);
    });

    it('an error code’s share jumping: fires on a jump against the baseline, not on a share that was always high', async () => {
      w.rules([
        {
          name: 'jump',
          condition: 'error_share',
          partner: '*',
          code: 'partner_timeout',
          threshold: 0.2,
          factor: 3,
          window: '5m',
          baseline: '1h',
          minCalls: 10,
          clearFor: '1m',
        },
      ]);
      const t = T0 + 2 * 3_600_000;
      // p-jump: 2 % timeouts for the past hour, then 50 %. p-always: 50 % all along.
      for (let m = 60; m > 5; m -= 10) {
        await w.calls({ partner: 'p-jump', n: 50, failed: 1, at: t - m * MIN });
        await w.calls({ partner: 'p-always', n: 50, failed: 25, at: t - m * MIN });
      }
      await w.calls({ partner: 'p-jump', n: 40, failed: 20, at: t - 2 * MIN });
      await w.calls({ partner: 'p-always', n: 40, failed: 20, at: t - 2 * MIN });
      await evaluate(t);
      const fired = (await firingAlerts(w.store.db)).filter((a) => a.rule === 'jump');
      expect(fired.map((a) => a.partner)).toEqual(['p-jump']);
      expect(fired[0]!.summary).toMatch(/partner_timeout is 50.00 % of calls \(was 2.00 %\)/);
      await w.calls({ partner: 'p-jump', n: 40, at: t + 4 * MIN });
      await evaluate(t + 6 * MIN);
      await evaluate(t + 7 * MIN + 1000);
      expect(await w.firing('jump')).toBe(0);
    });

    it('no traffic for a period: fires after the window without calls, resolves when calls come back', async () => {
      w.rules([
        { name: 'quiet', condition: 'no_traffic', partner: 'p-quiet', window: '10m', clearFor: '1m' },
      ]);
      const t = T0 + 5 * 3_600_000;
      await w.calls({ partner: 'p-quiet', n: 3, at: t });
      await evaluate(t + 5 * MIN);
      expect(await w.firing('quiet')).toBe(0);
      await evaluate(t + 11 * MIN);
      expect(await w.firing('quiet')).toBe(1);
      await w.calls({ partner: 'p-quiet', n: 1, at: t + 12 * MIN });
      await evaluate(t + 12 * MIN + 1000);
      await evaluate(t + 13 * MIN + 2000);
      expect(await w.firing('quiet')).toBe(0);
    });

    it('queue backlog and queue age: fire above their thresholds, resolve below', async () => {
      w.rules([
        {
          name: 'backlog',
          condition: 'queue_backlog',
          interface: 'shipment.create',
          threshold: 100,
          clearFor: '0s',
        },
        { name: 'age', condition: 'queue_age', interface: 'shipment.create', threshold: 600, clearFor: '0s' },
      ]);
      const t = T0 + 6 * 3_600_000;
      w.queue.splice(
        0,
        w.queue.length,
        { kind: 'shipment.create', status: 'ready', count: 150, oldestCreatedAt: t - 900_000 },
        { kind: 'tracking.poll', status: 'ready', count: 5000, oldestCreatedAt: t - 9_000_000 },
      );
      await evaluate(t);
      expect(await w.firing('backlog')).toBe(1);
      expect(await w.firing('age')).toBe(1);
      const age = (await firingAlerts(w.store.db)).find((a) => a.rule === 'age')!;
      expect(age.value).toBe(900);
      w.queue.splice(0, w.queue.length, {
        kind: 'shipment.create',
        status: 'ready',
        count: 3,
        oldestCreatedAt: t,
      });
      await evaluate(t + 30_000);
      expect(await w.firing('backlog')).toBe(0);
      expect(await w.firing('age')).toBe(0);
    });

    it('dead letters growing: fires when more jobs died within the window than allowed, resolves as they age out', async () => {
      w.rules([
        {
          name: 'dlq',
          condition: 'dead_letters',
          interface: 'shipment.create',
          window: '30m',
          threshold: 2,
          clearFor: '0s',
        },
      ]);
      const t = T0 + 8 * 3_600_000;
      const dead = async (n: number, at: number, kind = 'shipment.create') => {
        for (let i = 0; i < n; i++)
          await sql`insert into jobs (id, kind, partner_id, payload, status, attempts, max_attempts, run_at, history, created_at, updated_at)
            values (${`job-${randomUUID()}`}, ${kind}, ${'carrier-alpha'}, ${'{}'}, ${'dead'}, ${5}, ${5}, ${at}, ${'[]'}, ${at}, ${at})`.execute(
            w.store.db,
          );
      };
      await dead(2, t - 10 * MIN);
      await dead(9, t - 5 * MIN, 'tracking.poll');
      await evaluate(t);
      expect(await w.firing('dlq')).toBe(0);
      await dead(1, t - MIN);
      await evaluate(t);
      expect(await w.firing('dlq')).toBe(1);
      await evaluate(t + 30 * MIN);
      expect(await w.firing('dlq')).toBe(0);
    });

    it('a channel failed over: fires while traffic is on the standby, resolves when the primary is back', async () => {
      w.rules([{ name: 'failover', condition: 'channel_failover', partner: '*', clearFor: '0s' }]);
      const channel = (name: string, state: 'closed' | 'open', active: boolean) => ({
        name,
        url: `https://${name}.example.test`,
        state,
        active,
        consecutiveFailures: 0,
        calls: 0,
        failures: 0,
        rateLimitedUntil: null,
        lastProbe: null,
      });
      w.partners.splice(0, w.partners.length, {
        id: 'p-fo',
        tier: 'A',
        suspendedUntil: null,
        channels: [channel('primary', 'open', false), channel('standby', 'closed', true)],
      });
      const t = T0 + 9 * 3_600_000;
      await evaluate(t);
      const [a] = (await firingAlerts(w.store.db)).filter((x) => x.rule === 'failover');
      expect(a!.summary).toBe('p-fo: primary channel open; traffic on standby');
      w.partners[0]!.channels = [channel('primary', 'closed', true), channel('standby', 'closed', false)];
      await evaluate(t + 1000);
      expect(await w.firing('failover')).toBe(0);
      w.partners.splice(0);
    });

    it('certificate expiry: fires for an active certificate ending within the days given, resolves once it is replaced', async () => {
      w.rules([{ name: 'certs', condition: 'cert_expiry', threshold: 30, clearFor: '0s' }]);
      const t = T0 + 10 * 3_600_000;
      const id = `cert-${randomUUID()}`;
      await sql`insert into certificates (id, owner, name, status, key_alg, public_key, not_after, created_at, updated_at)
        values (${id}, ${'customs'}, ${'signing'}, ${'active'}, ${'rsa'}, ${'-'}, ${t + 40 * 86_400_000}, ${t}, ${t})`.execute(
        w.store.db,
      );
      await evaluate(t);
      expect(await w.firing('certs')).toBe(0);
      // Ten days later it ends within 30 days.
      await evaluate(t + 11 * 86_400_000);
      const [a] = (await firingAlerts(w.store.db)).filter((x) => x.rule === 'certs');
      expect(a!.summary).toMatch(/1 certificate\(s\) end within 30 days: customs\/signing/);
      await sql`update certificates set status = ${'superseded'} where id = ${id}`.execute(w.store.db);
      await evaluate(t + 11 * 86_400_000 + 1000);
      expect(await w.firing('certs')).toBe(0);
    });

    it('tracking delays: fires when open delay exceptions exceed the threshold, resolves when they resolve', async () => {
      w.rules([
        { name: 'delays', condition: 'tracking_delays', partner: 'carrier-d', threshold: 2, clearFor: '0s' },
      ]);
      const t = T0 + 11 * 3_600_000;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const id = `dly-${randomUUID()}`;
        ids.push(id);
        await insertShipmentException(w.store.db, {
          id,
          shipment_id: `shp-${randomUUID()}`,
          order_id: `ord-${i}`,
          carrier: 'carrier-d',
          waybill_no: `WB${i}`,
          reason: 'no_scan',
          detail: 'no scan',
          detected_at: t,
          notified_at: null,
          resolved_at: null,
        });
      }
      await evaluate(t);
      expect(await w.firing('delays')).toBe(1);
      await resolveExceptions(w.store.db, ids.slice(0, 2), t + 1000);
      await evaluate(t + 2000);
      expect(await w.firing('delays')).toBe(0);
    });
  });

  describe(`alert damping and flapping (${dialect})`, () => {
    let w: World;
    beforeAll(async () => {
      w = await world(dialect);
    }, 60_000);
    afterAll(async () => {
      await w?.ops.stop();
      await w?.store.destroy();
    });

    it('`for`: the condition must hold that long before the alert fires', async () => {
      w.rules([{ name: 'slow-fire', condition: 'queue_backlog', threshold: 10, for: '2m', clearFor: '0s' }]);
      w.queue.splice(0, w.queue.length, { kind: 'k', status: 'ready', count: 50, oldestCreatedAt: T0 });
      await w.ops.alerts.evaluate(T0);
      await w.ops.alerts.evaluate(T0 + MIN);
      expect(await w.firing('slow-fire')).toBe(0);
      await w.ops.alerts.evaluate(T0 + 2 * MIN);
      expect(await w.firing('slow-fire')).toBe(1);
      w.queue.splice(0);
      await w.ops.alerts.evaluate(T0 + 3 * MIN);
    });

    it('`clearFor`: a short dip below the threshold does not resolve the alert', async () => {
      w.rules([{ name: 'sticky', condition: 'queue_backlog', threshold: 10, clearFor: '5m' }]);
      const t = T0 + 3_600_000;
      w.queue.splice(0, w.queue.length, { kind: 'k', status: 'ready', count: 50, oldestCreatedAt: t });
      await w.ops.alerts.evaluate(t);
      w.queue.splice(0);
      await w.ops.alerts.evaluate(t + MIN);
      w.queue.push({ kind: 'k', status: 'ready', count: 50, oldestCreatedAt: t });
      await w.ops.alerts.evaluate(t + 2 * MIN);
      w.queue.splice(0);
      await w.ops.alerts.evaluate(t + 3 * MIN);
      await w.ops.alerts.evaluate(t + 7 * MIN);
      // Clear since t+3 min: still firing at t+7 min, one alert all along.
      expect(await w.firing('sticky')).toBe(1);
      expect((await listAlerts(w.store.db, { limit: 50 })).filter((a) => a.rule === 'sticky')).toHaveLength(
        1,
      );
      await w.ops.alerts.evaluate(t + 8 * MIN + 1);
      expect(await w.firing('sticky')).toBe(0);
    });

    it('an alert firing flapAfter times within flapWindow is marked flapping and not notified again', async () => {
      w.rules(
        [{ name: 'flappy', condition: 'queue_backlog', threshold: 10, clearFor: '0s', notify: ['ops'] }],
        {
          flapAfter: 3,
          flapWindow: '1h',
          // An unreachable webhook: attempts are recorded as failed, which is what we count.
          recipients: {
            ops: { webhook: { url: 'http://127.0.0.1:9/hook', secret: 'flap-secret-0123456789' } },
          },
        },
      );
      const t = T0 + 2 * 3_600_000;
      for (let i = 0; i < 4; i++) {
        w.queue.splice(0, w.queue.length, { kind: 'k', status: 'ready', count: 50, oldestCreatedAt: t });
        await w.ops.alerts.evaluate(t + i * 2 * MIN);
        w.queue.splice(0);
        await w.ops.alerts.evaluate(t + i * 2 * MIN + MIN);
      }
      const alerts = (await listAlerts(w.store.db, { limit: 50 }))
        .filter((a) => a.rule === 'flappy')
        .reverse();
      expect(alerts.map((a) => a.flapping)).toEqual([0, 0, 1, 1]);
      const events = await Promise.all(
        alerts.map(async (a) =>
          (await listNotifications(w.store.db, { alertId: a.id, limit: 10 })).map((n) => n.status),
        ),
      );
      // Fired + resolved of the first two; the flapping ones only say they were held back.
      expect(events[0]!.sort()).toEqual(['failed', 'failed']);
      expect(events[1]!.sort()).toEqual(['failed', 'failed']);
      expect(events[2]).toEqual(['suppressed_flapping']);
      expect(events[3]).toEqual(['suppressed_flapping']);
    });
  });

  describe(`alert thresholds, property-based (${dialect})`, () => {
    let w: World;
    beforeAll(async () => {
      w = await world(dialect);
    }, 60_000);
    afterAll(async () => {
      await w?.ops.stop();
      await w?.store.destroy();
    });

    it('success_rate fires exactly when ok/calls < X over the window (calls ≥ minCalls), whatever the window', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 10, max: 200 }),
          fc.integer({ min: 0, max: 1000 }),
          fc.integer({ min: 500, max: 999 }),
          fc.integer({ min: 1, max: 30 }),
          async (calls, failPerMille, thresholdPerMille, windowMin) => {
            const failed = Math.floor((calls * failPerMille) / 1000);
            const partner = `prop-${run++}`;
            const threshold = thresholdPerMille / 1000;
            const t = T0 + 24 * 3_600_000 + run * 3_600_000;
            w.rules([
              {
                name: `p-${partner}`,
                condition: 'success_rate',
                partner,
                threshold,
                window: `${windowMin}m`,
                minCalls: 10,
              },
            ]);
            // The calls inside the window, and as many failures just outside it (never counted).
            await w.calls({ partner, n: calls, failed, at: t - (windowMin - 1) * MIN });
            await w.calls({ partner, n: 20, failed: 20, at: t - (windowMin + 2) * MIN });
            await w.ops.alerts.evaluate(t);
            const fired = (await w.firing(`p-${partner}`)) === 1;
            expect(fired).toBe((calls - failed) / calls < threshold);
          },
        ),
        { numRuns: dialect === 'sqlite' ? 40 : 15 },
      );
    }, 120_000);

    it('latency fires exactly when the window’s percentile is above Y (histogram interpolation)', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 10, maxLength: 60 }),
          fc.constantFrom(50, 90, 99),
          fc.integer({ min: 10, max: 10_000 }),
          async (durations, percentile, threshold) => {
            const partner = `lat-${run++}`;
            const t = T0 + 48 * 3_600_000 + run * 3_600_000;
            w.rules([
              {
                name: `l-${partner}`,
                condition: 'latency',
                partner,
                percentile,
                threshold,
                window: '5m',
                minCalls: 10,
              },
            ]);
            for (const d of durations)
              w.stats.observe(
                { kind: 'shipment.create', partnerId: partner, outcome: 'ok', code: 'ok', durationMs: d },
                t - MIN,
              );
            await w.stats.flush(w.store.db, t - MIN);
            await w.ops.alerts.evaluate(t);
            const [alert] = (await firingAlerts(w.store.db)).filter((a) => a.rule === `l-${partner}`);
            // The percentile as the histogram gives it lies within the bucket of the exact one.
            const sorted = [...durations].sort((a, b) => a - b);
            const exact = sorted[Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1)]!;
            if (alert) expect(alert.value!).toBeGreaterThan(threshold);
            const bounds = [0, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];
            const upper = bounds.find((b) => b >= exact) ?? Infinity;
            const lower = [...bounds].reverse().find((b) => b < exact) ?? 0;
            if (lower > threshold) expect(alert).toBeDefined();
            if (upper <= threshold) expect(alert).toBeUndefined();
          },
        ),
        { numRuns: dialect === 'sqlite' ? 30 : 10 },
      );
    }, 120_000);
  });
}
