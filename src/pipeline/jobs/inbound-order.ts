/** `inbound.order`: turns a stored order push from a sales platform into an accepted order. */
import { acceptOrder } from '../accept-order.js';
import { InboundPayload, inboundEdit, loadRequest } from './inbound-message.js';
import { defineJobKind } from './kind.js';

export const inboundOrder = defineJobKind({
  name: 'inbound.order',
  description: "parses a platform's stored order push and accepts the order (which queues its shipment)",
  lane: 'inbound',
  payload: InboundPayload,
  partnerOf: (p) => p.partnerId,
  dedupeKey: (p) => `inbound.order:${p.messageId}`,
  handler: (deps) => ({
    async run(job) {
      const p = job.payload;
      const platform = deps.partners().platform(p.partnerId);
      if (!platform) throw new Error(`platform ${p.partnerId} is no longer configured`);
      const hook = platform.parseOrderWebhook(await loadRequest(deps.store, p));
      await acceptOrder(deps.store, hook.order, { caller: p.partnerId });
      await deps.queue.complete(job);
    },
  }),
  // The push is stored as the partner sent it; a replay parses it again (e.g. after a connector
  // fix), under the topic an operator corrected when the partner's unsigned topic was wrong.
  deadLetter: { edit: inboundEdit },
});
