/**
 * Partner reliability through the sandbox over real HTTP: faults injected live on the sandbox
 * carriers, the hub's policy file edited while it runs. Each test names the figure it proves.
 */
import { RECIPIENT_CONTEXT } from '../src/store/orders.js';
import { INBOUND_BODY_CONTEXT } from '../src/store/inbound-messages.js';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderInput } from '../src/domain/index.js';
import { getDead, listDead, replayDead } from '../src/pipeline/dead-letters.js';
import { startHarness, waitFor, type Harness } from './helpers/harness.js';
import { orderFixture } from './helpers/fixtures.js';
import { movableClock, type MovableClock } from './helpers/movable-clock.js';

async function postAll(h: Harness, orders: OrderInput[], concurrency = 16) {
  const results: Array<Awaited<ReturnType<Harness['postOrder']>>> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < orders.length) {
        const order = orders[next++]!;
        results.push(await h.postOrder(order));
      }
    }),
  );
  return results;
}

const channelSum = (s: Awaited<ReturnType<Harness['stats']>>, carrier: string, field: string) =>
  Object.values(s.carriers[carrier]!.channels).reduce((n, c) => n + Number(c[field] ?? 0), 0);

describe('partner reliability through the sandbox', () => {
  let h: Harness | undefined;
  let clock: MovableClock | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    // After the hub stopped: it never sees its clock go back.
    clock?.restore();
    clock = undefined;
  });

  it(
    '30 % 5xx + 5 % timeouts on carrier-alpha: 1,000 orders, each exactly one waybill, 0 duplicateCreates',
    { timeout: 180_000 },
    async () => {
      h = await startHarness({
        edit: (d) =>
          ((d.partners['carrier-alpha']!.circuitBreaker as Record<string, unknown>).failureThreshold =
            100_000),
      });
      for (const channel of ['primary', 'standby']) {
        await h.faults({ partner: 'carrier-alpha', channel, errorRate: 0.3, timeoutRate: 0.05 });
      }
      const posted = await postAll(h, h.usOrders(Number(process.env.RELIABILITY_ORDERS ?? 1000)), 32);
      expect(posted.every((r) => r.status === 202)).toBe(true);
      await waitFor(
        async () => (await h!.waybillCount()) === Number(process.env.RELIABILITY_ORDERS ?? 1000),
        150_000,
        '1,000 waybills',
      );
      const s = await h.stats();
      const alpha = s.carriers['carrier-alpha']!;
      console.log(
        `[figure] 5xx+timeouts: waybills=${await h.waybillCount()} shipmentsCreated=${String(alpha.shipmentsCreated)} duplicateCreates=${String(alpha.duplicateCreates)} idempotentReplays=${String(alpha.idempotentReplays)} faultsInjected=${channelSum(s, 'carrier-alpha', 'faultsInjected')}`,
      );
      expect(alpha.duplicateCreates).toBe(0);
      expect(alpha.shipmentsCreated).toBe(1000);
      expect(channelSum(s, 'carrier-alpha', 'faultsInjected')).toBeGreaterThan(200);
      const perOrder = await h.hub.store.db
        .selectFrom('orders')
        .leftJoin('shipments', 'shipments.order_id', 'orders.id')
        .select(['orders.id', (eb) => eb.fn.count('shipments.id').as('n')])
        .groupBy('orders.id')
        .execute();
      expect(perOrder.filter((r) => Number(r.n) === 1)).toHaveLength(1000);
    },
  );

  it(
    '429 with X-RateLimit-Reset: no call reaches the partner before the reset time',
    { timeout: 90_000 },
    async () => {
      h = await startHarness({ edit: (d) => (d.partners['carrier-alpha']!.concurrency = 1) });
      for (const channel of ['primary', 'standby']) {
        await h.faults({ partner: 'carrier-alpha', channel, rateLimit: { limit: 3, windowSec: 1 } });
      }
      await postAll(h, h.usOrders(24), 4);
      await waitFor(async () => (await h!.waybillCount()) === 24, 60_000, '24 waybills');
      const s = await h.stats();
      const early = channelSum(s, 'carrier-alpha', 'callsBeforeReset');
      const limited = channelSum(s, 'carrier-alpha', 'faultsInjected');
      console.log(`[figure] 429: waybills=24 partner 429s=${limited} callsBeforeReset=${early}`);
      expect(limited).toBeGreaterThan(0);
      expect(early).toBe(0);
    },
  );

  it(
    'call window closed: 0 calls while it is closed, every order delivered once it opens',
    { timeout: 150_000 },
    async () => {
      // The hub, the sandbox and this test run on a clock that can be moved forward: orders are
      // posted and refused by the window in real time, then the clock skips the idle wait to
      // just before the window opens (call windows have minute resolution; waiting for the next
      // whole minute cost up to a minute of real time).
      clock = movableClock();
      // A window that opens at a whole minute over a minute away and stays open 2 minutes.
      const opens = new Date(Math.ceil((Date.now() + 65_000) / 60_000) * 60_000);
      const hhmm = (d: Date) =>
        `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
      const closes = new Date(opens.getTime() + 2 * 60_000);
      const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][opens.getUTCDay()]!;
      h = await startHarness({
        edit: (d) =>
          (d.partners['carrier-alpha']!.callWindows = [
            { days: [day], from: hhmm(opens), to: hhmm(closes), timezone: 'UTC' },
          ]),
      });
      // Start-up registers the tracking webhook with the carrier; count the calls after it.
      const atStart = Number((await h.stats()).carriers['carrier-alpha']!.calls);
      await postAll(h, h.usOrders(20), 4);
      // Every shipment job was tried, waits for the opening, and none is running: nothing holds
      // a lease the skip could run out.
      await waitFor(
        async () => {
          const jobs = await h!.hub.store.db.selectFrom('jobs').select(['status', 'run_at']).execute();
          return (
            jobs.filter((j) => j.status === 'ready' && Number(j.run_at) >= opens.getTime()).length >= 20 &&
            jobs.every((j) => j.status !== 'leased')
          );
        },
        30_000,
        'the 20 shipment jobs deferred to the opening',
      );
      const callsWhileClosed = Number((await h.stats()).carriers['carrier-alpha']!.calls) - atStart;
      expect(Date.now()).toBeLessThan(opens.getTime());
      clock.moveTo(opens.getTime() - 2000);
      await waitFor(
        async () => (await h!.waybillCount()) === 20,
        opens.getTime() - Date.now() + 30_000,
        '20 waybills after the window opens',
      );
      const firstWaybillAt = await h.hub.store.db
        .selectFrom('shipments')
        .select((eb) => eb.fn.min('created_at').as('t'))
        .executeTakeFirst();
      console.log(
        `[figure] call window: calls while closed=${callsWhileClosed}, first waybill ${Number(firstWaybillAt?.t) - opens.getTime()} ms after opening, waybills=20`,
      );
      expect(callsWhileClosed).toBe(0);
      expect(Number(firstWaybillAt?.t)).toBeGreaterThanOrEqual(opens.getTime());
    },
  );

  it(
    'outage on the primary channel: traffic on the standby within the configured time, back on the primary after recovery, 0 duplicates',
    { timeout: 90_000 },
    async () => {
      h = await startHarness();
      await h.faults({ partner: 'carrier-alpha', channel: 'primary', outage: true });
      const started = Date.now();
      await postAll(h, h.usOrders(30), 8);
      await waitFor(async () => (await h!.waybillCount()) === 30, 30_000, '30 waybills via the standby');
      const failoverMs = Date.now() - started;
      let s = await h.stats();
      expect(s.carriers['carrier-alpha']!.channels.standby!.shipmentsCreated).toBe(30);
      const health = h.hub.partners().carrier('carrier-alpha')!.view();
      expect(health.channels.find((c) => c.name === 'primary')?.state).not.toBe('closed');
      // failoverAfter is 2 s in the policy; allow the retry schedule's steps on top.
      expect(failoverMs).toBeLessThan(2000 + 5000);

      await h.faults(null);
      await waitFor(
        () => h!.hub.partners().carrier('carrier-alpha')!.view().channels[0]!.state === 'closed',
        10_000,
        'primary healthy again',
      );
      await postAll(h, h.usOrders(10), 4);
      await waitFor(async () => (await h!.waybillCount()) === 40, 20_000, '40 waybills');
      s = await h.stats();
      const primary = s.carriers['carrier-alpha']!.channels.primary!;
      console.log(
        `[figure] outage: all 30 on standby after ${failoverMs} ms; after recovery primary created ${primary.shipmentsCreated}; duplicateCreates=${String(s.carriers['carrier-alpha']!.duplicateCreates)}`,
      );
      expect(primary.shipmentsCreated).toBe(10);
      expect(s.carriers['carrier-alpha']!.duplicateCreates).toBe(0);
    },
  );

  it(
    'invalid YAML written while running is rejected with file, line and field; a valid edit applies without restart',
    { timeout: 60_000 },
    async () => {
      h = await startHarness();
      const alphaTier = () => h!.hub.partners().carrier('carrier-alpha')!.policy.tier;
      expect(alphaTier()).toBe('A');
      h.editPolicy(
        (d) => ((d.partners['carrier-alpha']!.retry as Record<string, unknown>).maxAttempts = 'six'),
      );
      await waitFor(
        () => h!.hub.configEvents().some((e) => e.outcome === 'rejected'),
        10_000,
        'the rejection',
      );
      const rejected = h.hub.configEvents().find((e) => e.outcome === 'rejected')!;
      expect(rejected.message).toMatch(
        new RegExp(
          `${h.policyFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: partners\\.carrier-alpha\\.retry\\.maxAttempts`,
        ),
      );
      expect(alphaTier()).toBe('A');
      const { stdout, stderr, code } = await runCli(['config', 'check', h.policyFile, '--sandbox']);
      expect(code).not.toBe(0);
      expect(stderr + stdout).toContain('partners.carrier-alpha.retry.maxAttempts');

      h.writePolicyText('partners: [unclosed\n');
      await waitFor(
        () => h!.hub.configEvents().filter((e) => e.outcome === 'rejected').length === 2,
        10_000,
        'the syntax error',
      );
      expect(h.hub.configEvents().at(-1)!.message).toMatch(/partners\.yaml:\d+: /);

      h.editPolicy((d) => {
        (d.partners['carrier-alpha']!.retry as Record<string, unknown>).maxAttempts = 6;
        d.partners['carrier-alpha']!.tier = 'B';
      });
      await waitFor(() => alphaTier() === 'B', 10_000, 'the valid edit to apply');
      const audit = await h.hub.store.db
        .selectFrom('audit_log')
        .select(['action', 'outcome'])
        .where('action', '=', 'config.reload')
        .execute();
      expect(audit.map((a) => a.outcome)).toEqual(['rejected', 'rejected', 'ok']);
      // The new policy is in force: orders still flow.
      await postAll(h, h.usOrders(5), 2);
      await waitFor(async () => (await h!.waybillCount()) === 5, 10_000, '5 waybills');
    },
  );

  it(
    'a 4xx-rejected order lands in the DLQ with the partner message; edited and replayed, it succeeds',
    { timeout: 60_000 },
    async () => {
      h = await startHarness();
      const bad = orderFixture({
        externalId: 'BAD-ZIP',
        recipient: { ...orderFixture().recipient, postalCode: 'ABCDE' },
      });
      const { body } = await h.postOrder(bad);
      const orderId = body.id as string;
      await waitFor(
        async () => (await listDead(h!.hub.store.db, { limit: 10 })).length === 1,
        15_000,
        'the dead letter',
      );
      const [dead] = await listDead(h.hub.store.db, { limit: 10 });
      const detail = await getDead(h.hub.store.db, h.hub.store.keys, dead!.id);
      expect(JSON.stringify(detail)).toMatch(/postal_code must be a US ZIP code/);
      await replayDead(h.hub.store, dead!.id, 'test:operator', { recipient: { postalCode: '94105' } });
      h.hub.pool.notify();
      await waitFor(async () => (await h!.waybillCount()) === 1, 15_000, 'the waybill after replay');
      const order = await h.hub.store.db
        .selectFrom('orders')
        .select(['status', 'recipient'])
        .where('id', '=', orderId)
        .executeTakeFirstOrThrow();
      expect(order.status).toBe('waybill_issued');
      expect(JSON.parse(await h.hub.store.keys.open(order.recipient, RECIPIENT_CONTEXT)).postalCode).toBe(
        '94105',
      );
    },
  );

  it(
    'overload: a burst over capacity gets 503 with Retry-After for the excess, and every accepted order completes',
    { timeout: 60_000 },
    async () => {
      h = await startHarness({ edit: (d) => (d.gateway = { maxInFlight: 4 }) });
      const results = await postAll(h, h.usOrders(300), 100);
      const accepted = results.filter((r) => r.status === 202).length;
      const refused = results.filter((r) => r.status === 503);
      console.log(
        `[figure] overload: burst of 300 at 100 in flight, cap 4 → accepted=${accepted} refused=${refused.length}`,
      );
      expect(accepted + refused.length).toBe(300);
      expect(refused.length).toBeGreaterThan(0);
      expect(
        refused.every(
          (r) =>
            Number(r.headers['retry-after']) >= 1 && (r.body.error as { code: string }).code === 'overloaded',
        ),
      ).toBe(true);
      await waitFor(
        async () => (await h!.waybillCount()) === accepted,
        30_000,
        'every accepted order shipped',
      );
      const stored = await h.hub.store.db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      expect(Number(stored?.n)).toBe(accepted);
    },
  );
});

const run = promisify(execFile);
async function runCli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const bin = fileURLToPath(new URL('../bin/waygate.js', import.meta.url));
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args]);
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('double queue', () => {
  it(
    'answers a signed but unreadable order webhook at once and parks it in the DLQ instead of losing it',
    { timeout: 30_000 },
    async () => {
      const { signShopBody } = await import('../src/connectors/platforms/sandbox-shop/signature.js');
      const h = await startHarness();
      try {
        const body = JSON.stringify({ id: 424242, name: '#BROKEN', line_items: [] });
        const res = await request(`${h.hub.url}/v1/webhooks/sandbox-shop/orders`, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            'x-shop-topic': 'orders/create',
            'x-shop-webhook-id': 'b7b1b0e4-0000-4000-8000-000000000001',
            'x-shop-hmac-sha256': signShopBody(h.sandbox.credentials['sandbox-shop'].webhookSecret, body),
          },
        });
        expect(res.statusCode).toBe(202);
        expect(((await res.body.json()) as { status: string }).status).toBe('queued');
        await waitFor(
          async () => (await listDead(h.hub.store.db, { limit: 10 })).length === 1,
          10_000,
          'the dead letter',
        );
        const [dead] = await listDead(h.hub.store.db, { limit: 10 });
        expect(dead?.kind).toBe('inbound.order');
        const detail = await getDead(h.hub.store.db, h.hub.store.keys, dead!.id);
        expect(JSON.stringify(detail)).toMatch(/invalid|shipping_address/i);
        const stored = await h.hub.store.db.selectFrom('inbound_messages').select('body').execute();
        const opened = await Promise.all(
          stored.map((m) => h.hub.store.keys.open(m.body, INBOUND_BODY_CONTEXT)),
        );
        expect(opened).toContain(body);
      } finally {
        await h.close();
      }
    },
  );
});
