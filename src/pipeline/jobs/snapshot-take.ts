/**
 * `snapshot.take`: the daily Parquet snapshot of the A-tier partners' products, orders and
 * inventory [004-3.2], at the configured local time (default 02:00) in the configured time zone.
 * One recurring job for the whole hub (its dedupe key keeps it at one however many nodes run):
 * it takes the snapshot, then re-arms itself for the next day's run. A failure (a full disk, an
 * unwritable folder) is retried with backoff and shows in the queue's statistics and alerts.
 */
import { Type } from '@sinclair/typebox';
import type { Store } from '../../store/db.js';
import type { PartnerDirectory } from '../partners.js';
import { nextRunAt } from '../snapshot/schedule.js';
import { takeSnapshot } from '../snapshot/take.js';
import { defineJobKind } from './kind.js';

export const SnapshotTakePayload = Type.Object(
  { schedule: Type.Literal('daily', { description: 'the snapshot runs once a day at snapshot.at' }) },
  { additionalProperties: false },
);

export const snapshotTake = defineJobKind({
  name: 'snapshot.take',
  description:
    "writes the daily Parquet snapshot of A-tier partners' products, orders and inventory, then re-arms itself for the next day",
  lane: 'outbound',
  payload: SnapshotTakePayload,
  dedupeKey: () => 'snapshot.take',
  maxAttempts: 50,
  handler: (deps) => ({
    async run(job) {
      const settings = deps.partners().snapshot?.();
      if (!settings) {
        await deps.queue.complete(job);
        return;
      }
      const now = deps.clock ?? Date.now;
      await takeSnapshot(deps.store, {
        dir: settings.dir,
        timeZone: settings.timeZone,
        scope: settings.scope,
        trigger: 'schedule',
        nowMs: now(),
      });
      await deps.queue.reschedule(job, nextRunAt(Date.now(), settings.at, settings.timeZone));
    },
  }),
  // A replay takes a snapshot of the moment: there is nothing in the payload to correct.
  deadLetter: { edit: null },
});

/** Arms the daily snapshot at its next run time when one is configured (once per hub). */
export async function ensureSnapshotSchedule(deps: {
  store: Store;
  partners: () => PartnerDirectory;
}): Promise<void> {
  const settings = deps.partners().snapshot?.();
  if (!settings) return;
  await snapshotTake.enqueue(
    deps.store.db,
    { schedule: 'daily' },
    nextRunAt(Date.now(), settings.at, settings.timeZone),
  );
}
