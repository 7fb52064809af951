/**
 * Bills in the canonical shape, and the column mapping that reads a partner's bill into it.
 * A mapping is data (in the partner's rate-card file), so a partner without an API — a CSV or
 * XLSX upload — is configured, not coded; partner field names stay in configuration.
 */
import { isCurrencyCode } from '../codes.js';
import { minorDigits, parseAmount } from './currency.js';
import type { BilledLine } from './reconcile.js';

export interface Bill {
  partnerId: string;
  billNo: string;
  currency: string;
  /** YYYY-MM-DD */
  issuedOn: string;
  /** YYYY-MM: the month the bill covers. */
  period: string;
  lines: BilledLine[];
}

export interface BillMapping {
  /** `json`: an object with a list of line objects; `table`: CSV/XLSX rows, one per line. */
  format: 'json' | 'table';
  /** The partner's bill endpoint, a path with `{period}` (YYYY-MM), when bills can be pulled. */
  pull?: string;
  /** json: the key of the lines' list. */
  lines?: string;
  /** table, XLSX: the worksheet holding the bill (default: the first). */
  sheet?: string;
  /** Bill-level fields: top-level keys (json) or columns repeated on every row (table). */
  header: { billNo: string; currency: string; issuedOn: string; period?: string };
  line: {
    waybillNo: string;
    lineNo?: string;
    weightKg?: string;
    zone?: string;
    /** Warehouse bills: the days the goods of the line's order were stored. */
    days?: string;
    total: string;
    /** Charge code (`freight`, `fuel`, a surcharge code) → the partner's field or column. */
    charges: Record<string, string>;
  };
}

