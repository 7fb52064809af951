/**
 * `return.status`: tells the sales platform an order came from where its return stands, through
 * the outbound queue. Every transition bumps the return's status version and queues this job (at
 * most one per return): it pushes the return as it is at that moment (absolute, so a repeat is
 * harmless), records the version it carried and, if the return moved meanwhile, runs again.
 * Retried with backoff, then dead-lettered; the return itself is never rolled back.
 */
import { Type } from '@sinclair/typebox';
import type { ReturnStatusUpdate } from '../../connectors/types.js';
import { getOrderRow } from '../../store/orders.js';
import { lockReturn, recordReturnPushed, returnById } from '../../store/returns.js';
import { defineJobKind } from './kind.js';

export const ReturnStatusPayload = Type.Object(
  {
    returnId: Type.String({
      pattern: '^rma_[0-9a-z]{26}$',
      description: 'the return whose status is pushed',
    }),
    platform: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'the sales platform told' }),
  },
  { additionalProperties: false },
);

export const returnStatus = defineJobKind({
  name: 'return.status',
  description:
    "pushes a return's status (label, tracking, receipt, refund or replacement) to the order's sales platform; retried, never rolled back",
  lane: 'outbound',
  payload: ReturnStatusPayload,
  partnerOf: (p) => p.platform,
  dedupeKey: (p) => `return.status:${p.returnId}`,
  // About an hour of a platform refusing (backoff capped at 30 s) before a human is asked.
  maxAttempts: 120,
  handler: (deps) => ({
    async run(job) {
      const { returnId, platform: platformId } = job.payload;
      const platform = deps.partners().platform(platformId);
      const ret = await returnById(deps.store.db, returnId);
      const order = ret ? await getOrderRow(deps.store.db, ret.order_id) : undefined;
      if (!platform?.updateReturn || !ret || !order) {
        await deps.queue.complete(job);
        return;
      }
      const update: ReturnStatusUpdate = {
        externalOrderId: order.external_id,
        returnId: ret.id,
        ...(ret.origin === platformId && ret.reference ? { platformReturnId: ret.reference } : {}),
        status: ret.status,
        ...(ret.carrier ? { carrier: ret.carrier } : {}),
        ...(ret.waybill_no ? { waybillNo: ret.waybill_no } : {}),
        ...(ret.refund_amount !== null ? { refundAmount: ret.refund_amount } : {}),
        currency: ret.currency,
        ...(ret.replacement_order_id ? { replacementOrderId: ret.replacement_order_id } : {}),
      };
      await platform.updateReturn(update);
      const nowMs = Date.now();
      await deps.store.write(async (trx) => {
        await recordReturnPushed(trx, returnId, ret.status_version, nowMs);
        // Under the return's lock: a transition committed meanwhile bumped the version and found
        // this job queued, so it is run again rather than ended.
        const now = await lockReturn(trx, returnId);
        if (now && now.status_version > ret.status_version) await deps.queue.reschedule(job, nowMs, trx);
        else await deps.queue.complete(job, trx);
      });
    },
  }),
  // A replay pushes the return as it is then: there is nothing in the payload to correct.
  deadLetter: { edit: null },
});
