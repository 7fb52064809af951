/**
 * `return.announce`: tells the warehouse a return is coming (its RMA pre-advice) and takes the
 * returns address it answers with; then the return label is bought (`return.label`, queued in
 * the same transaction). The warehouse recognises a retry by the return's id.
 */
import { Type } from '@sinclair/typebox';
import { lockReturn, returnById, updateReturn } from '../../store/returns.js';
import { linesOf, transition } from '../returns.js';
import { defineJobKind } from './kind.js';
import { returnLabel } from './return-label.js';
import { queuePartnerCancels } from './return-cancel.js';

export const ReturnAnnouncePayload = Type.Object(
  {
    returnId: Type.String({ pattern: '^rma_[0-9a-z]{26}$', description: 'the return to announce' }),
    warehouse: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'the warehouse told' }),
  },
  { additionalProperties: false },
);

export const returnAnnounce = defineJobKind({
  name: 'return.announce',
  description:
    'announces a return to its warehouse (RMA pre-advice) and takes the returns address it answers with; then queues its label',
  lane: 'outbound',
  payload: ReturnAnnouncePayload,
  partnerOf: (p) => p.warehouse,
  dedupeKey: (p) => `return.announce:${p.returnId}`,
  handler: (deps) => ({
    async run(job) {
      const { returnId, warehouse: warehouseId } = job.payload;
      const ret = await returnById(deps.store.db, returnId);
      if (!ret || ret.status !== 'requested') {
        await deps.queue.complete(job);
        return;
      }
      const warehouse = deps.partners().warehouse?.(warehouseId);
      if (!warehouse?.announceReturn)
        throw new Error(`warehouse ${warehouseId} does not take return announcements (return.announce)`);
      const announced = await warehouse.announceReturn({
        returnId,
        orderId: ret.order_id,
        lines: linesOf(ret).map((l) => ({ sku: l.sku, quantity: l.quantity })),
      });
      const nowMs = Date.now();
      await deps.store.write(async (trx) => {
        const now = await lockReturn(trx, returnId);
        if (now?.status === 'requested') {
          await transition(
            trx,
            now,
            'announced',
            `${warehouseId} expects it as ${announced.warehouseReturnNo}`,
            nowMs,
            {
              warehouse_return_no: announced.warehouseReturnNo,
              return_to: JSON.stringify(announced.address),
            },
          );
          await returnLabel.enqueue(trx, { returnId }, nowMs);
        } else if (now?.status === 'cancelled' && !now.warehouse_return_no) {
          // Cancelled while the warehouse was being told: it expects the parcel now, so it is told again.
          await updateReturn(trx, returnId, { warehouse_return_no: announced.warehouseReturnNo }, nowMs);
          await queuePartnerCancels(
            trx,
            { ...now, warehouse_return_no: announced.warehouseReturnNo, carrier: null, waybill_no: null },
            'cancelled while the warehouse was being told',
            nowMs,
          );
        }
        await deps.queue.complete(job, trx);
      });
    },
  }),
  // A replay announces again with the same return id: the warehouse answers as before.
  deadLetter: { edit: null },
});
