/**
 * Statements per partner and period [003-5.9]: every bill of the month with what was billed,
 * what was due, what is disputed, credited, paid and still unpaid — in the bill's currency and,
 * at each bill's recorded rate, in the seller's reporting currency. Rendered as CSV (for the
 * accounts) and PDF (to send; the partner's name may be Chinese, so the font is a CJK one).
 *
 * A sales platform's statement lists the refunds paid back to buyers through it in the month
 * (returns completed, migration 026): each return with its order, amount and lines' count, totals
 * per currency and, at the refund day's rate, in the reporting currency. A partner that neither
 * has a rate card nor ever passed a refund on is unknown (`partner_not_found`).
 */
import { existsSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { WaygateError } from '../../domain/index.js';
import { convert, formatAmount, isPeriod, parseSignedAmount } from '../../domain/settlement/index.js';
import type { Store } from '../../store/db.js';
import { billsOf, disputesOf, getFxRate, linesOf } from '../../store/settlement.js';
import { listRefunds, type SettlementRefundsTable } from '../../store/refunds.js';
import type { RateCardBook } from './cards.js';
import { DEFAULT_REPORTING_CURRENCY } from './reconcile.js';

export interface StatementFigures {
  billed: string;
  expected: string;
  overcharged: string;
  disputed: string;
  credited: string;
  paid: string;
  unpaid: string;
}

export interface StatementBill extends StatementFigures {
  billNo: string;
  issuedOn: string;
  currency: string;
  status: string;
  lines: number;
  flagged: number;
  fx: { rate: string; day: string; source: string } | null;
  reporting: StatementFigures | null;
}

/** One refund of a platform's month. */
export interface StatementRefund {
  returnId: string;
  orderId: string;
  refundedOn: string;
  currency: string;
  amount: string;
  lines: number;
  fx: { rate: string; day: string; source: string } | null;
  /** The amount in the reporting currency; null when the day's rate is missing. */
  reporting: string | null;
}

export interface StatementRefunds {
  items: StatementRefund[];
  /** Per refund currency. */
  totals: Record<string, { count: number; amount: string }>;
  /** In the reporting currency; null when a refund's rate is missing. */
  totalReporting: string | null;
}

export interface Statement {
  partnerId: string;
  partnerName: string;
  period: string;
  reportingCurrency: string;
  bills: StatementBill[];
  /** Per bill currency (a partner may bill in more than one). */
  totals: Record<string, StatementFigures>;
  /** In the reporting currency; null when a bill's rate is missing. */
  totalsReporting: StatementFigures | null;
  /** Refunds paid back to buyers through this partner (a sales platform) in the period. */
  refunds: StatementRefunds;
  generatedAt: string;
}

async function refundsOf(
  store: Store,
  platform: string,
  period: string,
  reporting: string,
): Promise<StatementRefunds> {
  const rows: SettlementRefundsTable[] = [];
  for (let before: string | undefined; ;) {
    const page = await listRefunds(store.db, {
      platform,
      period,
      limit: 1000,
      ...(before !== undefined ? { beforeId: before } : {}),
    });
    rows.push(...page);
    if (page.length < 1000) break;
    before = page.at(-1)!.return_id;
  }
  // Oldest first, as a statement reads.
  rows.sort((a, b) => a.refunded_at - b.refunded_at || (a.return_id < b.return_id ? -1 : 1));
  const totals = new Map<string, { count: number; units: bigint }>();
  let totalRep = 0n;
  let repComplete = true;
  const items: StatementRefund[] = [];
  for (const r of rows) {
    const units = parseSignedAmount(r.amount);
    const t = totals.get(r.currency) ?? { count: 0, units: 0n };
    t.count++;
    t.units += units;
    totals.set(r.currency, t);
    const day = new Date(r.refunded_at).toISOString().slice(0, 10);
    const rate = r.currency === reporting ? undefined : await getFxRate(store.db, r.currency, reporting, day);
    const fx =
      r.currency === reporting
        ? { rate: '1', day, source: 'identity' }
        : rate
          ? { rate: rate.rate, day: rate.day, source: rate.source }
          : null;
    let rep: string | null = null;
    if (fx) {
      const converted = convert(units, { rate: fx.rate, quote: reporting });
      totalRep += converted;
      rep = formatAmount(converted, reporting);
    } else repComplete = false;
    items.push({
      returnId: r.return_id,
      orderId: r.order_id,
      refundedOn: day,
      currency: r.currency,
      amount: formatAmount(units, r.currency),
      lines: (JSON.parse(r.lines) as unknown[]).length,
      fx,
      reporting: rep,
    });
  }
  return {
    items,
    totals: Object.fromEntries(
      [...totals]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([c, t]) => [c, { count: t.count, amount: formatAmount(t.units, c) }]),
    ),
    totalReporting: repComplete ? formatAmount(totalRep, reporting) : null,
  };
}

