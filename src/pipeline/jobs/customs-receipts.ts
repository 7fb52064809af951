/**
 * `customs.receipts`: one recurring job per customs partner reads its receipts (transfer client
 * inbox or HTTP), stores each sealed and applies it once (pipeline/customs/receipts.ts), then
 * re-arms itself. A recurring job in the queue rather than a timer per node: several hub nodes
 * read the inbox once, not N times.
 */
import { Type } from '@sinclair/typebox';
import { PartnerCallError } from '../../connectors/errors.js';
import type { Store } from '../../store/db.js';
import { applyInbox } from '../customs/receipts.js';
import { customsSettingsOf } from '../customs/runtime.js';
import { transferOf } from '../customs/transfer.js';
import type { PartnerDirectory } from '../partners.js';
import { defineJobKind } from './kind.js';

export const CustomsReceiptsPayload = Type.Object(
  {
    partner: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
      description: 'the customs partner whose receipts are read',
    }),
  },
  { additionalProperties: false },
);

export const DEFAULT_RECEIPT_POLL_MS = 5_000;

export const customsReceipts = defineJobKind({
  name: 'customs.receipts',
  description:
    "reads a customs partner's receipts, applies each once (accepted, rejected with customs' code, released) and re-arms itself",
  lane: 'outbound',
  payload: CustomsReceiptsPayload,
  partnerOf: (p) => p.partner,
  dedupeKey: (p) => `customs.receipts:${p.partner}`,
  // A recurring read never dead-letters on its own: it is re-armed after every run.
  maxAttempts: 1_000_000,
  handler: (deps) => ({
    async run(job) {
      const settings = customsSettingsOf(deps);
      const transfer =
        settings?.partner === job.payload.partner
          ? transferOf(deps.partners().customs?.(job.payload.partner))
          : undefined;
      if (!transfer) {
        await deps.queue.complete(job);
        return;
      }
      const next = Date.now() + (settings?.receiptPollMs ?? DEFAULT_RECEIPT_POLL_MS);
      try {
        await applyInbox({ store: deps.store, partnerId: job.payload.partner, transfer });
      } catch (err) {
        if (err instanceof PartnerCallError && !err.retryable) {
          await deps.queue.retryLater(job, next, JSON.stringify(err.toJSON()));
          return;
        }
        if (!(err instanceof PartnerCallError)) throw err;
      }
      await deps.queue.reschedule(job, next);
    },
  }),
  deadLetter: { edit: null },
});

/** Arms the receipt reader of the configured customs partner (the dedupe key keeps it at one). */
export async function ensureCustomsReceipts(deps: {
  store: Store;
  partners: () => PartnerDirectory;
}): Promise<void> {
  const partner = deps.partners().customsSettings?.()?.partner;
  if (partner && transferOf(deps.partners().customs?.(partner)))
    await customsReceipts.enqueue(deps.store.db, { partner });
}
