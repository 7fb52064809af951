/**
 * `customs.declare`: declares what an order into or out of China needs now [000-2] — the order
 * (CEB311/303, and the payment CEB411 when the order carries one) once it is accepted, the
 * waybill (CEB511/505) once the carrier issued it, the inventory list (CEB621/603) once the
 * three-document match passes or an authorised user overrode the hold. Queued at each of those
 * moments in the transaction that made it happen; the run declares whatever is due (each
 * message once), so two triggers meeting declare nothing twice.
 *
 * A message that cannot be built — a field nobody supplies, the XSD refusing it — is never sent:
 * the job goes to the dead letters naming the field, or the element and the rule. Fix the data or
 * the configuration and replay it; the failed declarations are built again. A partner that is
 * down (folders unwritable, HTTP failing) is retried like any partner call.
 */
import { Type } from '@sinclair/typebox';
import { customsDirection, WaygateError } from '../../domain/index.js';
import { getOrderRow, type OrderRecord } from '../../store/orders.js';
import type { Executor } from '../../store/transaction.js';
import { declareOrder, reserveOrderMessages, type DeclareOutcome } from '../customs/declare.js';
import { customsDepsOf, customsSettingsOf } from '../customs/runtime.js';
import { declaresFor, type CustomsSettings } from '../customs/settings.js';
import { defineJobKind } from './kind.js';

export const CustomsDeclarePayload = Type.Object(
  {
    orderId: Type.String({ pattern: '^ord_[0-9a-z]{26}$', description: 'the order declared' }),
    stage: Type.Union([Type.Literal('order'), Type.Literal('waybill'), Type.Literal('override')], {
      description: 'what made it due: the order accepted, its waybill issued, a hold overridden',
    }),
  },
  { additionalProperties: false },
);

/** Why a message was not sent, as the error the dead letters keep. */
export function failureError(f: DeclareOutcome['failed'][number]): WaygateError {
  if (f.field)
    return new WaygateError('customs_field_missing', `${f.messageType} not sent: ${f.reason}`, {
      messageType: f.messageType,
      field: f.field,
    });
  if (f.problems)
    return new WaygateError('customs_message_invalid', `${f.messageType} not sent: ${f.reason}`, {
      messageType: f.messageType,
      problems: f.problems.slice(0, 20).map((p) => ({
        element: p.element,
        rule: p.rule,
        line: p.line,
        message: p.message,
      })),
    });
  return new WaygateError('customs_xsd_unavailable', `${f.messageType} not sent: ${f.reason}`, {
    messageType: f.messageType,
  });
}

export const customsDeclare = defineJobKind({
  name: 'customs.declare',
  description:
    'declares what an order into or out of China needs now (order, waybill, inventory list after the three-document match); an invalid message is dead-lettered, never sent',
  lane: 'outbound',
  payload: CustomsDeclarePayload,
  dedupeKey: (p) => `customs.declare:${p.orderId}:${p.stage}`,
  handler: (deps) => ({
    async run(job) {
      const settings = customsSettingsOf(deps);
      const row = await getOrderRow(deps.store.db, job.payload.orderId);
      // Queued under a profile since removed from the configuration: nothing is declared.
      if (!row || row.status === 'cancelled' || !declaresFor(settings, row.source) || !settings) {
        await deps.queue.complete(job);
        return;
      }
      const customs = customsDepsOf(deps, settings);
      job.routeTo?.(customs.partnerId);
      const out = await declareOrder(customs, job.payload.orderId, { retryFailed: true });
      const failed = out.failed[0];
      if (failed) throw failureError(failed);
      await deps.queue.complete(job);
    },
  }),
  // The payload names only the order: fix its data, the catalogue or the configuration, then replay.
  deadLetter: { edit: null },
});

/**
 * Queues a declaration run (in the caller's transaction) when the order crosses the Chinese
 * border and its source has a customs profile in the configuration in force; otherwise nothing
 * is queued — a seller who declares nothing to customs sees no customs job.
 *
 * The order stage is announced once per order, whatever retries: its messages are added as rows
 * in this transaction and the run is queued only when they are new (a retried or doubled
 * shipment.create finds them and queues nothing). The waybill stage is announced in the
 * transaction that stores the waybill, which happens once.
 */
export async function announceCustoms(
  trx: Executor,
  settings: CustomsSettings | undefined,
  order: Pick<OrderRecord, 'id' | 'source' | 'externalId' | 'destinationCountry' | 'items' | 'payment'>,
  stage: 'order' | 'waybill' | 'override',
  nowMs = Date.now(),
): Promise<boolean> {
  if (!settings?.partner || !declaresFor(settings, order.source)) return false;
  if (!customsDirection(order.items[0]?.originCountry, order.destinationCountry)) return false;
  if (stage === 'order' && !(await reserveOrderMessages(trx, settings.partner, order, nowMs))) return false;
  await customsDeclare.enqueue(trx, { orderId: order.id, stage }, nowMs);
  return true;
}
