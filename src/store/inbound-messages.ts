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

/** The id of the message stored under this partner, kind and dedupe key, if any. */
export async function findInboundMessageId(
  ex: Executor,
  partnerId: string,
  kind: string,
  dedupeKey: string,
): Promise<string | undefined> {
  const row = await ex
    .selectFrom('inbound_messages')
    .select('id')
    .where('partner_id', '=', partnerId)
    .where('kind', '=', kind)
    .where('dedupe_key', '=', dedupeKey)
    .executeTakeFirst();
  return row?.id;
}

/** A stored message's sealed body and when it was received, if it is still there. */
export async function getInboundMessage(
  ex: Executor,
  id: string,
): Promise<{ sealedBody: string; receivedAt: number } | undefined> {
  const row = await ex
    .selectFrom('inbound_messages')
    .select(['body', 'received_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { sealedBody: row.body, receivedAt: row.received_at } : undefined;
}

/** One page of stored messages from these partners with id > `after`, in id order (bodies sealed). */
export async function inboundMessagesPage(
  ex: Executor,
  partnerIds: readonly string[],
  after: string,
  limit: number,
): Promise<{ id: string; partnerId: string; kind: string; receivedAt: number; sealedBody: string }[]> {
  if (partnerIds.length === 0) return [];
  const rows = await ex
    .selectFrom('inbound_messages')
    .select(['id', 'partner_id', 'kind', 'received_at', 'body'])
    .where('partner_id', 'in', [...partnerIds])
    .where('id', '>', after)
    .orderBy('id', 'asc')
    .limit(limit)
    .execute();
  return rows.map((m) => ({
    id: m.id,
    partnerId: m.partner_id,
    kind: m.kind,
    receivedAt: m.received_at,
    sealedBody: m.body,
  }));
}

/** Replaces a stored message's body (erasure leaves a sealed tombstone). */
export async function replaceInboundBody(
  ex: Executor,
  cipher: FieldSealer,
  id: string,
  body: string,
): Promise<void> {
  await ex
    .updateTable('inbound_messages')
    .set({ body: cipher.seal(body, INBOUND_BODY_CONTEXT) })
    .where('id', '=', id)
    .execute();
}
