/**
 * Issue 16, defect 3: "A partner's Retry-After / X-RateLimit-Reset is trusted without bound".
 * Every partner-supplied wait, in every header form, is capped by policy (never above the 2 h
 * suspension of [004-2.2]) and reported; a park survives a restart; an operator releases it
 * (audited, permission-checked) and the jobs it deferred are due at once.
 */
import fc from 'fast-check';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerPartnerCommands } from '../../src/cli/partners.js';
import { PartnerCallError } from '../../src/connectors/errors.js';
import { retryAfterMs } from '../../src/connectors/http.js';
import { shipmentCreate } from '../../src/pipeline/jobs/index.js';
import { loadParks, savePark, syncParks } from '../../src/pipeline/policy/parks.js';
import { resolvePolicy, type PolicyInput } from '../../src/pipeline/policy/policy.js';
import {
  ChannelHealth,
  DeferredError,
  PartnerRuntime,
  PartnerShared,
  type PartnerEvents,
} from '../../src/pipeline/policy/runtime.js';
import { AccountService } from '../../src/security/accounts.js';
import { operatorGrantor } from '../../src/security/grants.js';
import { keyFileFor, loadMasterKey, secretBoxFromKey } from '../../src/security/secret-box.js';
import { listAudit } from '../../src/store/audit.js';
import { runCli } from '../helpers/cli.js';
import { freshStore, type TestStore } from '../helpers/stores.js';

const HOUR = 3_600_000;
const NOW = Date.now();

/** Huge waits in every form a partner can send them. */
const hugeHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  // Retry-After: seconds, from just over 2 h to absurd
  fc.integer({ min: 7201, max: 2 ** 53 }).map((s) => ({ 'retry-after': String(s) })),
  fc.double({ min: 7201, max: 1e300, noNaN: true }).map((s) => ({ 'retry-after': String(s) })),
  // Retry-After: an HTTP date years ahead (up to the last representable year)
  fc.integer({ min: 1, max: 7000 }).map((y) => ({
    'retry-after': new Date(Date.UTC(2027 + y, 0, 1)).toUTCString(),
  })),
  fc.constant({ 'retry-after': new Date(8.64e15).toUTCString() }), // year 275760
  // X-RateLimit-Reset: an epoch time far ahead, and a delta of years
  fc
    .integer({ min: Math.floor(NOW / 1000) + 3 * 3600, max: 2 ** 40 })
    .map((e) => ({ 'x-ratelimit-reset': String(e) })),
  fc.integer({ min: 7201, max: 1e9 }).map((d) => ({ 'x-ratelimit-reset': String(d) })),
);

const rateLimited = (headers: Record<string, string>, nowMs: number) =>
  new PartnerCallError({
    partnerId: 'carrier-x',
    code: 'partner_rate_limited',
    retryable: true,
    status: 429,
    message: 'carrier-x rate-limited the call (429)',
    ...(retryAfterMs(headers, nowMs) !== undefined ? { retryAfterMs: retryAfterMs(headers, nowMs)! } : {}),
  });

function runtime(input: PolicyInput = {}, events?: PartnerEvents, shared = new PartnerShared()) {
  const policy = resolvePolicy({ tier: 'A', retry: { jitter: 0 }, ...input }, 'A');
  const ch = (name: string) => ({
    name,
    url: `https://${name}.example`,
    connector: name,
    health: new ChannelHealth(),
  });
  return new PartnerRuntime('carrier-x', policy, [ch('primary'), ch('standby')], shared, events);
}

function recorder() {
  const capped: Array<{ askedMs: number; waitMs: number; channel: string }> = [];
  const parked: Parameters<PartnerEvents['parked']>[0][] = [];
  const events: PartnerEvents = { waitCapped: (e) => capped.push(e), parked: (e) => parked.push(e) };
  return { capped, parked, events };
}

