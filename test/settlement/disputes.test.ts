/**
 * Disputes and statements on SQLite and PostgreSQL: a flagged line disputed from open to
 * resolved with a credit note, each step in the audit log; the statement as CSV and as PDF, the
 * PDF's extracted text holding the totals and the partner's Chinese name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { loadRateCards } from '../../src/pipeline/settlement/cards.js';
import { receiveBill, recordPayment } from '../../src/pipeline/settlement/bills.js';
import { reconcileBill } from '../../src/pipeline/settlement/reconcile.js';
import {
  answerDispute,
  attachToDispute,
  commentDispute,
  openDispute,
  resolveDispute,
  sendDispute,
} from '../../src/pipeline/settlement/disputes.js';
import {
  buildStatement,
  renderStatementCsv,
  renderStatementPdf,
} from '../../src/pipeline/settlement/statement.js';
import { issueSandboxBill, renderAlphaBill } from '../../src/sandbox/billing.js';
import { listAudit } from '../../src/store/audit.js';
import { linesOf } from '../../src/store/settlement.js';
import { fixedRates, shipOrders } from './helpers.js';

const book = loadRateCards(new URL('../../config/rate-cards', import.meta.url).pathname);
const alpha = book.carrierCard('carrier-alpha', '2026-11-01')!;

async function reconciledBill(store: TestStore) {
  const entries = await shipOrders(store, 'carrier-alpha', 40, 'al');
  let s = 5;
  const random = () => ((s = (s * 16807) % 2147483647), s / 2147483647);
  const bill = issueSandboxBill(
    alpha,
    entries,
    { billNo: 'ALPHA-2026-11', period: '2026-11', issuedOn: '2026-12-01' },
    { overchargeShare: 0.3, random },
  );
  const received = await receiveBill(store, book, {
    partnerId: 'carrier-alpha',
    format: 'json',
    body: renderAlphaBill(bill),
  });
  const summary = await reconcileBill(store, book, received.billId, {
    reportingCurrency: 'CNY',
    fx: fixedRates({ 'USD/CNY': '7.1234' }),
    actor: 'ops',
  });
  const flagged = (await linesOf(store.db, received.billId)).filter((l) => l.status === 'discrepancy');
  return { billId: received.billId, summary, flagged };
}

for (const dialect of DIALECTS) {
  describe(`disputes and statements on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
    });
    afterEach(async () => {
      await store.destroy();
    });

    it('takes a dispute from open to resolved with a credit note, every step audited', async () => {
      const { billId, flagged } = await reconciledBill(store);
      const line = flagged[0]!;
      const t0 = Date.UTC(2026, 11, 3);
      const opened = await openDispute(store, { billId, lineNo: line.line_no, actor: 'finance.li' }, t0);
      expect(opened).toMatchObject({
        status: 'open',
        amount: line.difference,
        currency: 'USD',
        deadline: '2027-01-02',
      });
      await expect(
        openDispute(store, { billId, lineNo: line.line_no, actor: 'finance.li' }),
      ).rejects.toMatchObject({
        code: 'dispute_already_open',
      });
      // Not in order: an open dispute cannot be answered or resolved.
      await expect(answerDispute(store, opened.id, 'ok', 'finance.li')).rejects.toMatchObject({
        code: 'dispute_transition_invalid',
      });
      await commentDispute(store, opened.id, 'weighed again at our warehouse: 1.5 kg', 'finance.li', t0 + 1);
      await attachToDispute(
        store,
        opened.id,
        { name: 'scale.jpg', content: Buffer.from('jpeg bytes') },
        'finance.li',
        t0 + 2,
      );
      await sendDispute(store, opened.id, 'finance.li', t0 + 3);
      await answerDispute(store, opened.id, 'agreed, credit note follows', 'finance.li', t0 + 4);
      const resolved = await resolveDispute(
        store,
        opened.id,
        { resolution: 'credit_note', creditNoteNo: 'CN-7781', creditAmount: line.difference! },
        'finance.li',
        t0 + 5,
      );
      expect(resolved).toMatchObject({
        status: 'resolved',
        resolution: 'credit_note',
        creditNoteNo: 'CN-7781',
      });
      expect(resolved.comments.map((c) => c.text)).toEqual([
        'weighed again at our warehouse: 1.5 kg',
        'agreed, credit note follows',
      ]);
      expect(resolved.attachments[0]).toMatchObject({ name: 'scale.jpg', bytes: 10 });
      await expect(sendDispute(store, opened.id, 'finance.li')).rejects.toMatchObject({
        code: 'dispute_transition_invalid',
      });

      const audit = (await listAudit(store.db, { target: opened.id, limit: 50 })).reverse();
      expect(audit.map((a) => [a.action, a.detail.from ?? null, a.detail.to ?? null])).toEqual([
        ['settlement.dispute.open', null, null],
        ['settlement.dispute.comment', 'open', 'open'],
        ['settlement.dispute.attach', 'open', 'open'],
        ['settlement.dispute.send', 'open', 'sent'],
        ['settlement.dispute.answer', 'sent', 'answered'],
        ['settlement.dispute.resolve', 'answered', 'resolved'],
      ]);
      expect(audit.at(-1)!.detail).toMatchObject({ creditNoteNo: 'CN-7781', creditAmount: line.difference });
      expect(audit.every((a) => a.actor === 'finance.li')).toBe(true);
    });

    it('refuses a credit above the disputed amount and a dispute of a correct line', async () => {
      const { billId, flagged } = await reconciledBill(store);
      const okLine = (await linesOf(store.db, billId)).find((l) => l.status === 'ok')!;
      await expect(openDispute(store, { billId, lineNo: okLine.line_no, actor: 'x' })).rejects.toMatchObject({
        code: 'dispute_invalid',
      });
      const d = await openDispute(store, { billId, lineNo: flagged[0]!.line_no, actor: 'x' });
      await sendDispute(store, d.id, 'x');
      for (const creditAmount of ['0', '-1.00', '99999.00', '1.001', 'abc'])
        await expect(
          resolveDispute(store, d.id, { resolution: 'credit_note', creditNoteNo: 'CN-1', creditAmount }, 'x'),
        ).rejects.toMatchObject({ code: 'dispute_invalid' });
    });

    it('renders the statement as CSV and as PDF with the totals and the Chinese partner name', async () => {
      const { billId, summary, flagged } = await reconciledBill(store);
      const d = await openDispute(store, { billId, lineNo: flagged[0]!.line_no, actor: 'x' });
      await sendDispute(store, d.id, 'x');
      await resolveDispute(
        store,
        d.id,
        { resolution: 'credit_note', creditNoteNo: 'CN-1', creditAmount: '1.00' },
        'x',
      );
      await openDispute(store, { billId, lineNo: flagged[1]!.line_no, actor: 'x' });
      await recordPayment(store, billId, '100.00', 'x');

      const st = await buildStatement(store, book, 'carrier-alpha', '2026-11', { reportingCurrency: 'CNY' });
      const usd = st.totals.USD!;
      expect(usd.billed).toBe(summary.billed);
      expect(usd.expected).toBe(summary.expected);
      expect(usd.credited).toBe('1.00');
      expect(usd.disputed).toBe(flagged[1]!.difference);
      expect(usd.paid).toBe('100.00');
      const cents = (a: string) => Math.round(Number(a) * 100);
      expect(cents(usd.unpaid)).toBe(cents(usd.billed) - 100 - 10_000);
      expect(st.totalsReporting).not.toBeNull();

      const csv = parse(renderStatementCsv(st), { bom: true, relax_column_count: true }) as string[][];
      expect(csv[0]).toEqual(['Statement', '阿尔法国际快递 (Carrier Alpha)', 'carrier-alpha', '2026-11']);
      const total = csv.find((r) => r[0] === 'Total' && r[2] === 'USD')!;
      expect(total.slice(5, 12)).toEqual([
        usd.billed,
        usd.expected,
        usd.overcharged,
        usd.disputed,
        usd.credited,
        usd.paid,
        usd.unpaid,
      ]);

      const pdf = await renderStatementPdf(st);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const dir = mkdtempSync(join(tmpdir(), 'waygate-stmt-'));
      try {
        writeFileSync(join(dir, 's.pdf'), pdf);
        const text = execFileSync('pdftotext', ['-layout', join(dir, 's.pdf'), '-'], { encoding: 'utf8' });
        expect(text).toContain('阿尔法国际快递');
        for (const v of [usd.billed, usd.unpaid, st.totalsReporting!.billed]) expect(text).toContain(v);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
