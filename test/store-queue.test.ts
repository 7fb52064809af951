import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enqueue, JobQueue } from '../src/store/queue.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

for (const dialect of DIALECTS) {
  describe(`durable queue on ${dialect}`, () => {
    let store: TestStore;
    let queue: JobQueue;
    beforeEach(async () => {
      store = await freshStore(dialect);
      queue = new JobQueue(store);
    });
    afterEach(async () => store.destroy());

    it('drops the job when the business transaction rolls back (outbox atomicity)', async () => {
      await expect(
        store.db.transaction().execute(async (trx) => {
          await enqueue(trx, { kind: 'k', payload: { n: 1 } });
          throw new Error('business write failed');
        }),
      ).rejects.toThrow('business write failed');
      expect(await queue.lease('w1', 10, 1000)).toHaveLength(0);
    });

    it('never hands the same job to two workers leasing at once', async () => {
      for (let i = 0; i < 50; i++) await enqueue(store.db, { kind: 'k', payload: { i } });
      const [a, b, c] = await Promise.all([
        queue.lease('a', 30, 10_000),
        queue.lease('b', 30, 10_000),
        queue.lease('c', 30, 10_000),
      ]);
      const ids = [...a, ...b, ...c].map((j) => j.id);
      expect(ids).toHaveLength(50);
      expect(new Set(ids).size).toBe(50);
    });

    it('gives an expired lease to another worker, and the old owner can no longer complete it', async () => {
      await enqueue(store.db, { kind: 'k', payload: {} });
      const now = Date.now();
      const [first] = await queue.lease('dead-worker', 1, 1000, now);
      expect(await queue.lease('other', 1, 1000, now + 500)).toHaveLength(0);
      const [second] = await queue.lease('other', 1, 1000, now + 1001);
      expect(second?.id).toBe(first?.id);
      expect(second?.attempts).toBe(2);
      expect(await queue.complete(first!)).toBe(false);
      expect(await queue.complete(second!)).toBe(true);
    });

    it('holds a retried job until its next run time and keeps the attempt history', async () => {
      await enqueue(store.db, { kind: 'k', payload: {} });
      const now = Date.now();
      const [job] = await queue.lease('w', 1, 10_000, now);
      await queue.retryLater(job!, now + 5_000, 'partner answered 503', now);
      expect(await queue.lease('w', 1, 10_000, now + 4_999)).toHaveLength(0);
      const [again] = await queue.lease('w', 1, 10_000, now + 5_000);
      expect(again?.history).toEqual([
        expect.objectContaining({ attempt: 1, outcome: 'retry', error: 'partner answered 503' }),
      ]);
    });

    it('parks a dead-lettered job where no worker takes it again', async () => {
      await enqueue(store.db, { kind: 'k', payload: { order: 'x' } });
      const [job] = await queue.lease('w', 1, 10_000);
      await queue.deadLetter(job!, 'partner rejected: bad postal code');
      expect(await queue.lease('w', 1, 10_000, Date.now() + 3_600_000)).toHaveLength(0);
      expect(await queue.counts()).toEqual({ dead: 1 });
    });

    it('commits concurrent writes together but rolls back a failing one alone', async () => {
      const writes = Array.from({ length: 40 }, (_, i) =>
        store.write(async (trx) => {
          await enqueue(trx, { kind: 'k', payload: { i } });
          if (i === 7) throw new Error('write 7 fails after its insert');
          return i;
        }),
      );
      const results = await Promise.allSettled(writes);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(39);
      expect(results[7]).toMatchObject({
        status: 'rejected',
        reason: expect.objectContaining({ message: 'write 7 fails after its insert' }),
      });
      const payloads = (await queue.lease('w', 100, 10_000)).map((j) => (j.payload as { i: number }).i);
      expect(payloads).toHaveLength(39);
      expect(payloads).not.toContain(7);
    });

    it('keeps one job per dedupe key however often it is enqueued', async () => {
      await enqueue(store.db, { kind: 'k', payload: {}, dedupeKey: 'ship:1' });
      await enqueue(store.db, { kind: 'k', payload: {}, dedupeKey: 'ship:1' });
      expect(await queue.counts()).toEqual({ ready: 1 });
    });
  });
}
