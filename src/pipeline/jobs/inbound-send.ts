/**
 * `inbound.send`: announces an inbound receipt (ASN) to its warehouse, with the hub's receipt id
 * as the warehouse's reference, so a retry after a lost answer is recognised as the same one.
 * Retried while the warehouse fails, dead-lettered when it refuses; the quantities stay in
 * transit either way (the goods are on their way whatever the warehouse's system said).
 */
import { Type } from '@sinclair/typebox';
import { receiptLines } from '../../store/inventory.js';
import { inboundById, updateInbound } from '../../store/warehouse-orders.js';
import { defineJobKind } from './kind.js';

export const InboundSendPayload = Type.Object(
  { inboundId: Type.String({ pattern: '^inb_[0-9a-z]{26}$', description: 'the receipt to announce' }) },
  { additionalProperties: false },
);

export const inboundSend = defineJobKind({
  name: 'inbound.send',
  description: 'announces an inbound receipt (ASN) to its warehouse',
  lane: 'outbound',
  payload: InboundSendPayload,
  dedupeKey: (p) => `inbound.send:${p.inboundId}`,
  handler: (deps) => ({
    async run(job) {
      const inbound = await inboundById(deps.store.db, job.payload.inboundId);
      // Sent already, or closed by hand meanwhile (a replay must not announce it again).
      if (!inbound || inbound.status === 'sent' || inbound.status === 'closed') {
        await deps.queue.complete(job);
        return;
      }
      job.routeTo?.(inbound.warehouse_id);
      const warehouse = deps.partners().warehouse?.(inbound.warehouse_id);
      if (!warehouse?.createInbound)
        throw new Error(`warehouse ${inbound.warehouse_id} is not configured for inbound receipts`);
      const lines = await receiptLines(deps.store.db, inbound.warehouse_id, inbound.id);
      const created = await warehouse.createInbound({
        reference: inbound.id,
        lines: lines.map((l) => ({ sku: l.sku, quantity: l.expected })),
      });
      await deps.store.write(async (trx) => {
        await updateInbound(trx, inbound.id, {
          status: 'sent',
          asn_no: created.asnNo,
          updated_at: Date.now(),
        });
        await deps.queue.complete(job, trx);
      });
    },
    async onDead(job) {
      await updateInbound(deps.store.db, job.payload.inboundId, { status: 'failed', updated_at: Date.now() });
    },
  }),
  deadLetter: { edit: null },
});