const KEYS = ['billed', 'expected', 'overcharged', 'disputed', 'credited', 'paid', 'unpaid'] as const;
type Units = Record<(typeof KEYS)[number], bigint>;
const zero = (): Units => ({
  billed: 0n,
  expected: 0n,
  overcharged: 0n,
  disputed: 0n,
  credited: 0n,
  paid: 0n,
  unpaid: 0n,
});
const fmt = (u: Units, currency: string): StatementFigures =>
  Object.fromEntries(KEYS.map((k) => [k, formatAmount(u[k], currency)])) as unknown as StatementFigures;

export async function buildStatement(
  store: Store,
  book: RateCardBook,
  partnerId: string,
  period: string,
  opts: { reportingCurrency?: string; nowMs?: number } = {},
): Promise<Statement> {
  if (!isPeriod(period)) throw new WaygateError('settlement_period_invalid');
  if (
    !book.anyCard(partnerId) &&
    (await listRefunds(store.db, { platform: partnerId, limit: 1 })).length === 0
  )
    throw new WaygateError(
      'partner_not_found',
      `no rate card names ${partnerId} and no refund was paid back through it`,
    );
  const reporting = opts.reportingCurrency ?? DEFAULT_REPORTING_CURRENCY;
  const bills = await billsOf(store.db, partnerId, period);
  const disputes = await disputesOf(store.db, { billIds: bills.map((b) => b.id) });
  const totals = new Map<string, Units>();
  const totalRep = zero();
  let repComplete = true;
  const out: StatementBill[] = [];
  for (const b of bills) {
    const lines = await linesOf(store.db, b.id);
    const u = zero();
    let flagged = 0;
    for (const l of lines) {
      u.billed += parseSignedAmount(l.billed);
      if (l.expected !== null) u.expected += parseSignedAmount(l.expected);
      if (l.status !== 'ok' && l.status !== 'unreconciled') {
        flagged++;
        if (l.difference !== null) u.overcharged += parseSignedAmount(l.difference);
      }
    }
    for (const d of disputes.filter((x) => x.bill_id === b.id)) {
      if (d.status !== 'resolved') u.disputed += parseSignedAmount(d.amount);
      if (d.credit_amount) u.credited += parseSignedAmount(d.credit_amount);
    }
    u.paid = parseSignedAmount(b.paid);
    u.unpaid = u.billed - u.credited - u.paid;
    const t = totals.get(b.currency) ?? zero();
    for (const k of KEYS) t[k] += u[k];
    totals.set(b.currency, t);
    const rate = await getFxRate(store.db, b.currency, reporting, b.issued_on);
    const fx =
      b.currency === reporting
        ? { rate: '1', day: b.issued_on, source: 'identity' }
        : rate
          ? { rate: rate.rate, day: rate.day, source: rate.source }
          : null;
    let rep: Units | null = null;
    if (fx) {
      rep = zero();
      for (const k of KEYS) {
        rep[k] = convert(u[k], { rate: fx.rate, quote: reporting });
        totalRep[k] += rep[k];
      }
    } else repComplete = false;
    out.push({
      billNo: b.bill_no,
      issuedOn: b.issued_on,
      currency: b.currency,
      status: b.status,
      lines: lines.length,
      flagged,
      ...fmt(u, b.currency),
      fx,
      reporting: rep ? fmt(rep, reporting) : null,
    });
  }
  return {
    partnerId,
    partnerName: book.partnerName(partnerId),
    period,
    reportingCurrency: reporting,
    bills: out,
    totals: Object.fromEntries([...totals].map(([c, u]) => [c, fmt(u, c)])),
    totalsReporting: repComplete ? fmt(totalRep, reporting) : null,
    refunds: await refundsOf(store, partnerId, period, reporting),
    generatedAt: new Date(opts.nowMs ?? Date.now()).toISOString(),
  };
}

