/**
 * `tracking.poll`: one recurring job per polled carrier takes the shipments whose next poll is
 * due, asks the carrier in batches, ingests the events and re-arms itself. A recurring job in the
 * queue (rather than a timer per node) means several hub nodes poll each carrier once, not N times.
 */
import { Type } from '@sinclair/typebox';
import { isTerminalStatus, SHIPMENT_STATUSES } from '../../domain/index.js';
import type { Store } from '../../store/db.js';
import { setNextPoll, waybillsDueForPoll } from '../../store/shipments.js';
import type { CarrierDirectory } from '../partners.js';
import { DeferredError } from '../policy/runtime.js';
import { repriceFromTracking } from '../settlement/charges.js';
import { ingestTrackingEvents } from '../tracking.js';
import { PartnerCallError } from '../../connectors/errors.js';
import type { PartnerValueIssue } from '../../domain/partner-values.js';
import { describe } from '../partner-values.js';
import { defineJobKind } from './kind.js';

export const TrackingPollPayload = Type.Object(
  { carrier: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'the polled carrier' }) },
  { additionalProperties: false },
);

const ACTIVE = SHIPMENT_STATUSES.filter((s) => !isTerminalStatus(s));

export const trackingPoll = defineJobKind({
  name: 'tracking.poll',
  description: "asks a polled carrier for its due shipments' tracking, ingests it and re-arms itself",
  lane: 'outbound',
  payload: TrackingPollPayload,
  partnerOf: (p) => p.carrier,
  dedupeKey: (p) => `tracking.poll:${p.carrier}`,
  // A recurring poll never dead-letters on its own: it is re-armed after every run.
  maxAttempts: 1_000_000,
  handler: (deps) => ({
    async run(job) {
      const carrierId = job.payload.carrier;
      const partners = deps.partners();
      const carrier = partners.carrier(carrierId);
      if (!carrier?.primary.fetchTracking) {
        await deps.queue.complete(job);
        return;
      }
      const batch = carrier.primary.manifest.trackingBatchSize ?? 50;
      const nowMs = Date.now();
      const waybills = await waybillsDueForPoll(deps.store.db, carrierId, ACTIVE, nowMs, batch * 4);
      let refused = 0;
      const issues: PartnerValueIssue[] = [];
      try {
        for (let i = 0; i < waybills.length; i += batch) {
          const chunk = waybills.slice(i, i + batch);
          const events = await carrier.call(
            async (c) => (c.fetchTracking ? c.fetchTracking(chunk) : []),
            job.attempts,
          );
          // Only events about the waybills asked for, and within the canonical bounds, are kept.
          const result = await ingestTrackingEvents(
            deps.store,
            events,
            Date.now(),
            undefined,
            new Set(chunk),
          );
          await repriceFromTracking(deps.store, deps.rateCards?.(), result.measured);
          refused += result.refused;
          if (issues.length < 5) issues.push(...result.issues.slice(0, 5 - issues.length));
          await setNextPoll(deps.store.db, carrierId, chunk, Date.now() + partners.pollIntervalMs());
        }
      } catch (err) {
        // A recurring poll never dead-letters: it comes back when the partner lets it, or at the
        // next interval; the shipments stay due and are asked for then.
        const next = err instanceof DeferredError ? err.untilMs : Date.now() + partners.pollIntervalMs();
        // An answer refused outright (too large, unreadable) is recorded on the job for an operator.
        if (err instanceof PartnerCallError && !err.retryable) {
          await deps.queue.retryLater(job, next, JSON.stringify(err.toJSON()));
          return;
        }
        await deps.queue.reschedule(job, next);
        return;
      }
      // A full page means more are due: run again at once; otherwise at the next interval tick.
      const next =
        waybills.length === batch * 4 ? Date.now() : Date.now() + Math.min(1000, partners.pollIntervalMs());
      if (refused > 0) {
        // Recorded on the job (its last error and history) for an operator; the poll goes on.
        const error = new PartnerCallError({
          partnerId: carrierId,
          code: 'partner_value_refused',
          retryable: false,
          message: `${carrierId} answered ${refused} tracking events outside the canonical bounds, left out: ${describe(issues)}`,
        });
        await deps.queue.retryLater(job, next, JSON.stringify(error.toJSON()));
        return;
      }
      await deps.queue.reschedule(job, next);
    },
  }),
  // Nothing to fix in a poll: a replay simply re-arms it.
  deadLetter: { edit: null },
});

/** Arms one poll job per polled carrier (the dedupe key keeps it at one, however many nodes start). */
export async function ensurePollJobs(deps: {
  store: Store;
  partners: () => CarrierDirectory;
}): Promise<void> {
  for (const runtime of deps.partners().carriers()) {
    if (runtime.primary.manifest.tracking !== 'poll') continue;
    await trackingPoll.enqueue(deps.store.db, { carrier: runtime.id });
  }
}
