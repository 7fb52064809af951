/**
 * Bills in [003-5.9]: a partner's bill, pulled from its API or uploaded as a file, is stored raw
 * (sealed, like every inbound message) before it is parsed; then read through the partner's
 * column mapping into the canonical bill and stored with its lines, unreconciled. A bill that
 * cannot be read stays stored as received and the error names each line and field.
 */
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
// Types only: exceljs takes seconds to load, so only reading an XLSX bill loads it.
import type ExcelJS from 'exceljs';
import type { CarrierConnector } from '../../connectors/types.js';
import { WaygateError } from '../../domain/index.js';
import {
  formatAmount,
  isPeriod,
  mapBill,
  parseAmount,
  type Bill,
  type BillMapping,
} from '../../domain/settlement/index.js';
import { recordAudit } from '../../store/audit.js';
import type { Store } from '../../store/db.js';
import { newId } from '../../store/ids.js';
import { findInboundMessageId, insertInboundMessage } from '../../store/inbound-messages.js';
import {
  findBillByNo,
  getBill,
  insertBill,
  setBillPaid,
  type SettlementLinesTable,
} from '../../store/settlement.js';
import type { RateCardBook } from './cards.js';

export type BillFormat = 'json' | 'csv' | 'xlsx';

export interface IncomingBill {
  partnerId: string;
  format: BillFormat;
  /** The bill as received: text for json/csv, the file's bytes for xlsx. */
  body: string | Buffer;
  /**
   * How to read it, for a partner without an API whose file comes with its own column mapping
   * (an upload's `mapping`, the CLI's `--mapping FILE`); default: the mapping of its rate card.
   */
  mapping?: BillMapping;
}

export interface ReceivedBill {
  billId: string;
  messageId: string;
  /** False when the same bill was received before (a re-delivery): nothing new was stored. */
  created: boolean;
  billNo: string;
  lines: number;
}

const MAX_LINES = 200_000;

/**
 * A spreadsheet cell as the text a CSV would hold: dates as YYYY-MM-DD, numbers (stored as binary
 * floating point by XLSX) to at most 4 decimals so 12.3 is "12.3", not "12.300000000000001";
 * a formula by its cached result.
 */
function cellText(cell: ExcelJS.Cell): string {
  let v: unknown = cell.value;
  if (v && typeof v === 'object' && 'result' in v) v = (v as { result: unknown }).result;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toFixed(4))) : '';
  if (v && typeof v === 'object' && 'richText' in v)
    return (v as { richText: { text: string }[] }).richText
      .map((r) => r.text)
      .join('')
      .trim();
  return cell.text.trim();
}

async function rowsOf(format: 'csv' | 'xlsx', body: string | Buffer, sheetName?: string) {
  if (format === 'csv') {
    let records: Record<string, string>[];
    try {
      records = parse(body, { columns: true, bom: true, skip_empty_lines: true, trim: true }) as Record<
        string,
        string
      >[];
    } catch (err) {
      throw new WaygateError(
        'settlement_bill_unreadable',
        `the CSV cannot be read: ${(err as Error).message}`,
      );
    }
    return records.map((values, i) => ({ row: i + 2, values }));
  }
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  try {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'base64');
    await wb.xlsx.load(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    );
  } catch {
    throw new WaygateError('settlement_bill_unreadable', 'the XLSX file cannot be read');
  }
  const sheet = sheetName ? wb.getWorksheet(sheetName) : wb.worksheets[0];
  if (!sheet)
    throw new WaygateError(
      'settlement_bill_unreadable',
      sheetName ? `the XLSX file has no sheet named ${sheetName}` : 'the XLSX file has no sheet',
    );
  const header: string[] = [];
  sheet.getRow(1).eachCell((cell, col) => (header[col] = cellText(cell)));
  const rows: { row: number; values: Record<string, string> }[] = [];
  sheet.eachRow((row, n) => {
    if (n === 1) return;
    const values: Record<string, string> = {};
    row.eachCell((cell, col) => {
      const key = header[col];
      if (key) values[key] = cellText(cell);
    });
    if (Object.keys(values).length) rows.push({ row: n, values });
  });
  return rows;
}

/** Reads a received bill into the canonical form (no I/O but the parse). */
export async function readBill(book: RateCardBook, incoming: IncomingBill): Promise<Bill> {
  const mapping = incoming.mapping ?? book.billMapping(incoming.partnerId);
  if (!mapping)
    throw new WaygateError(
      'settlement_no_rate_card',
      `no bill mapping is configured for ${incoming.partnerId}`,
    );
  let source: Parameters<typeof mapBill>[1];
  if (incoming.format === 'json') {
    if (mapping.format !== 'json')
      throw new WaygateError(
        'settlement_bill_unreadable',
        `${incoming.partnerId} bills are tables (CSV/XLSX), not JSON`,
      );
    let value: unknown;
    try {
      value = JSON.parse(incoming.body.toString());
    } catch {
      throw new WaygateError('settlement_bill_unreadable', 'the bill is not valid JSON');
    }
    source = { format: 'json', value };
  } else {
    if (mapping.format !== 'table')
      throw new WaygateError(
        'settlement_bill_unreadable',
        `${incoming.partnerId} bills are JSON, not ${incoming.format.toUpperCase()}`,
      );
    source = { format: 'table', rows: await rowsOf(incoming.format, incoming.body, mapping.sheet) };
  }
  const { bill, issues } = mapBill(incoming.partnerId, source, mapping);
  if (!bill)
    throw new WaygateError('settlement_bill_unreadable', undefined, {
      issues: issues.slice(0, 100),
      issueCount: issues.length,
    });
  if (bill.lines.length > MAX_LINES)
    throw new WaygateError('settlement_bill_unreadable', `a bill holds at most ${MAX_LINES} lines`);
  return bill;
}

