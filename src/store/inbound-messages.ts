/** Raw partner messages are kept sealed: they carry consignees' names, phones and addresses. */
import { compiled } from './compiled.js';
import { newId } from './ids.js';
import type { FieldSealer } from './sealing.js';
import type { Executor } from './transaction.js';
import type { InboundMessagesTable } from './schema.js';

export const INBOUND_BODY_CONTEXT = 'inbound_messages.body';

export interface NewInboundMessage {
  partnerId: string;
  kind: string;
  /** The partner's delivery id, or a hash of the body when it has none. */
  dedupeKey: string;
  body: string;
}

const insertRow = compiled((ex, row: InboundMessagesTable) =>
  ex
    .insertInto('inbound_messages')
    .values(row)
    .onConflict((oc) => oc.columns(['partner_id', 'kind', 'dedupe_key']).doNothing()),
);

/**
 * Stores a raw partner message, sealed. Returns its new id, or undefined when a message with the
 * same partner, kind and dedupe key is already stored (a re-delivery).
 */
export async function insertInboundMessage(
  ex: Executor,
  cipher: FieldSealer,
  m: NewInboundMessage,
  nowMs: number,
): Promise<string | undefined> {
  const id = newId('msg', nowMs);
  const res = await insertRow(ex, {
    id,
    partner_id: m.partnerId,
    kind: m.kind,
    dedupe_key: m.dedupeKey,
    received_at: nowMs,
    body: cipher.seal(m.body, INBOUND_BODY_CONTEXT),
  });
  return res.numAffectedRows ? id : undefined;
}