const HEADINGS = ['Billed', 'Expected', 'Over-charged', 'Disputed', 'Credited', 'Paid', 'Unpaid'];

export function renderStatementCsv(s: Statement): string {
  const rows: string[][] = [
    ['Statement', s.partnerName, s.partnerId, s.period],
    [
      'Bill No',
      'Issued',
      'Currency',
      'Lines',
      'Flagged',
      ...HEADINGS,
      'FX rate',
      'FX day',
      `Billed (${s.reportingCurrency})`,
      `Unpaid (${s.reportingCurrency})`,
    ],
  ];
  for (const b of s.bills)
    rows.push([
      b.billNo,
      b.issuedOn,
      b.currency,
      String(b.lines),
      String(b.flagged),
      ...KEYS.map((k) => b[k]),
      b.fx?.rate ?? '',
      b.fx?.day ?? '',
      b.reporting?.billed ?? '',
      b.reporting?.unpaid ?? '',
    ]);
  for (const [currency, t] of Object.entries(s.totals))
    rows.push(['Total', '', currency, '', '', ...KEYS.map((k) => t[k]), '', '', '', '']);
  if (s.totalsReporting)
    rows.push([
      'Total',
      '',
      s.reportingCurrency,
      '',
      '',
      ...KEYS.map((k) => s.totalsReporting![k]),
      '',
      '',
      '',
      '',
    ]);
  if (s.refunds.items.length > 0) {
    rows.push(
      [],
      ['Refunds', s.partnerId, s.period],
      [
        'Return',
        'Order',
        'Refunded',
        'Currency',
        'Lines',
        'Amount',
        'FX rate',
        'FX day',
        `Amount (${s.reportingCurrency})`,
      ],
    );
    for (const r of s.refunds.items)
      rows.push([
        r.returnId,
        r.orderId,
        r.refundedOn,
        r.currency,
        String(r.lines),
        r.amount,
        r.fx?.rate ?? '',
        r.fx?.day ?? '',
        r.reporting ?? '',
      ]);
    for (const [currency, t] of Object.entries(s.refunds.totals))
      rows.push(['Total refunds', '', '', currency, String(t.count), t.amount, '', '', '']);
    if (s.refunds.totalReporting !== null)
      rows.push([
        'Total refunds',
        '',
        '',
        s.reportingCurrency,
        String(s.refunds.items.length),
        s.refunds.totalReporting,
        '',
        '',
        '',
      ]);
  }
  // A spreadsheet must not run a partner-supplied bill number as a formula.
  const safe = rows.map((r) => r.map((c) => (/^[=+\-@\t\r]/.test(c) && !/^-?\d/.test(c) ? `'${c}` : c)));
  return `\uFEFF${stringify(safe)}`;
}

/** Fonts with CJK glyphs looked for when no path is configured (Debian packages). */
export const CJK_FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
];

/** The CJK font: `path`, else WAYGATE_CJK_FONT, else the first candidate installed. */
export function findCjkFont(path?: string): { path: string; family?: string } {
  const chosen = path ?? process.env.WAYGATE_CJK_FONT ?? CJK_FONT_CANDIDATES.find((p) => existsSync(p));
  if (!chosen || !existsSync(chosen))
    throw new Error(
      `no CJK font found (install fonts-wqy-zenhei, or set WAYGATE_CJK_FONT to a .ttf/.ttc/.otf file)`,
    );
  // A collection (.ttc) needs the face's PostScript name.
  const family = /wqy-zenhei\.ttc$/.test(chosen)
    ? 'WenQuanYiZenHei'
    : /wqy-microhei\.ttc$/.test(chosen)
      ? 'WenQuanYiMicroHei'
      : /NotoSansCJK-Regular\.ttc$/.test(chosen)
        ? 'NotoSansCJKsc-Regular'
        : undefined;
  return { path: chosen, ...(family ? { family } : {}) };
}

