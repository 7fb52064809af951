/**
 * `inbound.return`: turns a platform's stored return request into a return authorisation on the
 * order it names (the same rules as `POST /v1/orders/{id}/returns`). A re-delivery of a request
 * already authorised changes nothing; one the rules refuse (unknown order, more than was
 * shipped) goes to the dead letters with the catalogue code, for a human to answer the buyer.
 */
import { WaygateError } from '../../domain/index.js';
import { findOrderIdByExternal } from '../../store/orders.js';
import { authoriseReturn } from '../return-requests.js';
import { InboundPayload, inboundEdit, loadRequest } from './inbound-message.js';
import { defineJobKind } from './kind.js';

export const inboundReturn = defineJobKind({
  name: 'inbound.return',
  description: "parses a platform's stored return request and authorises the return on its order",
  lane: 'inbound',
  payload: InboundPayload,
  partnerOf: (p) => p.partnerId,
  dedupeKey: (p) => `inbound.return:${p.messageId}`,
  handler: (deps) => ({
    async run(job) {
      const p = job.payload;
      const partners = deps.partners();
      const platform = partners.platform(p.partnerId);
      if (!platform?.parseReturnWebhook) throw new Error(`platform ${p.partnerId} sends no return requests`);
      const hook = platform.parseReturnWebhook(await loadRequest(deps.store, p));
      const orderId = await findOrderIdByExternal(deps.store.db, p.partnerId, hook.externalOrderId);
      if (!orderId) {
        throw new WaygateError(
          'order_not_found',
          `${p.partnerId} asks to return order ${hook.externalOrderId}, which the hub does not have`,
          {
            externalOrderId: hook.externalOrderId,
          },
        );
      }
      const warehouses = returnWarehouses(partners);
      await deps.store.write(async (trx) => {
        await authoriseReturn(
          trx,
          {
            orderId,
            origin: p.partnerId,
            reference: hook.returnId,
            kind: hook.kind,
            reason: hook.reason,
            lines: hook.lines,
          },
          { warehouses, duplicates: 'same' },
        );
        await deps.queue.complete(job, trx);
      });
    },
  }),
  deadLetter: { edit: inboundEdit },
});

/** The warehouses that take returns, in a stable order (the first is the default). */
export function returnWarehouses(partners: {
  warehouses?(): ReadonlyMap<string, { announceReturn?: unknown }>;
}): string[] {
  return [...(partners.warehouses?.() ?? new Map<string, { announceReturn?: unknown }>())]
    .filter(([, w]) => w.announceReturn !== undefined)
    .map(([id]) => id)
    .sort();
}
