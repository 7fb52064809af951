/**
 * `return.settle`: settles an inspected return. A refund pays back every unit that came back
 * (resellable or damaged; missing units are not refunded) and is recorded as the return's
 * refund event and as a refund in the settlement ledger (finance's `GET /v1/settlement/refunds`); an exchange creates the replacement order (an ordinary order: it is routed,
 * reserved and shipped like any other) for the units that came back. Either way the return is
 * `completed` and its platform told. The replacement's external id is derived from the return,
 * so a retried settle finds the order it created rather than creating another.
 */
import { Type } from '@sinclair/typebox';
import type { OrderInput } from '../../domain/index.js';
import { getOrderRow, readOrder } from '../../store/orders.js';
import { lockReturn, returnById } from '../../store/returns.js';
import { acceptOrder } from '../accept-order.js';
import { linesOf, recordRefund, refundAmount, transition } from '../returns.js';
import { defineJobKind } from './kind.js';

export const ReturnSettlePayload = Type.Object(
  { returnId: Type.String({ pattern: '^rma_[0-9a-z]{26}$', description: 'the return to settle' }) },
  { additionalProperties: false },
);

export const returnSettle = defineJobKind({
  name: 'return.settle',
  description:
    'settles an inspected return: records its refund (units that came back), or creates the exchange’s replacement order',
  lane: 'outbound',
  payload: ReturnSettlePayload,
  dedupeKey: (p) => `return.settle:${p.returnId}`,
  handler: (deps) => ({
    async run(job) {
      const ret = await returnById(deps.store.db, job.payload.returnId);
      if (!ret || ret.status !== 'inspected') {
        await deps.queue.complete(job);
        return;
      }
      const lines = linesOf(ret);
      let replacementId: string | null = null;
      let note: string;
      const amount = ret.kind === 'refund' ? refundAmount(lines) : null;
      if (ret.kind === 'exchange') {
        const row = await getOrderRow(deps.store.db, ret.order_id);
        if (!row) throw new Error(`order ${ret.order_id} of return ${ret.id} is gone`);
        const original = await readOrder(deps.store.keys, row);
        const items = lines
          .filter((l) => l.resellable + l.damaged > 0)
          .map((l) => {
            const item = original.items.find((i) => i.sku === l.sku);
            return { ...item, sku: l.exchangeSku ?? l.sku, quantity: l.resellable + l.damaged };
          }) as OrderInput['items'];
        if (items.length > 0) {
          const input: OrderInput = {
            source: original.source,
            externalId: `${original.externalId.slice(0, 60)}-exchange-${ret.id}`,
            currency: original.currency,
            recipient: original.recipient,
            items,
            notes: `replacement for return ${ret.id} of order ${original.id}`,
          };
          const accepted = await acceptOrder(deps.store, input, { caller: 'returns' });
          replacementId = accepted.id;
          note = `replacement order ${accepted.id} for ${items.map((i) => `${i.quantity} × ${i.sku}`).join(', ')}`;
        } else note = 'nothing came back: no replacement sent';
      } else note = `refund ${amount} ${ret.currency}`;
      const nowMs = Date.now();
      await deps.store.write(async (trx) => {
        const now = await lockReturn(trx, ret.id);
        if (now?.status === 'inspected') {
          // Finance sees the refund in the settlement ledger, committed with the completion.
          if (amount !== null) await recordRefund(trx, now, amount, nowMs);
          await transition(trx, now, 'completed', note, nowMs, {
            ...(amount !== null ? { refund_amount: amount } : {}),
            ...(replacementId ? { replacement_order_id: replacementId } : {}),
          });
        }
        await deps.queue.complete(job, trx);
      });
    },
  }),
  deadLetter: { edit: null },
});
