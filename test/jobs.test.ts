/**
 * The job registry against a real store: a payload is checked when a job is queued and again when
 * it is leased, so a damaged row goes to the dead letters with its reason and the worker goes on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { sql } from 'kysely';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import { discardDead, getDead, listDead, replayDead } from '../src/pipeline/dead-letters.js';
import { queueInbound } from '../src/pipeline/inbound.js';
import { shipmentCreate, trackingPoll, type JobDeps } from '../src/pipeline/jobs/index.js';
import type { PartnerDirectory } from '../src/pipeline/partners.js';
import { WorkerPool } from '../src/pipeline/worker.js';
import { parseJobError } from '../src/store/dlq.js';
import { getOrderRow } from '../src/store/orders.js';
import { JobQueue } from '../src/store/queue.js';
import { expectCode } from './helpers/errors.js';
import { orderFixture } from './helpers/fixtures.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

/** No partner configured: a poll job for an unknown carrier completes at once. */
const noPartners: PartnerDirectory = {
  carrier: () => undefined,
  carriers: () => [],
  routing: () => ({ rules: [], default: 'carrier-alpha' }),
  pollIntervalMs: () => 1000,
  platform: () => undefined,
};

const jobs = (store: TestStore) =>
  store.db
    .selectFrom('jobs')
    .select(['id', 'kind', 'status', 'last_error', 'payload'])
    .orderBy('id')
    .execute();

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the worker did not get there');
}

describe.each(DIALECTS)('job registry on %s', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await freshStore(dialect);
  });
  afterEach(async () => {
    await store.destroy();
  });

  it('refuses to queue a job whose payload misses its schema, and writes nothing', async () => {
    const bad: unknown[] = [
      {},
      { orderId: 42 },
      { orderId: 'ord_not-an-id' },
      { orderId: 'ord_01hzzzzzzzzzzzzzzzzzzzzzzz', extra: true },
      null,
      ['ord_01hzzzzzzzzzzzzzzzzzzzzzzz'],
    ];
    for (const payload of bad) {
      const err = await expectCode(shipmentCreate.enqueue(store.db, payload as never), 'invalid_job_payload');
      expect(err.message).toContain('refused to queue a shipment.create job');
      expect((err.details as Array<{ field: string }>).length).toBeGreaterThan(0);
    }
    await expectCode(trackingPoll.enqueue(store.db, { carrier: 'Carrier Beta!' }), 'invalid_job_payload');
    // Refused inside a business transaction: the whole transaction rolls back.
    await expectCode(
      queueInbound(store, 'inbound.order', 'Not A Partner', {
        headers: {},
        rawBody: '{}',
        nowMs: Date.now(),
      }),
      'invalid_job_payload',
    );
    expect(await jobs(store)).toEqual([]);
    expect(await store.db.selectFrom('inbound_messages').select('id').execute()).toEqual([]);

    await trackingPoll.enqueue(store.db, { carrier: 'carrier-beta' });
    expect(await jobs(store)).toMatchObject([{ kind: 'tracking.poll', status: 'ready' }]);
  });

  it('dead-letters a leased job whose stored payload was damaged, with the reason, and keeps working', async () => {
    const { id: orderId } = await acceptOrder(store, orderFixture({ externalId: 'SO-1' }), {
      caller: 'test',
    });
    await acceptOrder(store, orderFixture({ externalId: 'SO-2' }), { caller: 'test' });
    const [wrongShape, notJson] = await jobs(store);
    // Damaged in the database, behind the queue's back.
    await sql`update jobs set payload = ${'{"orderId":7}'} where id = ${wrongShape!.id}`.execute(store.db);
    await sql`update jobs set payload = ${'{"orderId":"ord_'} where id = ${notJson!.id}`.execute(store.db);
    await trackingPoll.enqueue(store.db, { carrier: 'carrier-gone' }, Date.now() + 1);

    const deps: JobDeps = { store, queue: new JobQueue(store), partners: () => noPartners };
    const pool = new WorkerPool('outbound', deps, pino({ level: 'silent' }), { idlePollMs: 20 });
    pool.start();
    try {
      await until(async () => (await jobs(store)).every((j) => j.status === 'dead'));
    } finally {
      await pool.stop();
    }

    // The good job ran (a poll for a carrier no longer configured completes); the damaged ones wait.
    const left = await jobs(store);
    expect(left.map((j) => [j.id, j.status])).toEqual([
      [wrongShape!.id, 'dead'],
      [notJson!.id, 'dead'],
    ]);
    const shapeError = parseJobError(left[0]!.last_error);
    expect(shapeError).toMatchObject({ code: 'invalid_job_payload' });
    expect(shapeError?.message).toContain('/orderId must be string');
    const jsonError = parseJobError(left[1]!.last_error);
    expect(jsonError).toMatchObject({ code: 'unreadable_job_payload' });
    expect(jsonError?.message).toContain('not JSON');
    // No handler ran for them: the order the damaged job came from is untouched.
    expect((await getOrderRow(store.db, orderId))?.status).toBe('accepted');

    // The dead-letter queue shows them, refuses a replay (it would only fail again) and discards them.
    const listed = await listDead(store.db, { limit: 10 });
    expect(listed.map((d) => [d.id, d.orderId, d.error?.code])).toEqual([
      [notJson!.id, null, 'unreadable_job_payload'],
      [wrongShape!.id, null, 'invalid_job_payload'],
    ]);
    expect((await getDead(store.db, store.keys, notJson!.id)).payload).toBe('{"orderId":"ord_');
    const refused = await expectCode(replayDead(store, wrongShape!.id, 'cli:ops'), 'dlq_payload_invalid');
    expect(refused.kind).toBe('conflict');
    await expectCode(replayDead(store, notJson!.id, 'cli:ops'), 'dlq_payload_invalid');
    await discardDead(store, wrongShape!.id, 'cli:ops', 'damaged row');
    expect((await jobs(store)).map((j) => j.id)).toEqual([notJson!.id]);
  });
});
