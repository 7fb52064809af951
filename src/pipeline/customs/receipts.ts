/**
 * Customs receipts from the transfer client's inbox, applied once each. A file is claimed
 * (atomic rename), stored sealed as an inbound message under the SHA-256 of its bytes, and its
 * receipts applied in the same transaction; only then is the file moved to `.done/`. After a
 * crash anywhere in that, the file is still claimed; the next run stores it again, finds it
 * already stored, and applies nothing twice.
 */
import { createHash } from 'node:crypto';
import { maskFreeText, receiptMayMove, type DeclarationStatus } from '../../domain/index.js';
import { unwrapEnvelope, EnvelopeUnreadable } from '../../connectors/customs/china-ceb/envelope.js';
import {
  parseReceipts,
  ReceiptUnreadable,
  type CebReceipt,
} from '../../connectors/customs/china-ceb/receipts.js';
import { declarationByGuid, moveDeclaration } from '../../store/customs.js';
import type { Store } from '../../store/db.js';
import { insertInboundMessage } from '../../store/inbound-messages.js';
import type { CustomsTransfer } from './transfer.js';
import { crashPoint } from '../crash-point.js';

export const RECEIPT_KIND = 'customs.receipt';

export interface InboxOutcome {
  files: number;
  /** Receipts that moved a declaration. */
  applied: number;
  /** Files already applied before (a re-read after a crash, or a re-delivery). */
  duplicates: number;
  /** Files that are not receipts this hub reads (kept, sealed, for an operator). */
  unreadable: number;
  /** Receipts naming no declaration of ours. */
  unknown: number;
}

export interface InboxDeps {
  store: Store;
  partnerId: string;
  transfer: CustomsTransfer;
  now?: () => Date;
  /** Test seam: called after a file's receipts are committed and before the file is moved. */
  afterCommit?: (file: string) => void;
}

function readReceipts(content: string): CebReceipt[] {
  const { message } = unwrapEnvelope(content);
  return parseReceipts(message);
}

export async function applyInbox(deps: InboxDeps): Promise<InboxOutcome> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const out: InboxOutcome = { files: 0, applied: 0, duplicates: 0, unreadable: 0, unknown: 0 };
  for (let file = await deps.transfer.next(); file; file = await deps.transfer.next()) {
    out.files++;
    crashPoint('customs.receipt-read');
    let receipts: CebReceipt[] = [];
    let unreadable = false;
    try {
      receipts = readReceipts(file.content);
    } catch (err) {
      if (!(err instanceof ReceiptUnreadable || err instanceof EnvelopeUnreadable)) throw err;
      unreadable = true;
    }
    const dedupeKey = createHash('sha256').update(file.content).digest('hex');
    const nowMs = now().getTime();
    await store.write(async (trx) => {
      const stored = await insertInboundMessage(
        trx,
        store.keys.cipher,
        {
          partnerId: deps.partnerId,
          kind: unreadable ? `${RECEIPT_KIND}.unreadable` : RECEIPT_KIND,
          dedupeKey,
          body: file.content,
        },
        nowMs,
      );
      if (!stored) {
        out.duplicates++;
        return;
      }
      if (unreadable) {
        out.unreadable++;
        return;
      }
      for (const r of receipts) {
        const d = await declarationByGuid(trx, r.guid);
        if (!d) {
          out.unknown++;
          continue;
        }
        if (!receiptMayMove(d.status as DeclarationStatus, r.status)) continue;
        const moved = await moveDeclaration(trx, store.keys.cipher, d.id, d.status, r.status, {
          code: r.code,
          info: r.info,
          customsNo: r.invtNo ?? r.preNo ?? null,
          note: `${r.receiptType} ${r.code}: ${maskFreeText(r.info, 200)}`,
          nowMs: r.at?.getTime() ?? nowMs,
        });
        if (moved) out.applied++;
      }
    });
    crashPoint('customs.receipt-applied');
    deps.afterCommit?.(file.name);
    await deps.transfer.acknowledge(file);
  }
  return out;
}
