/**
 * Polled tracking: one recurring job per polled carrier takes the shipments whose next poll is
 * due, asks the carrier in batches, ingests the events and re-arms itself. A recurring job in the
 * queue (rather than a timer per node) means several hub nodes poll each carrier once, not N times.
 */
import { isTerminalStatus, SHIPMENT_STATUSES } from '../domain/index.js';
import type { CarrierDirectory } from './partners.js';
import type { Store } from '../store/db.js';
import { enqueue, type Job, type JobQueue } from '../store/queue.js';
import { ingestTrackingEvents } from './tracking.js';
import { DeferredError } from './policy/runtime.js';
import type { JobHandler } from './worker.js';

export const TRACKING_POLL = 'tracking.poll';

export interface PollingDeps {
  store: Store;
  queue: JobQueue;
  partners: () => CarrierDirectory;
}

const ACTIVE = SHIPMENT_STATUSES.filter((s) => !isTerminalStatus(s));

export async function ensurePollJobs(deps: PollingDeps): Promise<void> {
  for (const runtime of deps.partners().carriers()) {
    const id = runtime.id;
    if (runtime.primary.manifest.tracking !== 'poll') continue;
    await enqueue(deps.store.db, {
      kind: TRACKING_POLL,
      partnerId: id,
      payload: { carrier: id },
      dedupeKey: `${TRACKING_POLL}:${id}`,
      maxAttempts: 1_000_000,
    });
  }
}

export function trackingPollHandler(deps: PollingDeps): JobHandler {
  return {
    async run(job: Job) {
      const { carrier: carrierId } = job.payload as { carrier: string };
      const partners = deps.partners();
      const carrier = partners.carrier(carrierId);
      if (!carrier?.primary.fetchTracking) {
        await deps.queue.complete(job);
        return;
      }
      const batch = carrier.primary.manifest.trackingBatchSize ?? 50;
      const nowMs = Date.now();
      const due = await deps.store.db
        .selectFrom('shipments')
        .select(['waybill_no'])
        .where('carrier', '=', carrierId)
        .where('next_poll_at', '<=', nowMs)
        .where('status', 'in', ACTIVE)
        .orderBy('next_poll_at')
        .limit(batch * 4)
        .execute();
      const waybills = due.map((d) => d.waybill_no);
      try {
        for (let i = 0; i < waybills.length; i += batch) {
          const chunk = waybills.slice(i, i + batch);
          const events = await carrier.call(
            async (c) => (c.fetchTracking ? c.fetchTracking(chunk) : []),
            job.attempts,
          );
          await ingestTrackingEvents(deps.store, events);
          await deps.store.db
            .updateTable('shipments')
            .set({ next_poll_at: Date.now() + partners.pollIntervalMs() })
            .where('carrier', '=', carrierId)
            .where('waybill_no', 'in', chunk)
            .execute();
        }
      } catch (err) {
        // A recurring poll never dead-letters: it comes back when the partner lets it, or at the
        // next interval; the shipments stay due and are asked for then.
        const next = err instanceof DeferredError ? err.untilMs : Date.now() + partners.pollIntervalMs();
        await deps.queue.reschedule(job, next);
        return;
      }
      // A full page means more are due: run again at once; otherwise at the next interval tick.
      const next =
        waybills.length === batch * 4 ? Date.now() : Date.now() + Math.min(1000, partners.pollIntervalMs());
      await deps.queue.reschedule(job, next);
    },
  };
}
