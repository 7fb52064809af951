/**
 * Customs declarations: one row per message of an order (its CEB311, CEB511, CEB621 …), the
 * status receipts move it through, and its history. Customs' texts and the message as sent are
 * sealed (they name the buyer and the consignee); the history keeps a masked note.
 */
import type { FieldSealer } from './sealing.js';
import type { Executor } from './transaction.js';
import type { CustomsDeclarationsTable } from './schema.js';

export const MESSAGE_CONTEXT = 'customs_declarations.message';
export const INFO_CONTEXT = 'customs_declarations.info';

export type DeclarationRow = CustomsDeclarationsTable;

export interface NewDeclaration {
  id: string;
  orderId: string;
  partnerId: string;
  direction: string;
  document: string;
  messageType: string;
  status: string;
  guid: string;
  orderNo: string;
  logisticsNo: string | null;
  discrepancies: string | null;
  note: string;
  nowMs: number;
}

/** Inserts a declaration with its first history line; false when the order already has this message. */
export async function insertDeclaration(ex: Executor, d: NewDeclaration): Promise<boolean> {
  const res = await ex
    .insertInto('customs_declarations')
    .values({
      id: d.id,
      order_id: d.orderId,
      partner_id: d.partnerId,
      direction: d.direction,
      document: d.document,
      message_type: d.messageType,
      status: d.status,
      guid: d.guid,
      order_no: d.orderNo,
      logistics_no: d.logisticsNo,
      customs_no: null,
      last_code: null,
      last_info_sealed: null,
      discrepancies: d.discrepancies,
      override_by: null,
      message_sealed: null,
      sent_at: null,
      created_at: d.nowMs,
      updated_at: d.nowMs,
    })
    .onConflict((oc) => oc.columns(['order_id', 'message_type']).doNothing())
    .executeTakeFirst();
  if (!Number(res.numInsertedOrUpdatedRows ?? 0n)) return false;
  await appendDeclarationHistory(ex, d.id, d.status, null, d.note, d.nowMs);
  return true;
}

export async function appendDeclarationHistory(
  ex: Executor,
  declarationId: string,
  status: string,
  code: string | null,
  note: string,
  nowMs: number,
): Promise<void> {
  await ex
    .insertInto('customs_history')
    .values({ declaration_id: declarationId, at: nowMs, status, code, note })
    .execute();
}

export async function getDeclaration(ex: Executor, id: string): Promise<DeclarationRow | undefined> {
  return ex.selectFrom('customs_declarations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function declarationByGuid(ex: Executor, guid: string): Promise<DeclarationRow | undefined> {
  return ex.selectFrom('customs_declarations').selectAll().where('guid', '=', guid).executeTakeFirst();
}

export async function declarationsOfOrder(ex: Executor, orderId: string): Promise<DeclarationRow[]> {
  return ex
    .selectFrom('customs_declarations')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export interface DeclarationFilter {
  status?: string;
  orderId?: string;
  beforeId?: string;
  limit: number;
}

export async function listDeclarations(ex: Executor, f: DeclarationFilter): Promise<DeclarationRow[]> {
  let q = ex.selectFrom('customs_declarations').selectAll();
  if (f.status) q = q.where('status', '=', f.status);
  if (f.orderId) q = q.where('order_id', '=', f.orderId);
  if (f.beforeId) q = q.where('id', '<', f.beforeId);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

export async function declarationHistory(ex: Executor, declarationId: string) {
  const rows = await ex
    .selectFrom('customs_history')
    .select(['at', 'status', 'code', 'note'])
    .where('declaration_id', '=', declarationId)
    .orderBy('id', 'asc')
    .execute();
  return rows.map((r) => ({
    at: new Date(Number(r.at)).toISOString(),
    status: r.status,
    code: r.code,
    note: r.note,
  }));
}

/**
 * Moves a declaration from `from` to `to` with a history line; false (nothing written) when it
 * is no longer in `from` — so a receipt or an operator racing another changes it once.
 */
export async function moveDeclaration(
  ex: Executor,
  cipher: FieldSealer,
  id: string,
  from: string,
  to: string,
  change: {
    code?: string | null;
    info?: string;
    customsNo?: string | null;
    discrepancies?: string | null;
    overrideBy?: string | null;
    note: string;
    nowMs: number;
  },
): Promise<boolean> {
  const res = await ex
    .updateTable('customs_declarations')
    .set({
      status: to,
      updated_at: change.nowMs,
      ...(change.code !== undefined ? { last_code: change.code } : {}),
      ...(change.info !== undefined ? { last_info_sealed: cipher.seal(change.info, INFO_CONTEXT) } : {}),
      ...(change.customsNo ? { customs_no: change.customsNo } : {}),
      ...(change.discrepancies !== undefined ? { discrepancies: change.discrepancies } : {}),
      ...(change.overrideBy !== undefined ? { override_by: change.overrideBy } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  if (!Number(res.numUpdatedRows)) return false;
  await appendDeclarationHistory(ex, id, to, change.code ?? null, change.note, change.nowMs);
  return true;
}

/** Keeps the prepared envelope (sealed) before it is written, so a retry sends the same bytes. */
export async function savePrepared(
  ex: Executor,
  cipher: FieldSealer,
  id: string,
  envelope: string,
): Promise<void> {
  await ex
    .updateTable('customs_declarations')
    .set({ message_sealed: cipher.seal(envelope, MESSAGE_CONTEXT) })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .where('message_sealed', 'is', null)
    .execute();
}

/** Records the signed message as written to the outbox (sealed) and its status `declared`. */
export async function recordSent(
  ex: Executor,
  cipher: FieldSealer,
  id: string,
  message: string,
  nowMs: number,
): Promise<boolean> {
  const res = await ex
    .updateTable('customs_declarations')
    .set({
      status: 'declared',
      message_sealed: cipher.seal(message, MESSAGE_CONTEXT),
      sent_at: nowMs,
      updated_at: nowMs,
    })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  if (!Number(res.numUpdatedRows)) return false;
  await appendDeclarationHistory(ex, id, 'declared', null, 'written to the transfer client outbox', nowMs);
  return true;
}

/** Counts by status (the demo's summary). */
export async function declarationCounts(ex: Executor): Promise<Record<string, number>> {
  const rows = await ex
    .selectFrom('customs_declarations')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
