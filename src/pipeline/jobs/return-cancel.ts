/**
 * `return.cancel`: a cancelled return is taken back from the partners who were told of it — the
 * warehouse stops expecting the parcel (its connector's `return.cancel`), the carrier voids the
 * unused return waybill (its `shipment.cancel`). One job per partner, queued with the cancel, so
 * one partner's outage neither holds nor repeats the other's call. A partner whose connector
 * cannot cancel is not called: the return's events and its order's history say why, for the
 * operator to tell it by hand. A refusal (the parcel already received, already scanned) ends in
 * the dead letters and is noted on the return the same way.
 */
import { Type } from '@sinclair/typebox';
import { appendHistory, getOrderRow } from '../../store/orders.js';
import { insertReturnEvent, returnById, type ReturnsTable } from '../../store/returns.js';
import type { Executor } from '../../store/transaction.js';
import { defineJobKind } from './kind.js';

export const ReturnCancelPayload = Type.Object(
  {
    returnId: Type.String({ pattern: '^rma_[0-9a-z]{26}$', description: 'the cancelled return' }),
    party: Type.Union([Type.Literal('warehouse'), Type.Literal('carrier')], {
      description: 'who is told: the warehouse expecting the parcel, or the carrier of its label',
    }),
    partner: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'that partner' }),
    reason: Type.String({ maxLength: 500, description: 'why the return was cancelled' }),
  },
  { additionalProperties: false },
);

/** A note on the return (its events) and a line in its order's history. */
async function note(trx: Executor, ret: ReturnsTable, text: string, nowMs: number): Promise<void> {
  await insertReturnEvent(trx, { return_id: ret.id, at: nowMs, status: ret.status, note: text });
  const order = await getOrderRow(trx, ret.order_id);
  if (order) await appendHistory(trx, order.id, order.status, `return ${ret.id}: ${text}`, nowMs);
}

export const returnCancel = defineJobKind({
  name: 'return.cancel',
  description:
    "tells the warehouse (expected return) or the carrier (return waybill) that a return was cancelled, or notes on the return why that partner's connector cannot be told",
  lane: 'outbound',
  payload: ReturnCancelPayload,
  partnerOf: (p) => p.partner,
  dedupeKey: (p) => `return.cancel:${p.returnId}:${p.party}`,
  handler: (deps) => ({
    async run(job) {
      const { returnId, party, partner, reason } = job.payload;
      const ret = await returnById(deps.store.db, returnId);
      if (!ret || ret.status !== 'cancelled') {
        await deps.queue.complete(job);
        return;
      }
      let text: string;
      if (party === 'warehouse') {
        const warehouse = deps.partners().warehouse?.(partner);
        if (!ret.warehouse_return_no) text = `${partner} was never told of the return: nothing to cancel`;
        else if (!warehouse?.cancelReturn)
          text = `${partner} not told of the cancel: its connector cannot cancel an expected return (return.cancel); cancel ${ret.warehouse_return_no} with the warehouse by hand`;
        else {
          await warehouse.cancelReturn({ returnId, warehouseReturnNo: ret.warehouse_return_no, reason });
          text = `${partner} no longer expects return ${ret.warehouse_return_no}`;
        }
      } else {
        const carrier = deps.partners().carrier(partner)?.primary;
        if (!ret.waybill_no) text = `${partner} issued no return waybill: nothing to void`;
        else if (!carrier?.cancelShipment)
          text = `${partner} not told of the cancel: its connector cannot void a waybill (shipment.cancel); return waybill ${ret.waybill_no} stays unused — void it with the carrier if it bills unused labels`;
        else {
          await carrier.cancelShipment(ret.waybill_no);
          text = `${partner} voided return waybill ${ret.waybill_no}`;
        }
      }
      const nowMs = Date.now();
      await deps.store.write(async (trx) => {
        await note(trx, ret, text, nowMs);
        await deps.queue.complete(job, trx);
      });
    },
    async onDead(job, error) {
      const ret = await returnById(deps.store.db, job.payload.returnId);
      if (!ret) return;
      const { party, partner } = job.payload;
      await deps.store.write((trx) =>
        note(
          trx,
          ret,
          `${partner} could not be told of the cancel (${party}): ${error.slice(0, 300)} — see the dead letters`,
          Date.now(),
        ),
      );
    },
  }),
  // A replay tells the partner again: cancelling twice answers as the first time.
  deadLetter: { edit: null },
});

/**
 * Queues, in the cancelling transaction, one `return.cancel` per partner already told of the
 * return: the warehouse once it answered the announcement, the carrier once it issued the label.
 */
export async function queuePartnerCancels(
  trx: Executor,
  ret: Pick<ReturnsTable, 'id' | 'warehouse_id' | 'warehouse_return_no' | 'carrier' | 'waybill_no'>,
  reason: string,
  nowMs: number,
): Promise<void> {
  const why = reason.slice(0, 500);
  if (ret.warehouse_return_no)
    await returnCancel.enqueue(
      trx,
      { returnId: ret.id, party: 'warehouse', partner: ret.warehouse_id, reason: why },
      nowMs,
    );
  if (ret.carrier && ret.waybill_no)
    await returnCancel.enqueue(
      trx,
      { returnId: ret.id, party: 'carrier', partner: ret.carrier, reason: why },
      nowMs,
    );
}
