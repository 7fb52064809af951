/**
 * `orders.fetch`: a platform pushed that an order is ready (TikTok Shop's ORDER_STATUS_CHANGE)
 * without sending the order; the hub reads it back with the connector's `fetchOrder` and accepts
 * it into the same pipeline as a pulled order. Queued by `inbound.order` for an OrderNotice, in
 * the transaction that completes the push, at most one queued per platform order.
 *
 * Exactly once whether the order arrives by pull, by push or by both: an order the hub already
 * has (the pull took it first, or an earlier push) is recognised before the platform is called,
 * and acceptOrder recognises it again by source + external id should the pull win the race
 * while the fetch is under way. The read goes through the platform's runtime (breaker, 429 gate,
 * the policy's retries) like the pull and the fulfilment. An order the platform no longer serves
 * as one the hub takes (cancelled meanwhile), or cannot be mapped, waits in the dead letters with
 * the fields named; replayed, it is read again.
 */
import { Type } from '@sinclair/typebox';
import { OrderInput, WaygateError } from '../../domain/index.js';
import { findOrderIdByExternal } from '../../store/orders.js';
import { acceptOrder } from '../accept-order.js';
import { checker } from '../validation.js';
import { defineJobKind } from './kind.js';

export const OrdersFetchPayload = Type.Object(
  {
    platform: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'the platform that pushed' }),
    externalId: Type.String({
      minLength: 1,
      maxLength: 64,
      description: "the platform's order id, as text (ids above 2^53 kept exact)",
    }),
  },
  { additionalProperties: false },
);

const canonicalOrder = checker(OrderInput);

export const ordersFetch = defineJobKind({
  name: 'orders.fetch',
  description:
    'reads back an order a platform pushed only the id of (through its runtime) and accepts it once, whether or not the pull took it already',
  lane: 'outbound',
  payload: OrdersFetchPayload,
  partnerOf: (p) => p.platform,
  dedupeKey: (p) => `orders.fetch:${p.platform}:${p.externalId}`,
  handler: (deps) => ({
    async run(job) {
      const { platform: id, externalId } = job.payload;
      const known = () => findOrderIdByExternal(deps.store.db, id, externalId);
      if (await known()) {
        await deps.queue.complete(job);
        return;
      }
      const partners = deps.partners();
      const platform = partners.platform(id);
      if (!platform?.fetchOrder) throw new Error(`platform ${id} does not serve orders.fetch (any more)`);
      const runtime = partners.platformRuntime?.(id);
      let order: OrderInput;
      try {
        order = runtime
          ? await runtime.call((p) => p.fetchOrder!(externalId), job.attempts)
          : await platform.fetchOrder(externalId);
      } catch (err) {
        // The pull took the order (and shipped it) while it was being read: nothing to refuse.
        if (err instanceof WaygateError && (await known())) {
          await deps.queue.complete(job);
          return;
        }
        throw err;
      }
      const first = canonicalOrder.issues(order)[0];
      if (first) {
        // Field paths and rules only: the values are the buyer's, and this text is logged.
        throw new WaygateError(
          'order_payload_invalid',
          `the ${id} order ${externalId} is not a canonical order: ${first.field} ${first.message}`,
          canonicalOrder.issues(order).map(({ field, message }) => ({ field, message })),
        );
      }
      if (order.externalId !== externalId || order.source !== id) {
        throw new WaygateError(
          'order_payload_invalid',
          `the ${id} order read back is not the one pushed (${externalId})`,
          [{ field: '/externalId', message: 'differs from the pushed order id' }],
        );
      }
      await acceptOrder(deps.store, order, { caller: id });
      await deps.queue.complete(job);
    },
  }),
  deadLetter: { edit: null },
});