export async function receiveBill(
  store: Store,
  book: RateCardBook,
  incoming: IncomingBill,
  nowMs = Date.now(),
): Promise<ReceivedBill> {
  if (!book.anyCard(incoming.partnerId))
    throw new WaygateError('partner_not_found', `no rate card names ${incoming.partnerId}`);
  const raw = Buffer.isBuffer(incoming.body) ? incoming.body.toString('base64') : incoming.body;
  const dedupeKey = createHash('sha256').update(raw).digest('hex');
  const kind = `bill.${incoming.format}`;
  // Kept first, in its own commit: a bill that fails to parse is still on record as received.
  const messageId =
    (await store.write((trx) =>
      insertInboundMessage(
        trx,
        store.keys.cipher,
        { partnerId: incoming.partnerId, kind, dedupeKey, body: raw },
        nowMs,
      ),
    )) ?? (await findInboundMessageId(store.db, incoming.partnerId, kind, dedupeKey));
  if (!messageId) throw new Error('the raw bill was neither stored nor found');

  let bill: Bill;
  try {
    bill = await readBill(book, incoming);
  } catch (err) {
    if (err instanceof WaygateError) {
      const details = (err.details ?? {}) as Record<string, unknown>;
      throw new WaygateError(err.code, err.message, { ...details, messageId });
    }
    throw err;
  }
  const id = newId('bill', nowMs);
  const lines: SettlementLinesTable[] = bill.lines.map((l) => ({
    bill_id: id,
    line_no: l.lineNo,
    waybill_no: l.waybillNo,
    billed: formatAmount(l.totalUnits, bill.currency),
    detail: JSON.stringify({
      ...(l.weightGrams !== undefined ? { weightGrams: l.weightGrams } : {}),
      ...(l.zone !== undefined ? { zone: l.zone } : {}),
      ...(l.storageDays !== undefined ? { storageDays: l.storageDays } : {}),
      charges: l.charges.map((c) => ({ code: c.code, amount: formatAmount(c.units, bill.currency) })),
    }),
    status: 'unreconciled',
    expected: null,
    difference: null,
    discrepancies: '[]',
    reporting_currency: null,
    billed_reporting: null,
    difference_reporting: null,
    fx_rate: null,
    fx_day: null,
    fx_source: null,
  }));
  const total = bill.lines.reduce((a, l) => a + l.totalUnits, 0n);
  const created = await store.write((trx) =>
    insertBill(
      trx,
      {
        id,
        partner_id: bill.partnerId,
        bill_no: bill.billNo,
        period: bill.period,
        issued_on: bill.issuedOn,
        currency: bill.currency,
        message_id: messageId,
        line_count: lines.length,
        total: formatAmount(total, bill.currency),
        status: 'received',
        paid: formatAmount(0n, bill.currency),
        received_at: nowMs,
        reconciled_at: null,
      },
      lines,
    ),
  );
  if (created) return { billId: id, messageId, created: true, billNo: bill.billNo, lines: lines.length };
  const existing = await findBillByNo(store.db, bill.partnerId, bill.billNo);
  if (existing?.message_id === messageId)
    return {
      billId: existing.id,
      messageId,
      created: false,
      billNo: bill.billNo,
      lines: existing.line_count,
    };
  throw new WaygateError('settlement_bill_conflict', undefined, { billNo: bill.billNo, messageId });
}

/**
 * Pulls a carrier's bill of a period through its connector (`bills.fetch` on the connector
 * contract), then receives it like any bill: kept raw first, read with the rate card's mapping.
 */
export async function pullBill(
  store: Store,
  book: RateCardBook,
  carrier: Pick<CarrierConnector, 'manifest' | 'fetchBill'>,
  period: string,
  nowMs = Date.now(),
): Promise<ReceivedBill> {
  if (!isPeriod(period)) throw new WaygateError('settlement_period_invalid');
  const partnerId = carrier.manifest.id;
  if (!carrier.fetchBill)
    throw new WaygateError('settlement_no_rate_card', `${partnerId} does not serve its bills (bills.fetch)`);
  const doc = await carrier.fetchBill(period);
  return receiveBill(store, book, { partnerId, format: doc.format, body: doc.body }, nowMs);
}

/** Records what was paid on a bill so far (replaces the previous figure), audited. */
export async function recordPayment(
  store: Store,
  billId: string,
  paid: string,
  actor: string,
  nowMs = Date.now(),
): Promise<void> {
  const bill = await getBill(store.db, billId);
  if (!bill) throw new WaygateError('settlement_bill_not_found');
  let units: bigint;
  try {
    units = parseAmount(paid);
  } catch {
    throw new WaygateError('validation_failed', 'paid must be a decimal amount');
  }
  const amount = formatAmount(units, bill.currency);
  if (parseAmount(amount) !== units)
    throw new WaygateError('validation_failed', `paid has more decimals than ${bill.currency} has`);
  await store.write(async (trx) => {
    await setBillPaid(trx, billId, amount);
    await recordAudit(
      trx,
      {
        actor,
        action: 'settlement.bill.paid',
        target: billId,
        detail: { paid: amount, currency: bill.currency },
        outcome: 'ok',
      },
      nowMs,
    );
  });
}
