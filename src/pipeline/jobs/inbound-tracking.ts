/** `inbound.tracking`: turns a stored tracking push from a carrier into tracking events. */
import { repriceFromTracking } from '../settlement/charges.js';
import { ingestTrackingEvents } from '../tracking.js';
import { InboundPayload, inboundEdit, loadRequest } from './inbound-message.js';
import { defineJobKind } from './kind.js';

export const inboundTracking = defineJobKind({
  name: 'inbound.tracking',
  description: "parses a carrier's stored tracking push and ingests its events",
  lane: 'inbound',
  payload: InboundPayload,
  partnerOf: (p) => p.partnerId,
  dedupeKey: (p) => `inbound.tracking:${p.messageId}`,
  handler: (deps) => ({
    async run(job) {
      const p = job.payload;
      const carrier = deps.partners().carrier(p.partnerId)?.primary;
      if (!carrier?.parseCallback) throw new Error(`carrier ${p.partnerId} does not push tracking`);
      const push = carrier.parseCallback(await loadRequest(deps.store, p));
      const result = await ingestTrackingEvents(deps.store, push.events);
      // A scan with the carrier's weighing re-prices the shipment (idempotent on a replay).
      await repriceFromTracking(deps.store, deps.rateCards?.(), result.measured);
      await deps.queue.complete(job);
    },
  }),
  // The push is stored as the carrier sent it; a replay parses it again (e.g. after a connector
  // fix), under a corrected topic for a carrier that sends one.
  deadLetter: { edit: inboundEdit },
});
