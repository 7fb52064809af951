/**
 * `return.label`: buys the return waybill and label for a return the warehouse expects, from the
 * carrier that shipped the order (or, when it issues no return labels, the first carrier that
 * does): the buyer is the sender, the warehouse's returns dock the recipient, the RMA the
 * reference. The carrier recognises a retry by the return's id, so a timed-out call is safe.
 */
import { Type } from '@sinclair/typebox';
import type { Address } from '../../domain/index.js';
import type { CarrierConnector } from '../../connectors/types.js';
import { getOrderRow, readOrder } from '../../store/orders.js';
import { lockReturn, returnById, updateReturn } from '../../store/returns.js';
import { shipmentsForOrder } from '../../store/shipments.js';
import type { PartnerDirectory } from '../partners.js';
import { linesOf, transition } from '../returns.js';
import { queuePartnerCancels } from './return-cancel.js';
import { defineJobKind } from './kind.js';

export const ReturnLabelPayload = Type.Object(
  { returnId: Type.String({ pattern: '^rma_[0-9a-z]{26}$', description: 'the return to label' }) },
  { additionalProperties: false },
);

function chooseCarrier(
  partners: PartnerDirectory,
  shippedBy: string | undefined,
): { id: string; connector: CarrierConnector } | undefined {
  const labels = (id: string | undefined) => {
    const c = id ? partners.carrier(id)?.primary : undefined;
    return c?.createReturnLabel && id ? { id, connector: c } : undefined;
  };
  const first = [...partners.carriers()].find((r) => r.primary.createReturnLabel);
  return labels(shippedBy) ?? labels(partners.routing().default) ?? (first && labels(first.id));
}

export const returnLabel = defineJobKind({
  name: 'return.label',
  description:
    "buys a return's waybill and label from a carrier (buyer to the warehouse's returns dock), idempotent by the return's id",
  lane: 'outbound',
  payload: ReturnLabelPayload,
  dedupeKey: (p) => `return.label:${p.returnId}`,
  handler: (deps) => ({
    async run(job) {
      const ret = await returnById(deps.store.db, job.payload.returnId);
      const row = ret ? await getOrderRow(deps.store.db, ret.order_id) : undefined;
      if (!ret || !row || ret.status !== 'announced' || !ret.return_to) {
        await deps.queue.complete(job);
        return;
      }
      const order = await readOrder(deps.store.keys, row);
      const shipment = (await shipmentsForOrder(deps.store.db, order.id))[0];
      const carrier = chooseCarrier(deps.partners(), shipment?.carrier);
      if (!carrier) throw new Error('no configured carrier issues return labels (capability return.label)');
      job.routeTo?.(carrier.id);
      const lines = linesOf(ret);
      const items = lines.map((l) => {
        const item = order.items.find((i) => i.sku === l.sku);
        return {
          sku: l.sku,
          description: item?.description ?? l.sku,
          quantity: l.quantity,
          unitPrice: l.unitPrice,
          hsCode: item?.hsCode ?? '000000',
          originCountry: item?.originCountry ?? 'CN',
          weightGrams: item?.weightGrams ?? 1,
        };
      });
      const created = await carrier.connector.createReturnLabel!({
        returnId: ret.id,
        reference: ret.id,
        idempotencyKey: ret.id,
        sender: order.recipient,
        recipient: JSON.parse(ret.return_to) as Address,
        items,
        currency: ret.currency,
        declaredValue: order.totalValue,
        totalWeightGrams: Math.max(
          1,
          items.reduce((g, i) => g + i.weightGrams * i.quantity, 0),
        ),
      });
      const nowMs = Date.now();
      await deps.store.write(async (trx) => {
        const now = await lockReturn(trx, ret.id);
        if (now?.status === 'announced') {
          await transition(
            trx,
            now,
            'label_issued',
            `${carrier.id} return waybill ${created.waybillNo}`,
            nowMs,
            {
              carrier: carrier.id,
              waybill_no: created.waybillNo,
              label_url: created.labelUrl ?? null,
            },
          );
        } else if (now?.status === 'cancelled' && !now.waybill_no) {
          // Cancelled while the label was being bought: the waybill exists now, so it is voided.
          await updateReturn(
            trx,
            ret.id,
            { carrier: carrier.id, waybill_no: created.waybillNo, label_url: created.labelUrl ?? null },
            nowMs,
          );
          await queuePartnerCancels(
            trx,
            { ...now, warehouse_return_no: null, carrier: carrier.id, waybill_no: created.waybillNo },
            'cancelled while the return label was being bought',
            nowMs,
          );
        }
        await deps.queue.complete(job, trx);
      });
    },
  }),
  // A replay asks again with the same return id: the carrier answers with the same waybill.
  deadLetter: { edit: null },
});
