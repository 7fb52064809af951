/**
 * `orders.pull` over a real store, on each dialect: a platform's feed is read from the cursor the
 * store keeps, each order accepted exactly once however the pages overlap, a pull killed in the
 * middle of a page resumes from the stored cursor without storing anything twice, and the
 * platform's "slow down" parks the pull until its reset without spending an attempt.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartnerCallError } from '../src/connectors/errors.js';
import { manifest as topManifest } from '../src/connectors/platforms/taobao-top/manifest.js';
import type { OrderPage, PlatformConnector } from '../src/connectors/types.js';
import type { OrderInput } from '../src/domain/index.js';
import type { PartnerDirectory } from '../src/pipeline/partners.js';
import { acceptPulledOrders, ordersPull, OVERLAP_MS } from '../src/pipeline/jobs/orders-pull.js';
import { resolvePolicy } from '../src/pipeline/policy/policy.js';
import { ChannelHealth, PartnerRuntime, PartnerShared } from '../src/pipeline/policy/runtime.js';
import { JobQueue } from '../src/store/queue.js';
import { readPullCursor } from '../src/store/platform-flow.js';
import fc from 'fast-check';
import { pino } from 'pino';
import { WaygateError } from '../src/domain/index.js';
import { getDead, listDead, replayDead } from '../src/pipeline/dead-letters.js';
import { WorkerPool } from '../src/pipeline/worker.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

const template = JSON.parse(
  readFileSync(new URL('./fixtures/platform-flow/pulled-order.canonical.json', import.meta.url), 'utf8'),
) as OrderInput;
const order = (id: string): OrderInput => ({ ...template, externalId: id });

/** A feed the test scripts page by page: each call takes the next answer (or throws it). */
function scriptedPlatform(script: Array<OrderPage | Error>) {
  const calls: Array<{ since: string; cursor: string | undefined }> = [];
  const platform: PlatformConnector = {
    manifest: topManifest,
    async pullOrders(since, cursor) {
      calls.push({ since, cursor });
      const next = script.shift();
      if (!next) return { orders: [] };
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return { platform, calls };
}

function directory(platform: PlatformConnector): PartnerDirectory {
  return {
    platform: (id) => (id === 'taobao-top' ? platform : undefined),
    platforms: () => new Map([['taobao-top', platform]]),
    carrier: () => undefined,
    carriers: () => [],
    routing: () => ({ rules: [], default: 'none' }),
    pollIntervalMs: () => 1000,
    orderPulls: () => ({ intervalMs: 60_000, lookbackMs: 3600_000 }),
  };
}

for (const dialect of DIALECTS) {
  describe(`orders.pull on ${dialect}`, () => {
    let store: TestStore;
    let queue: JobQueue;
    beforeEach(async () => {
      store = await freshStore(dialect);
      queue = new JobQueue(store);
    });
    afterEach(async () => store.destroy());

    /** Leases the pull job (however far its next run was scheduled) and runs it once. */
    async function runPull(platform: PlatformConnector, partners: PartnerDirectory = directory(platform)) {
      await ordersPull.enqueue(store.db, { platform: 'taobao-top' });
      const [job] = await queue.lease('test', 1, 30_000, Date.now() + 3 * 3600_000, ['orders.pull']);
      if (!job) throw new Error('no orders.pull job to lease');
      const prepared = ordersPull.runner({ store, queue, partners: () => partners }).prepare(job);
      if (!('run' in prepared)) throw prepared;
      await prepared.run();
    }

    const stored = async () =>
      (await store.db.selectFrom('orders').select('external_id').where('source', '=', 'taobao-top').execute())
        .map((r) => r.external_id)
        .sort();
    const pullJob = () =>
      store.db.selectFrom('jobs').selectAll().where('kind', '=', 'orders.pull').executeTakeFirstOrThrow();

    it('accepts each order of a feed whose pages overlap exactly once, and starts the next window before this one', async () => {
      const { platform, calls } = scriptedPlatform([
        { orders: [order('101'), order('102'), order('103')], next: 'c2' },
        { orders: [order('103'), order('104')], next: 'c3' },
        { orders: [order('104'), order('105')] },
      ]);
      const before = Date.now();
      await runPull(platform);
      expect(await stored()).toEqual(['101', '102', '103', '104', '105']);
      expect(calls.map((c) => c.cursor)).toEqual([undefined, 'c2', 'c3']);
      const cursor = await readPullCursor(store.db, 'taobao-top');
      expect(cursor).toMatchObject({ pageCursor: null, ordersSeen: 7, ordersAccepted: 5, ordersRefused: 0 });
      // The next window starts OVERLAP_MS before the first page of this one was asked for.
      expect(Date.parse(cursor!.since)).toBeGreaterThanOrEqual(before - OVERLAP_MS);
      expect(Date.parse(cursor!.since)).toBeLessThanOrEqual(Date.now() - OVERLAP_MS);
      // Re-armed for the next read, attempts untouched.
      expect(await pullJob()).toMatchObject({ status: 'ready', attempts: 0 });
    });

    it('resumes a pull killed in the middle of a page from the stored cursor, storing nothing twice', async () => {
      const first = scriptedPlatform([
        { orders: [order('201'), order('202')], next: 'c2' },
        new PartnerCallError({
          partnerId: 'taobao-top',
          code: 'partner_server_error',
          retryable: true,
          status: 503,
          message: 'taobao-top answered 503',
        }),
      ]);
      await runPull(first.platform);
      expect(await readPullCursor(store.db, 'taobao-top')).toMatchObject({
        pageCursor: 'c2',
        lastError: 'partner_server_error 503',
      });
      // The next run took page c2, accepted its first order, and the process died before the
      // cursor moved past the page.
      await acceptPulledOrders(store, 'taobao-top', [order('203')]);
      const second = scriptedPlatform([{ orders: [order('203'), order('204')] }]);
      await runPull(second.platform);
      expect(second.calls).toEqual([expect.objectContaining({ cursor: 'c2' })]);
      expect(await stored()).toEqual(['201', '202', '203', '204']);
      expect(await readPullCursor(store.db, 'taobao-top')).toMatchObject({ pageCursor: null });
    });

    it("parks the pull until the platform's reset on a rate limit, without spending an attempt", async () => {
      const { platform } = scriptedPlatform([
        new PartnerCallError({
          partnerId: 'taobao-top',
          code: 'partner_rate_limited',
          retryable: true,
          retryAfterMs: 29_000,
          message: 'App Call Limited',
        }),
      ]);
      const before = Date.now();
      await runPull(platform);
      const job = await pullJob();
      expect(Number(job.attempts)).toBe(0);
      expect(Number(job.run_at)).toBeGreaterThanOrEqual(before + 29_000);
      expect(await stored()).toEqual([]);
    });

    it("reads the feed through the platform's runtime: failures open its circuit (partner health shows it), an open circuit defers the pull without calling, the half-open read closes it", async () => {
      const outage = () =>
        new PartnerCallError({
          partnerId: 'taobao-top',
          code: 'partner_unreachable',
          retryable: true,
          message: 'taobao-top: connection refused',
        });
      const { platform, calls } = scriptedPlatform([outage(), outage(), { orders: [order('401')] }]);
      const policy = resolvePolicy({ circuitBreaker: { failureThreshold: 2, openFor: '1h' } }, 'B');
      const health = new ChannelHealth();
      const runtime = new PartnerRuntime(
        'taobao-top',
        policy,
        [{ name: 'primary', url: 'https://eco.taobao.example/router/rest', connector: platform, health }],
        new PartnerShared(),
      );
      const partners: PartnerDirectory = {
        ...directory(platform),
        platformRuntime: (id) => (id === 'taobao-top' ? runtime : undefined),
      };
      await runPull(platform, partners);
      expect(runtime.view().channels[0]).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
      await runPull(platform, partners);
      expect(runtime.view().channels[0]).toMatchObject({ state: 'open', failures: 2, active: false });
      expect(calls).toHaveLength(2);
      // A failed read is a retry on the policy's backoff, never the dead letters.
      expect((await pullJob()).status).toBe('ready');

      const before = Date.now();
      await runPull(platform, partners);
      expect(calls).toHaveLength(2);
      expect(Number((await pullJob()).run_at)).toBeGreaterThanOrEqual(before + 3600_000 - 5_000);

      // The open time runs out: the next read is the half-open trial, and its success closes the circuit.
      health.openUntil = Date.now() - 1;
      await runPull(platform, partners);
      expect(await stored()).toEqual(['401']);
      expect(runtime.view().channels[0]).toMatchObject({
        state: 'closed',
        consecutiveFailures: 0,
        active: true,
      });
    });

    /** Runs the inbound lane until no inbound.pulled job is ready (each one accepted or dead). */
    async function settleKept(platform: PlatformConnector) {
      const pool = new WorkerPool(
        'inbound',
        { store, queue, partners: () => directory(platform) },
        pino({ level: 'silent' }),
        { idlePollMs: 20 },
      );
      pool.start();
      try {
        for (let i = 0; i < 600; i++) {
          const left = await store.db
            .selectFrom('jobs')
            .select('id')
            .where('kind', '=', 'inbound.pulled')
            .where('status', '!=', 'dead')
            .execute();
          if (left.length === 0) return;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('the inbound.pulled jobs did not settle');
      } finally {
        await pool.stop();
      }
    }

    it('keeps an order its connector cannot map, sealed, in the dead letters with the reason; the rest of the page is accepted, the cursor moves, and a replay after the fix accepts it once', async () => {
      let fixed = false;
      const raw = JSON.stringify({ id: '501', buyer: 'Zhang Wei, 88 Nanjing Road', country: 'UK' });
      const { platform } = scriptedPlatform([
        {
          orders: [order('502')],
          refused: [
            {
              externalId: '501',
              raw,
              error: new WaygateError('order_payload_invalid', 'the order is not canonical', {
                field: '/address/country',
                errors: [{ field: '/address/country', message: 'is not an ISO 3166 code' }],
              }),
            },
          ],
          next: 'page-2',
        },
        { orders: [order('503')] },
        // The next window serves the same bad order again: it is kept once.
        {
          orders: [],
          refused: [
            {
              externalId: '501',
              raw,
              error: new WaygateError('order_payload_invalid', 'still not canonical'),
            },
          ],
        },
      ]);
      platform.readPulledOrder = (kept) => {
        const o = JSON.parse(kept) as { id: string };
        if (!fixed)
          throw new WaygateError('order_payload_invalid', 'the order is not canonical: /address/country');
        return order(o.id);
      };
      await runPull(platform);
      expect(await stored()).toEqual(['502', '503']);
      const cursor = await readPullCursor(store.db, 'taobao-top');
      expect(cursor).toMatchObject({ pageCursor: null, ordersRefused: 1, ordersAccepted: 2 });
      await runPull(platform);

      // Kept once, sealed: the buyer's data is not in the stored row.
      const kept = await store.db
        .selectFrom('inbound_messages')
        .selectAll()
        .where('kind', '=', 'order.pulled')
        .execute();
      expect(kept).toHaveLength(1);
      expect(String(kept[0]!.body)).not.toContain('Zhang Wei');

      await settleKept(platform);
      const [dead, ...others] = await listDead(store.db, { kind: 'inbound.pulled', limit: 10 });
      expect(others).toEqual([]);
      expect(dead).toMatchObject({ kind: 'inbound.pulled', partnerId: 'taobao-top' });
      expect(dead!.error?.code).toBe('order_payload_invalid');
      expect((await getDead(store.db, store.keys, dead!.id)).payload).toMatchObject({
        externalId: '501',
        form: 'partner',
      });

      // The connector is fixed: the replay reads the kept payload again and the order is accepted.
      fixed = true;
      await replayDead(store, dead!.id, 'test:operator');
      await settleKept(platform);
      expect(await stored()).toEqual(['501', '502', '503']);
      expect(await listDead(store.db, { kind: 'inbound.pulled', limit: 10 })).toEqual([]);
    });

    it('keeps every order of the class that is not canonical (any one field broken) for replay, and accepts the good one beside it', async () => {
      const broken = fc.oneof(
        fc.record({
          path: fc.constant('recipient.country'),
          value: fc.oneof(fc.constant('XX'), fc.string()),
        }),
        fc.record({ path: fc.constant('currency'), value: fc.oneof(fc.constant('US'), fc.integer()) }),
        fc.record({
          path: fc.constant('items'),
          value: fc.oneof(fc.constant([]), fc.constant(null), fc.string()),
        }),
        fc.record({
          path: fc.constant('items.0.quantity'),
          value: fc.oneof(fc.integer({ max: 0 }), fc.double(), fc.string()),
        }),
        fc.record({ path: fc.constant('recipient'), value: fc.oneof(fc.constant(null), fc.string()) }),
        fc.record({
          path: fc.constant('items.0.unitPrice'),
          value: fc.oneof(fc.constant('-1'), fc.constant('1e9'), fc.integer()),
        }),
      );
      let n = 0;
      await fc.assert(
        fc.asyncProperty(broken, async ({ path, value }) => {
          n++;
          const bad = JSON.parse(JSON.stringify(order(`bad-${n}`))) as Record<string, unknown>;
          const keys = path.split('.');
          let at: Record<string, unknown> = bad;
          for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
          at[keys.at(-1)!] = value;
          const { platform } = scriptedPlatform([
            { orders: [bad as unknown as OrderInput, order(`good-${n}`)] },
          ]);
          await runPull(platform);
          const ids = await stored();
          expect(ids).toContain(`good-${n}`);
          expect(ids).not.toContain(`bad-${n}`);
          const kept = await store.db
            .selectFrom('jobs')
            .select('payload')
            .where('kind', '=', 'inbound.pulled')
            .execute();
          expect(
            kept.map((j) => (JSON.parse(String(j.payload)) as { externalId: string }).externalId),
          ).toContain(`bad-${n}`);
          expect((await readPullCursor(store.db, 'taobao-top'))?.pageCursor).toBeNull();
        }),
        { numRuns: 12 },
      );
    });

    it('counts and names an order that is not a canonical order, and goes on with the feed', async () => {
      const bad = { ...order('301'), recipient: { ...template.recipient, country: 'XX' } };
      const { platform } = scriptedPlatform([{ orders: [bad, order('302')] }]);
      await runPull(platform);
      expect(await stored()).toEqual(['302']);
      const cursor = await readPullCursor(store.db, 'taobao-top');
      expect(cursor).toMatchObject({ ordersRefused: 1, ordersAccepted: 1 });
      expect(cursor?.lastError).toMatch(/^order 301: \/recipient\/country /);
    });
  });
}
