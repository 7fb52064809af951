/**
 * Customs receipts (回执) read tolerantly — with or without the `ceb:` prefix, a BOM, a
 * `standalone` declaration, stray whitespace in values — and turned into canonical receipts:
 * which of our messages they answer (its guid), customs' status code and text, and the
 * canonical status that code means.
 */
import { XMLParser } from 'fast-xml-parser';
import type { CustomsDocument, DeclarationStatus } from '../../../domain/index.js';

/** Receipt message → the document it answers and the element holding each receipt. */
const RECEIPTS: Record<
  string,
  { document: CustomsDocument | 'waybill-summary' | 'summary'; element: string }
> = {
  CEB312Message: { document: 'order', element: 'OrderReturn' },
  CEB412Message: { document: 'payment', element: 'PaymentReturn' },
  CEB512Message: { document: 'waybill', element: 'LogisticsReturn' },
  CEB622Message: { document: 'inventory', element: 'InventoryReturn' },
  CEB624Message: { document: 'cancel', element: 'InvtCancelReturn' },
  CEB626Message: { document: 'return', element: 'InvtRefundReturn' },
  CEB304Message: { document: 'order', element: 'OrderReturn' },
  CEB506Message: { document: 'waybill', element: 'LogisticsReturn' },
  CEB604Message: { document: 'inventory', element: 'InventoryReturn' },
  CEB606Message: { document: 'cancel', element: 'InvtCancelReturn' },
  CEB608Message: { document: 'waybill-summary', element: 'WayBillReturn' },
  CEB702Message: { document: 'summary', element: 'SummaryReturn' },
};
export const RECEIPT_TYPES = Object.keys(RECEIPTS);

export interface CebReceipt {
  receiptType: string;
  document: string;
  /** The guid of the message answered (our declaration's guid). */
  guid: string;
  orderNo?: string;
  logisticsNo?: string;
  copNo?: string;
  preNo?: string;
  /** Customs' inventory list number, once it has one. */
  invtNo?: string;
  code: string;
  info: string;
  at: Date | null;
  status: DeclarationStatus;
}

/**
 * What customs' return status codes mean (海关回执状态): negative codes are the single
 * window's own checks failing; 1–3 received and passed on; 4 not delivered to customs;
 * 100 sent back (退单); 120 entered (入库); 300 manual review; 399 review concluded (审结);
 * 500–599 inspection and detention; 700 returned (退运); 800 released (放行); 899 closed (结关).
 */
export function statusOfCode(code: string): DeclarationStatus {
  const n = Number(code.trim());
  if (!Number.isFinite(n) || code.trim().startsWith('-')) return 'rejected';
  if (n === 4 || n === 100) return 'rejected';
  if (n >= 1 && n <= 3) return 'declared';
  if (n === 120 || n === 300 || n === 399) return 'accepted';
  if (n >= 500 && n <= 599) return 'inspection';
  if (n === 700) return 'returned';
  if (n === 800 || n === 899) return 'released';
  return 'declared';
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => Object.values(RECEIPTS).some((r) => r.element === name),
});

export class ReceiptUnreadable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReceiptUnreadable';
  }
}

const str = (v: unknown) =>
  typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : undefined;

/** Beijing time `YYYYMMDDhhmmssSSS` (or without milliseconds) as an instant; null when unreadable. */
export function parseCebTime(s: string | undefined): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/.exec(s ?? '');
  if (!m) return null;
  const [, y, mo, d, h, mi, se, ms] = m;
  const t = Date.UTC(+y!, +mo! - 1, +d!, +h! - 8, +mi!, +se!, ms ? +ms : 0);
  return Number.isFinite(t) ? new Date(t) : null;
}

/** Whether the XML is a receipt this connector reads, and which. */
export function receiptTypeOf(xml: string): string | undefined {
  const m = /<(?:[A-Za-z0-9_]+:)?(CEB\d{3}Message)\b/.exec(xml);
  return m && RECEIPTS[m[1]!] ? m[1] : undefined;
}

export function parseReceipts(xml: string): CebReceipt[] {
  const body = xml.replace(/^\uFEFF/, '');
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new ReceiptUnreadable('a DTD is refused');
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(body, true) as Record<string, unknown>;
  } catch (err) {
    throw new ReceiptUnreadable(`not well-formed XML: ${(err as Error).message.slice(0, 200)}`);
  }
  const type = Object.keys(doc).find((k) => RECEIPTS[k]);
  if (!type) throw new ReceiptUnreadable('not a CEB receipt this hub reads');
  const spec = RECEIPTS[type]!;
  const root = doc[type] as Record<string, unknown>;
  const items = (root[spec.element] ?? []) as Array<Record<string, unknown>>;
  if (items.length === 0) throw new ReceiptUnreadable(`${type} holds no ${spec.element}`);
  return items.map((r, i) => {
    const guid = str(r.guid);
    const code = str(r.returnStatus);
    if (!guid) throw new ReceiptUnreadable(`${spec.element}[${i}] has no guid`);
    if (!code) throw new ReceiptUnreadable(`${spec.element}[${i}] has no returnStatus`);
    const opt = (k: string) => (str(r[k]) ? { [k]: str(r[k])! } : {});
    return {
      receiptType: type.replace('Message', ''),
      document: spec.document,
      guid: guid.toUpperCase(),
      ...opt('orderNo'),
      ...opt('logisticsNo'),
      ...opt('copNo'),
      ...opt('preNo'),
      ...opt('invtNo'),
      code,
      info: str(r.returnInfo) ?? '',
      at: parseCebTime(str(r.returnTime)),
      status: statusOfCode(code),
    };
  });
}