export interface BillIssue {
  /** `line 3` / `row 4` / `header`. */
  where: string;
  field: string;
  message: string;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
const AMOUNT_RE = /^-?\d{1,12}(\.\d{1,4})?$/;
const KG_RE = /^\d{1,4}(\.\d{1,3})?$/;
// A waybill number, or for a warehouse bill the order's reference (`ord_…`).
const WAYBILL_RE = /^[A-Za-z0-9_-]{4,40}$/;

export function isPeriod(v: string): boolean {
  return PERIOD_RE.test(v);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Cells of one line, by the partner's field names. */
type Cells = Record<string, unknown>;

/**
 * Reads a partner bill into the canonical shape. `source` is the parsed JSON document (json) or
 * the rows of a table keyed by header (table, with spreadsheet row numbers). Every issue is
 * reported; the bill is returned only when there are none.
 */
export function mapBill(
  partnerId: string,
  source: { format: 'json'; value: unknown } | { format: 'table'; rows: { row: number; values: Cells }[] },
  m: BillMapping,
): { bill?: Bill; issues: BillIssue[] } {
  const issues: BillIssue[] = [];
  let headerCells: Cells;
  let lineCells: { where: string; cells: Cells }[];
  if (source.format === 'json') {
    if (!isObject(source.value))
      return { issues: [{ where: 'bill', field: '(root)', message: 'must be an object' }] };
    headerCells = source.value;
    const list = source.value[m.lines ?? 'lines'];
    if (!Array.isArray(list)) {
      return { issues: [{ where: 'bill', field: m.lines ?? 'lines', message: 'must be a list of lines' }] };
    }
    lineCells = list.map((cells, i) => ({ where: `line ${i + 1}`, cells: isObject(cells) ? cells : {} }));
  } else {
    if (source.rows.length === 0)
      return { issues: [{ where: 'bill', field: '(rows)', message: 'has no lines' }] };
    headerCells = source.rows[0]!.values;
    lineCells = source.rows.map((r) => ({ where: `row ${r.row}`, cells: r.values }));
  }

  const head = (field: keyof BillMapping['header'], re: RegExp | ((v: string) => boolean), what: string) => {
    const key = m.header[field];
    if (key === undefined) return undefined;
    const v = text(headerCells[key]);
    const ok = v !== undefined && (typeof re === 'function' ? re(v) : re.test(v));
    if (!ok) issues.push({ where: 'header', field: key, message: `must be ${what}` });
    return ok ? v : undefined;
  };
  const billNo = head('billNo', /^[A-Za-z0-9._/-]{1,64}$/, 'a bill number');
  const currency = head('currency', isCurrencyCode, 'an ISO 4217 currency code');
  const issuedOn = head('issuedOn', DAY_RE, 'a date YYYY-MM-DD');
  const period = head('period', PERIOD_RE, 'a month YYYY-MM') ?? issuedOn?.slice(0, 7);

  const lines: BilledLine[] = [];
  const lineNos = new Set<number>();
  const cur = currency ?? 'XXX';
  const money = (where: string, key: string, v: unknown, optional: boolean): bigint | undefined => {
    const t = text(v);
    if (t === undefined || t === '') {
      if (!optional) issues.push({ where, field: key, message: 'is required' });
      return optional ? 0n : undefined;
    }
    if (!AMOUNT_RE.test(t)) {
      issues.push({ where, field: key, message: 'must be a decimal amount' });
      return undefined;
    }
    const negative = t.startsWith('-');
    const units = parseAmount(negative ? t.slice(1) : t);
    if (currency && units % 10n ** BigInt(4 - minorDigits(cur)) !== 0n) {
      issues.push({ where, field: key, message: `has more decimals than ${cur} has` });
      return undefined;
    }
    return negative ? -units : units;
  };
  lineCells.forEach(({ where, cells }, i) => {
    const waybillNo = text(cells[m.line.waybillNo]);
    if (!waybillNo || !WAYBILL_RE.test(waybillNo))
      issues.push({ where, field: m.line.waybillNo, message: 'must be a waybill number' });
    let lineNo = i + 1;
    if (m.line.lineNo !== undefined) {
      const t = text(cells[m.line.lineNo]);
      if (!t || !/^[1-9]\d{0,6}$/.test(t))
        issues.push({ where, field: m.line.lineNo, message: 'must be a line number' });
      else lineNo = Number(t);
    }
    if (lineNos.has(lineNo))
      issues.push({ where, field: m.line.lineNo ?? '(line)', message: `line ${lineNo} repeats` });
    lineNos.add(lineNo);
    let weightGrams: number | undefined;
    if (m.line.weightKg !== undefined) {
      const t = text(cells[m.line.weightKg]);
      if (t !== undefined && t !== '') {
        if (!KG_RE.test(t)) issues.push({ where, field: m.line.weightKg, message: 'must be a weight in kg' });
        else {
          const [w = '0', f = ''] = t.split('.');
          weightGrams = Number(w) * 1000 + Number(f.padEnd(3, '0'));
        }
      }
    }
    const zone = m.line.zone !== undefined ? text(cells[m.line.zone]) || undefined : undefined;
    let storageDays: number | undefined;
    if (m.line.days !== undefined) {
      const t = text(cells[m.line.days]);
      if (t !== undefined && t !== '') {
        if (!/^\d{1,4}$/.test(t))
          issues.push({ where, field: m.line.days, message: 'must be a whole number of days' });
        else storageDays = Number(t);
      }
    }
    const charges: BilledLine['charges'] = [];
    for (const [code, key] of Object.entries(m.line.charges)) {
      const units = money(where, key, cells[key], true);
      if (units !== undefined && units !== 0n) charges.push({ code, units });
    }
    const totalUnits = money(where, m.line.total, cells[m.line.total], false);
    if (waybillNo && totalUnits !== undefined)
      lines.push({
        lineNo,
        waybillNo,
        ...(weightGrams !== undefined ? { weightGrams } : {}),
        ...(zone ? { zone } : {}),
        ...(storageDays !== undefined ? { storageDays } : {}),
        charges,
        totalUnits,
      });
  });
  if (source.format === 'table') {
    // Bill-level columns must agree on every row: one file is one bill.
    for (const { where, cells } of lineCells.slice(1))
      for (const key of [m.header.billNo, m.header.currency])
        if (text(cells[key]) !== text(headerCells[key]))
          issues.push({ where, field: key, message: 'differs from the first row: one file is one bill' });
  }
  if (issues.length || !billNo || !currency || !issuedOn || !period) return { issues };
  return { bill: { partnerId, billNo, currency, issuedOn, period, lines }, issues };
}

/** Validates a mapping read from a rate-card file (paths relative to the mapping). */
export function validateBillMapping(raw: unknown): {
  mapping?: BillMapping;
  issues: { path: (string | number)[]; message: string }[];
} {
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (!isObject(raw)) return { issues: [{ path: [], message: 'must be a mapping' }] };
  const name = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 64;
  if (raw.format !== 'json' && raw.format !== 'table')
    issues.push({ path: ['format'], message: 'must be json or table' });
  if (raw.pull !== undefined && (typeof raw.pull !== 'string' || !/^\/[\w./?=&{}-]{0,200}$/.test(raw.pull)))
    issues.push({ path: ['pull'], message: 'must be a path such as /bills?period={period}' });
  if (raw.format === 'json' && !name(raw.lines))
    issues.push({ path: ['lines'], message: 'must name the key of the lines' });
  if (raw.sheet !== undefined && (raw.format !== 'table' || !name(raw.sheet)))
    issues.push({ path: ['sheet'], message: 'must name a worksheet of a table bill' });
  const header = isObject(raw.header) ? raw.header : {};
  if (!isObject(raw.header))
    issues.push({ path: ['header'], message: 'must map billNo, currency, issuedOn' });
  for (const k of ['billNo', 'currency', 'issuedOn'])
    if (!name(header[k])) issues.push({ path: ['header', k], message: 'must name a field or column' });
  if (header.period !== undefined && !name(header.period))
    issues.push({ path: ['header', 'period'], message: 'must name a field or column' });
  const line = isObject(raw.line) ? raw.line : {};
  if (!isObject(raw.line)) issues.push({ path: ['line'], message: 'must map waybillNo, total and charges' });
  for (const k of ['waybillNo', 'total'])
    if (!name(line[k])) issues.push({ path: ['line', k], message: 'must name a field or column' });
  for (const k of ['lineNo', 'weightKg', 'zone', 'days'])
    if (line[k] !== undefined && !name(line[k]))
      issues.push({ path: ['line', k], message: 'must name a field or column' });
  if (!isObject(line.charges) || Object.keys(line.charges).length === 0)
    issues.push({ path: ['line', 'charges'], message: 'must map charge codes to fields or columns' });
  else
    for (const [code, v] of Object.entries(line.charges))
      if (!/^[a-z][a-z0-9_]{0,31}$/.test(code) || !name(v))
        issues.push({
          path: ['line', 'charges', code],
          message: 'must map a charge code to a field or column',
        });
  if (issues.length) return { issues };
  return { mapping: raw as unknown as BillMapping, issues };
}
