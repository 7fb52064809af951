/** `inbound.stock`: applies a warehouse's stored stock-change push to the inventory, once. */
import { applyStockChange } from '../inventory.js';
import { InboundPayload, inboundEdit, loadRequest } from './inbound-message.js';
import { defineJobKind } from './kind.js';
import { announceStock, stockPlatforms } from './stock-publish.js';

export const inboundStock = defineJobKind({
  name: 'inbound.stock',
  description:
    "parses a warehouse's stored stock-change push and applies it to the inventory (once per event)",
  lane: 'inbound',
  payload: InboundPayload,
  partnerOf: (p) => p.partnerId,
  dedupeKey: (p) => `inbound.stock:${p.messageId}`,
  handler: (deps) => ({
    async run(job) {
      const p = job.payload;
      const warehouse = deps.partners().warehouse?.(p.partnerId);
      if (!warehouse?.parseStockPush) throw new Error(`warehouse ${p.partnerId} does not push stock changes`);
      const event = warehouse.parseStockPush(await loadRequest(deps.store, p));
      const platforms = stockPlatforms(deps.partners());
      await deps.store.write(async (trx) => {
        const outcome = await applyStockChange(trx, p.partnerId, {
          eventId: event.eventId,
          sku: event.sku,
          kind: event.kind,
          delta: event.delta,
          occurredAt: event.occurredAt,
          ...(event.reference !== undefined ? { reference: event.reference } : {}),
        });
        // The stock and the pushes it causes commit together (a re-delivery changes nothing).
        if (outcome !== 'duplicate') await announceStock(trx, platforms, [event.sku]);
      });
      await deps.queue.complete(job);
    },
  }),
  // The push is stored as the warehouse sent it; a replay parses it again (after a fix).
  deadLetter: { edit: inboundEdit },
});