export async function renderStatementPdf(s: Statement, fontPath?: string): Promise<Buffer> {
  const font = findCjkFont(fontPath);
  // Loaded on first use: pdfkit takes seconds to load and only statements need it.
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: 36,
    info: { Title: `Statement ${s.partnerId} ${s.period}` },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  if (font.family) doc.registerFont('cjk', font.path, font.family);
  else doc.registerFont('cjk', font.path);
  doc.font('cjk');
  doc.fontSize(16).text(`Statement — ${s.partnerName}`);
  doc.fontSize(10).text(`Partner ${s.partnerId} · period ${s.period} · generated ${s.generatedAt}`);
  doc.moveDown();

  const cols = [
    { h: 'Bill No', w: 110 },
    { h: 'Issued', w: 62 },
    { h: 'Cur', w: 30 },
    { h: 'Lines', w: 36 },
    { h: 'Flagged', w: 42 },
    ...HEADINGS.map((h) => ({ h, w: 62 })),
    { h: `Unpaid ${s.reportingCurrency}`, w: 70 },
  ];
  const row = (cells: string[], bold = false, columns: ReadonlyArray<{ w: number }> = cols) => {
    const y = doc.y;
    let x = doc.page.margins.left;
    doc.fontSize(8);
    cells.forEach((c, i) => {
      const w = columns[i]!.w;
      doc.text(c, x, y, { width: w - 4, align: i >= 3 ? 'right' : 'left', lineBreak: false });
      x += w;
    });
    if (bold)
      doc
        .moveTo(doc.page.margins.left, y - 2)
        .lineTo(x, y - 2)
        .stroke();
    doc.y = y + 14;
    if (doc.y > doc.page.height - doc.page.margins.bottom - 20) doc.addPage();
  };
  row(cols.map((c) => c.h));
  for (const b of s.bills)
    row([
      b.billNo,
      b.issuedOn,
      b.currency,
      String(b.lines),
      String(b.flagged),
      ...KEYS.map((k) => b[k]),
      b.reporting?.unpaid ?? '—',
    ]);
  for (const [currency, t] of Object.entries(s.totals))
    row([`Total ${currency}`, '', currency, '', '', ...KEYS.map((k) => t[k]), ''], true);
  if (s.totalsReporting)
    row(
      [
        `Total ${s.reportingCurrency}`,
        '',
        s.reportingCurrency,
        '',
        '',
        ...KEYS.map((k) => s.totalsReporting![k]),
        '',
      ],
      true,
    );
  doc.moveDown();
  doc.x = doc.page.margins.left;
  doc.fontSize(8);
  for (const b of s.bills.filter((x) => x.fx && x.currency !== s.reportingCurrency))
    doc.text(
      `${b.billNo}: 1 ${b.currency} = ${b.fx!.rate} ${s.reportingCurrency} (${b.fx!.source}, ${b.fx!.day})`,
    );
  if (s.refunds.items.length > 0) {
    doc.moveDown();
    doc.fontSize(12).text(`Refunds paid back to buyers through ${s.partnerName} — ${s.period}`);
    doc.moveDown(0.5);
    const rc = [
      { h: 'Return', w: 130 },
      { h: 'Order', w: 130 },
      { h: 'Refunded', w: 62 },
      { h: 'Cur', w: 30 },
      { h: 'Lines', w: 36 },
      { h: 'Amount', w: 70 },
      { h: `Amount ${s.reportingCurrency}`, w: 80 },
    ];
    row(
      rc.map((c) => c.h),
      false,
      rc,
    );
    for (const r of s.refunds.items)
      row(
        [r.returnId, r.orderId, r.refundedOn, r.currency, String(r.lines), r.amount, r.reporting ?? '—'],
        false,
        rc,
      );
    for (const [currency, t] of Object.entries(s.refunds.totals))
      row([`Total refunds ${currency}`, `${t.count} refunds`, '', currency, '', t.amount, ''], true, rc);
    if (s.refunds.totalReporting !== null)
      row(
        [
          `Total refunds ${s.reportingCurrency}`,
          `${s.refunds.items.length} refunds`,
          '',
          s.reportingCurrency,
          '',
          '',
          s.refunds.totalReporting,
        ],
        true,
        rc,
      );
  }
  doc.end();
  return done;
}
