/** `inbound.stock`: applies a warehouse's stored stock-change push to the inventory, once. */
import { applyStockChange } from '../inventory.js';
import { InboundPayload, inboundEdit, loadRequest } from './inbound-message.js';
import { defineJobKind } from './kind.js';
import { announceStock, stockPlatforms } from './stock-publish.js';
import { shippedFromWarehouse } from './warehouse-outbound.js';
import { releaseHeldOrders } from './shipment-create.js';
import { applyReturnReceipt } from '../returns.js';
import { returnSettle } from './return-settle.js';

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
        // A shipped order's last-mile waybill becomes its shipment (once, whichever line or
        // report carries it first); stock arriving releases orders held for it.
        if (event.kind === 'outbound_shipped' && event.reference && event.waybillNo && event.lastMileCarrier)
          await shippedFromWarehouse(trx, deps, {
            warehouseId: p.partnerId,
            orderId: event.reference,
            waybillNo: event.waybillNo,
            carrier: event.lastMileCarrier,
          });
        if (outcome === 'applied' && event.delta > 0) await releaseHeldOrders(trx, p.partnerId);
        // A returned parcel's receipt moves its return on (once, with the stock change).
        if (
          outcome !== 'duplicate' &&
          event.kind === 'return_received' &&
          event.reference &&
          event.inspection
        ) {
          const nowMs = Date.now();
          const applied = await applyReturnReceipt(
            trx,
            {
              warehouseId: p.partnerId,
              returnId: event.reference,
              sku: event.sku,
              inspection: event.inspection,
              quantity: event.quantity ?? Math.max(0, event.delta),
              eventId: event.eventId,
            },
            nowMs,
          );
          if (applied?.inspected) await returnSettle.enqueue(trx, { returnId: applied.returnId }, nowMs);
        }
      });
      await deps.queue.complete(job);
    },
  }),
  // The push is stored as the warehouse sent it; a replay parses it again (after a fix).
  deadLetter: { edit: inboundEdit },
});
