/**
 * Disputes of billed lines [003-5.9]: open → sent → answered → resolved, resolved either by the
 * partner's credit note or by accepting the charge. Each dispute has a deadline, comments and
 * attachments (kept sealed like inbound messages, listed by name and SHA-256), and every change
 * of state is one transaction with its audit entry, so the log holds the whole story.
 */
import { createHash } from 'node:crypto';
import { WaygateError } from '../../domain/index.js';
import { formatAmount, parseSignedAmount } from '../../domain/settlement/index.js';
import type { Store } from '../../store/db.js';
import { recordAudit } from '../../store/audit.js';
import { newId } from '../../store/ids.js';
import { findInboundMessageId, insertInboundMessage } from '../../store/inbound-messages.js';
import {
  activeDisputeForLine,
  getBill,
  getDispute,
  insertDispute,
  linesOf,
  updateDispute,
  type SettlementDisputesTable,
} from '../../store/settlement.js';

export const DISPUTE_STATUSES = ['open', 'sent', 'answered', 'resolved'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

export interface DisputeView {
  id: string;
  partnerId: string;
  billId: string;
  lineNo: number | null;
  status: DisputeStatus;
  reason: string;
  amount: string;
  currency: string;
  deadline: string;
  resolution: 'credit_note' | 'accepted' | null;
  creditNoteNo: string | null;
  creditAmount: string | null;
  comments: { at: string; actor: string; text: string }[];
  attachments: { name: string; sha256: string; bytes: number; messageId: string }[];
  createdAt: string;
  updatedAt: string;
}

export function toDisputeView(r: SettlementDisputesTable): DisputeView {
  return {
    id: r.id,
    partnerId: r.partner_id,
    billId: r.bill_id,
    lineNo: r.line_no,
    status: r.status as DisputeStatus,
    reason: r.reason,
    amount: r.amount,
    currency: r.currency,
    deadline: r.deadline,
    resolution: r.resolution as DisputeView['resolution'],
    creditNoteNo: r.credit_note_no,
    creditAmount: r.credit_amount,
    comments: JSON.parse(r.comments) as DisputeView['comments'],
    attachments: JSON.parse(r.attachments) as DisputeView['attachments'],
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

const TEXT_MAX = 2000;
const DAY_MS = 86_400_000;

function text(v: string | undefined, what: string, required: boolean): string {
  const t = (v ?? '').trim();
  if (required && !t) throw new WaygateError('dispute_invalid', `give ${what}`);
  if (t.length > TEXT_MAX)
    throw new WaygateError('dispute_invalid', `${what} holds at most ${TEXT_MAX} characters`);
  return t;
}

async function load(store: Store, id: string): Promise<SettlementDisputesTable> {
  const d = await getDispute(store.db, id);
  if (!d) throw new WaygateError('dispute_not_found');
  return d;
}

/** Moves a dispute from one of `from` to `to`, applying `set`, with its audit entry. */
async function move(
  store: Store,
  d: SettlementDisputesTable,
  action: string,
  from: readonly DisputeStatus[],
  to: DisputeStatus,
  set: Partial<SettlementDisputesTable>,
  actor: string,
  detail: Record<string, unknown>,
  nowMs: number,
): Promise<DisputeView> {
  if (!from.includes(d.status as DisputeStatus))
    throw new WaygateError('dispute_transition_invalid', undefined, { status: d.status, action });
  const moved = await store.write(async (trx) => {
    if (!(await updateDispute(trx, d.id, d.status, { ...set, status: to, updated_at: nowMs }))) return false;
    await recordAudit(
      trx,
      {
        actor,
        action: `settlement.dispute.${action}`,
        target: d.id,
        detail: { bill: d.bill_id, line: d.line_no, from: d.status, to, ...detail },
        outcome: 'ok',
      },
      nowMs,
    );
    return true;
  });
  // Someone else moved it first: report the state it is in now.
  if (!moved) {
    const now = await load(store, d.id);
    throw new WaygateError('dispute_transition_invalid', undefined, { status: now.status, action });
  }
  return toDisputeView(await load(store, d.id));
}

export async function openDispute(
  store: Store,
  a: { billId: string; lineNo: number; reason?: string; deadlineDays?: number; actor: string },
  nowMs = Date.now(),
): Promise<DisputeView> {
  const bill = await getBill(store.db, a.billId);
  if (!bill) throw new WaygateError('settlement_bill_not_found');
  const line = (await linesOf(store.db, a.billId)).find((l) => l.line_no === a.lineNo);
  if (!line) throw new WaygateError('settlement_line_not_found');
  if (line.status === 'ok' || line.status === 'unreconciled')
    throw new WaygateError(
      'dispute_invalid',
      `line ${a.lineNo} is ${line.status}: only a flagged line is disputed`,
    );
  const days = a.deadlineDays ?? 30;
  if (!Number.isInteger(days) || days < 1 || days > 365)
    throw new WaygateError('dispute_invalid', 'the deadline is 1 to 365 days away');
  const reason =
    text(a.reason, 'a reason', false) ||
    (JSON.parse(line.discrepancies) as { component: string; note?: string }[])
      .map((d) => (d.note ? `${d.component}: ${d.note}` : d.component))
      .join('; ') ||
    line.status;
  const id = newId('dsp', nowMs);
  await store.write(async (trx) => {
    if (await activeDisputeForLine(trx, a.billId, a.lineNo)) throw new WaygateError('dispute_already_open');
    await insertDispute(trx, {
      id,
      partner_id: bill.partner_id,
      bill_id: bill.id,
      line_no: a.lineNo,
      status: 'open',
      reason,
      amount: line.difference ?? line.billed,
      currency: bill.currency,
      deadline: new Date(nowMs + days * DAY_MS).toISOString().slice(0, 10),
      resolution: null,
      credit_note_no: null,
      credit_amount: null,
      comments: '[]',
      attachments: '[]',
      created_at: nowMs,
      updated_at: nowMs,
    });
    await recordAudit(
      trx,
      {
        actor: a.actor,
        action: 'settlement.dispute.open',
        target: id,
        detail: { bill: bill.id, line: a.lineNo, amount: line.difference, currency: bill.currency },
        outcome: 'ok',
      },
      nowMs,
    );
  });
  return toDisputeView(await load(store, id));
}

export async function sendDispute(store: Store, id: string, actor: string, nowMs = Date.now()) {
  const d = await load(store, id);
  return move(store, d, 'send', ['open'], 'sent', {}, actor, {}, nowMs);
}

export async function answerDispute(
  store: Store,
  id: string,
  answer: string,
  actor: string,
  nowMs = Date.now(),
) {
  const d = await load(store, id);
  const t = text(answer, "the partner's answer", true);
  const comments = [
    ...(JSON.parse(d.comments) as unknown[]),
    { at: new Date(nowMs).toISOString(), actor, text: t },
  ];
  return move(
    store,
    d,
    'answer',
    ['sent'],
    'answered',
    { comments: JSON.stringify(comments) },
    actor,
    {},
    nowMs,
  );
}

export type Resolution =
  { resolution: 'credit_note'; creditNoteNo: string; creditAmount: string } | { resolution: 'accepted' };

export async function resolveDispute(
  store: Store,
  id: string,
  r: Resolution,
  actor: string,
  nowMs = Date.now(),
) {
  const d = await load(store, id);
  if (r.resolution === 'accepted')
    return move(
      store,
      d,
      'resolve',
      ['sent', 'answered'],
      'resolved',
      { resolution: 'accepted' },
      actor,
      { resolution: 'accepted' },
      nowMs,
    );
  if (r.resolution !== 'credit_note')
    throw new WaygateError('dispute_invalid', 'resolution is credit_note or accepted');
  const no = text(r.creditNoteNo, 'the credit note number', true);
  if (!/^[A-Za-z0-9._/-]{1,64}$/.test(no))
    throw new WaygateError('dispute_invalid', 'the credit note number is invalid');
  let credit: bigint;
  try {
    credit = parseSignedAmount(r.creditAmount);
  } catch {
    throw new WaygateError('dispute_invalid', 'the credit amount must be a decimal');
  }
  const disputed = parseSignedAmount(d.amount);
  if (credit <= 0n || credit > (disputed < 0n ? -disputed : disputed))
    throw new WaygateError(
      'dispute_invalid',
      `the credit is above 0 and at most the disputed ${d.amount} ${d.currency}`,
    );
  const amount = formatAmount(credit, d.currency);
  if (parseSignedAmount(amount) !== credit)
    throw new WaygateError('dispute_invalid', `the credit has more decimals than ${d.currency} has`);
  return move(
    store,
    d,
    'resolve',
    ['sent', 'answered'],
    'resolved',
    { resolution: 'credit_note', credit_note_no: no, credit_amount: amount },
    actor,
    { resolution: 'credit_note', creditNoteNo: no, creditAmount: amount },
    nowMs,
  );
}

export async function commentDispute(
  store: Store,
  id: string,
  comment: string,
  actor: string,
  nowMs = Date.now(),
) {
  const d = await load(store, id);
  const t = text(comment, 'a comment', true);
  const comments = [
    ...(JSON.parse(d.comments) as unknown[]),
    { at: new Date(nowMs).toISOString(), actor, text: t },
  ];
  const status = d.status as DisputeStatus;
  return move(
    store,
    d,
    'comment',
    ['open', 'sent', 'answered'],
    status,
    { comments: JSON.stringify(comments) },
    actor,
    {},
    nowMs,
  );
}

const MAX_ATTACHMENT = 5 * 1024 * 1024;

export async function attachToDispute(
  store: Store,
  id: string,
  file: { name: string; content: Buffer },
  actor: string,
  nowMs = Date.now(),
) {
  const d = await load(store, id);
  const name = text(file.name, 'a file name', true);
  // A name, not a path; no control characters to spoof a listing.
  if (/[/\\]/.test(name) || [...name].some((c) => c.charCodeAt(0) < 32) || name.length > 200)
    throw new WaygateError('dispute_invalid', 'the file name is invalid');
  if (file.content.length === 0 || file.content.length > MAX_ATTACHMENT)
    throw new WaygateError('dispute_invalid', `an attachment is 1 byte to ${MAX_ATTACHMENT} bytes`);
  const sha256 = createHash('sha256').update(file.content).digest('hex');
  const messageId =
    (await store.write((trx) =>
      insertInboundMessage(
        trx,
        store.keys.cipher,
        {
          partnerId: d.partner_id,
          kind: 'dispute.attachment',
          dedupeKey: `${d.id}:${sha256}`,
          body: file.content.toString('base64'),
        },
        nowMs,
      ),
    )) ??
    (await findInboundMessageId(store.db, d.partner_id, 'dispute.attachment', `${d.id}:${sha256}`)) ??
    '';
  const attachments = [
    ...(JSON.parse(d.attachments) as unknown[]),
    { name, sha256, bytes: file.content.length, messageId },
  ];
  const status = d.status as DisputeStatus;
  return move(
    store,
    d,
    'attach',
    ['open', 'sent', 'answered'],
    status,
    { attachments: JSON.stringify(attachments) },
    actor,
    { sha256 },
    nowMs,
  );
}
