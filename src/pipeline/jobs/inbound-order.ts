/**
 * `inbound.order`: turns a stored order push from a sales platform into an accepted order — or,
 * for a platform whose pushes carry only the order's id (an OrderNotice), into an `orders.fetch`
 * of it, queued in the transaction that completes the push.
 */
import { OrderInput, WaygateError } from '../../domain/index.js';
import { acceptOrder } from '../accept-order.js';
import { checker } from '../validation.js';
import { InboundPayload, inboundEdit, loadRequest } from './inbound-message.js';
import { defineJobKind } from './kind.js';
import { ordersFetch } from './orders-fetch.js';

/**
 * What a platform's mapper makes of a push is held to the canonical schema, exactly as an order
 * posted to the API is by the gateway: a connector maps field names, it does not vouch for the
 * values (a city with control characters, a retired country code, an amount beyond the bound).
 */
const canonicalOrder = checker(OrderInput);

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
      if (!platform.parseOrderWebhook) throw new Error(`platform ${p.partnerId} takes no order webhooks`);
      const hook = platform.parseOrderWebhook(await loadRequest(deps.store, p));
      if ('notice' in hook) {
        const { externalId, fetch } = hook.notice;
        if (fetch && !platform.fetchOrder) throw new Error(`platform ${p.partnerId} cannot fetch orders`);
        await deps.store.write(async (trx) => {
          const nowMs = Date.now();
          if (fetch) await ordersFetch.enqueue(trx, { platform: p.partnerId, externalId }, nowMs);
          await deps.queue.complete(job, trx);
        });
        return;
      }
      const issues = canonicalOrder.issues(hook.order);
      const first = issues[0];
      if (first) {
        // Field paths and rules only: the values are the consignee's, and this text is logged.
        throw new WaygateError(
          'order_payload_invalid',
          `the ${p.partnerId} order is not a canonical order: ${first.field} ${first.message}`,
          issues.map(({ field, message }) => ({ field, message })),
        );
      }
      await acceptOrder(deps.store, hook.order, { caller: p.partnerId });
      await deps.queue.complete(job);
    },
  }),
  // The push is stored as the partner sent it; a replay parses it again (e.g. after a connector
  // fix), under the topic an operator corrected when the partner's unsigned topic was wrong.
  deadLetter: { edit: inboundEdit },
});