describe('defect 3: partner-supplied waits are capped by policy', () => {
  it('caps a huge wait in every header form at the policy maximum, never above the 2 h suspension, and reports it', async () => {
    await fc.assert(
      fc.asyncProperty(
        hugeHeaders,
        fc.constantFrom(undefined, '15m', '1h', '9h'),
        async (headers, maxWait) => {
          const r = recorder();
          const rt = runtime(maxWait ? { on429: { maxWait } } : {}, r.events);
          const cap = Math.min(
            maxWait === '15m' ? 15 * 60_000 : maxWait === '1h' ? HOUR : 2 * HOUR,
            2 * HOUR,
          );
          const now = Date.now();
          const single = new PartnerRuntime('carrier-x', rt.policy, [rt.channels[0]!], rt.shared, r.events);
          const err = await single
            .call(() => Promise.reject(rateLimited(headers, now)), 1)
            .catch((e: unknown) => e);
          expect(err).toBeInstanceOf(DeferredError);
          const until = (err as DeferredError).untilMs;
          expect(until).toBeLessThanOrEqual(Date.now() + cap);
          expect(until).toBeGreaterThanOrEqual(now + cap - 5_000);
          expect(single.channels[0]!.health.resetAt).toBeLessThanOrEqual(Date.now() + cap);
          expect(r.capped).toHaveLength(1);
          expect(r.capped[0]!.waitMs).toBe(cap);
          // /v1/partners renders the gate: it must be a real date.
          expect(() => single.view()).not.toThrow();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('honours a wait within the cap as asked, without an alert', async () => {
    const r = recorder();
    const rt = runtime({}, r.events);
    const single = new PartnerRuntime('carrier-x', rt.policy, [rt.channels[0]!], rt.shared, r.events);
    const now = Date.now();
    const err = (await single
      .call(() => Promise.reject(rateLimited({ 'retry-after': '30' }, now)), 1)
      .catch((e: unknown) => e)) as DeferredError;
    expect(err.untilMs).toBeGreaterThanOrEqual(now + 29_000);
    expect(err.untilMs).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(r.capped).toHaveLength(0);
    expect(r.parked).toHaveLength(0); // under a minute: not worth persisting
  });

  it('caps waits a 429 imposes on probes too', async () => {
    const r = recorder();
    const rt = runtime({}, r.events);
    const ch = rt.channels[0]!;
    await rt.probe(ch, () => Promise.reject(rateLimited({ 'retry-after': String(10 ** 12) }, Date.now())));
    expect(ch.health.resetAt).toBeLessThanOrEqual(Date.now() + 2 * HOUR);
    expect(r.capped).toHaveLength(1);
  });

  it('never lets a configured cap or default wait exceed the suspension', () => {
    const p = resolvePolicy({ on429: { maxWait: '30d', defaultWait: '3d', suspendFor: '2h' } }, 'A');
    expect(p.on429.maxWaitMs).toBe(2 * HOUR);
    expect(p.on429.defaultWaitMs).toBe(2 * HOUR);
    expect(resolvePolicy({}, 'C').on429.maxWaitMs).toBe(2 * HOUR);
  });
});

describe('defect 3: a park survives a restart, and an operator releases it', () => {
  let store: TestStore;
  let accounts: AccountService;
  beforeAll(async () => {
    store = await freshStore('sqlite');
    accounts = new AccountService({ store, box: secretBoxFromKey(loadMasterKey(keyFileFor(store.url))) });
    const PASSWORD = 'Tangerine#K42-violin'; // obviously fake
    await accounts.addUser(operatorGrantor('cli:test'), {
      username: 'view.only',
      role: 'viewer',
      password: PASSWORD,
    });
  });
  afterEach(() => {
    process.exitCode = undefined;
  });
  afterAll(async () => {
    await store.destroy();
  });
  const cli = (args: string[]) =>
    runCli((p: Command) => registerPartnerCommands(p), [...args, '--db', store.url]);

  it('release works: parked → restart keeps it → CLI release clears it on the node and makes deferred jobs due', async () => {
    // A hub node: a 429 asking for ten years suspends the partner's primary channel, capped.
    const writes: Promise<void>[] = [];
    const events: PartnerEvents = {
      waitCapped: () => undefined,
      parked: (e) => writes.push(savePark(store.db, e)),
    };
    const before = runtime({}, events);
    const single = new PartnerRuntime(
      'carrier-x',
      before.policy,
      [before.channels[0]!],
      before.shared,
      events,
    );
    const now = Date.now();
    const deferred = (await single
      .call(() => Promise.reject(rateLimited({ 'retry-after': String(10 * 365 * 86_400) }, now)), 1)
      .catch((e: unknown) => e)) as DeferredError;
    await Promise.all(writes);
    expect((await loadParks(store.db)).map((p) => p.partnerId)).toEqual(['carrier-x']);
    // The job the park deferred sits in the queue until the capped time.
    const jobId = await shipmentCreate.enqueue(store.db, { orderId: 'ord_01hzzzzzzzzzzzzzzzzzzzzzzz' });
    await store.db.updateTable('jobs').set({ run_at: deferred.untilMs }).where('id', '=', jobId).execute();

    // Restart: a fresh runtime knows nothing until it reads the store; then it is parked again.
    const restarted = new PartnerRuntime(
      'carrier-x',
      before.policy,
      [before.channels[0]!].map((c) => ({ ...c, health: new ChannelHealth() })),
      new PartnerShared(),
    );
    const seen = new Map<string, number>();
    await syncParks(store.db, [restarted], seen);
    const afterRestart = await restarted.call(async () => 'called', 1).catch((e: unknown) => e);
    expect(afterRestart).toBeInstanceOf(DeferredError);
    expect((afterRestart as DeferredError).untilMs).toBeLessThanOrEqual(Date.now() + 2 * HOUR);

    // A viewer may not release; the park stays.
    const refused = await cli(['partners', 'release', 'carrier-x', '--reason', 'try', '--as', 'view.only']);
    expect(process.exitCode).toBe(1);
    expect(refused.err).toMatch(/missing_permission/);
    process.exitCode = undefined;
    expect(await loadParks(store.db)).toHaveLength(1);

    // The operator releases: the stored park goes, the job is due now, the release is audited.
    const released = await cli([
      'partners',
      'release',
      'carrier-x',
      '--reason',
      'partner confirmed quota reset',
      '--json',
    ]);
    expect(process.exitCode).toBeUndefined();
    expect(JSON.parse(released.out)).toEqual({ partnerId: 'carrier-x', wasParked: true, jobsReleased: 1 });
    expect(await loadParks(store.db)).toHaveLength(0);
    const job = await store.db
      .selectFrom('jobs')
      .select('run_at')
      .where('id', '=', jobId)
      .executeTakeFirstOrThrow();
    expect(job.run_at).toBeLessThanOrEqual(Date.now());
    const audit = (await listAudit(store.db, { limit: 10 })).find((a) => a.action === 'partner.released');
    expect(audit).toMatchObject({ target: 'partner:carrier-x', outcome: 'ok' });
    expect(audit?.actor).toMatch(/^cli:/);

    // The running node picks the release up on its next sync and calls the partner again.
    expect(await syncParks(store.db, [restarted], seen)).toEqual(['carrier-x']);
    await expect(restarted.call(async () => 'called', 1)).resolves.toBe('called');
    // A later restart does not resurrect the released park.
    const again = new PartnerRuntime(
      'carrier-x',
      before.policy,
      [before.channels[0]!].map((c) => ({ ...c, health: new ChannelHealth() })),
      new PartnerShared(),
    );
    await syncParks(store.db, [again], new Map());
    await expect(again.call(async () => 'called', 1)).resolves.toBe('called');
  });

  it('a park stored under a longer policy is capped again by the policy in force when read back', async () => {
    await savePark(store.db, {
      partnerId: 'carrier-y',
      state: { suspendedUntil: 8.64e15, channels: { primary: 8.64e15 } },
      reason: 'written by an old version',
      atMs: Date.now(),
    });
    const rt = new PartnerRuntime(
      'carrier-y',
      resolvePolicy({ on429: { maxWait: '10m', suspendFor: '1h' } }, 'A'),
      [{ name: 'primary', url: 'https://p.example', connector: 'p', health: new ChannelHealth() }],
      new PartnerShared(),
    );
    await syncParks(store.db, [rt], new Map());
    expect(rt.shared.suspendedUntil).toBeLessThanOrEqual(Date.now() + HOUR);
    expect(rt.channels[0]!.health.resetAt).toBeLessThanOrEqual(Date.now() + 10 * 60_000);
    expect(() => rt.view()).not.toThrow();
  });
});
