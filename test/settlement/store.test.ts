/**
 * Bills in and reconciled through the store, on SQLite and PostgreSQL: the raw bill is kept
 * before it is parsed, each planted over-charge is flagged with its component and its amounts in
 * the bill's and the reporting currency, with the rate and day recorded on the line.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { loadRateCards } from '../../src/pipeline/settlement/cards.js';
import { receiveBill } from '../../src/pipeline/settlement/bills.js';
import { reconcileBill, reconcilePeriod } from '../../src/pipeline/settlement/reconcile.js';
import { enterRate } from '../../src/pipeline/settlement/fx.js';
import { issueSandboxBill, renderAlphaBill, renderBetaBill } from '../../src/sandbox/billing.js';
import { convert, parseSignedAmount, formatAmount } from '../../src/domain/settlement/index.js';
import { getInboundMessage } from '../../src/store/inbound-messages.js';
import { getFxRate, linesOf } from '../../src/store/settlement.js';
import { WaygateError } from '../../src/domain/index.js';
import { fixedRates, shipOrders } from './helpers.js';

const book = loadRateCards(new URL('../../config/rate-cards', import.meta.url).pathname);
const alpha = book.carrierCard('carrier-alpha', '2026-11-01')!;
const beta = book.carrierCard('carrier-beta', '2026-11-01')!;

function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

for (const dialect of DIALECTS) {
  describe(`settlement on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
    });
    afterEach(async () => {
      await store.destroy();
    });

    it('reconciles a bill with planted over-charges: components and both currencies, rate and day kept', async () => {
      const entries = await shipOrders(store, 'carrier-alpha', 80, 'al');
      const bill = issueSandboxBill(
        alpha,
        entries,
        { billNo: 'ALPHA-2026-11', period: '2026-11', issuedOn: '2026-12-01' },
        { overchargeShare: 0.3, random: seeded(3) },
      );
      expect(bill.planted.length).toBeGreaterThan(10);
      const body = renderAlphaBill(bill);
      const rates = fixedRates({ 'USD/CNY': '7.1234' });

      const received = await receiveBill(store, book, { partnerId: 'carrier-alpha', format: 'json', body });
      expect(received).toMatchObject({ created: true, lines: bill.lines.length });
      // The raw bill is on record, sealed.
      const raw = await getInboundMessage(store.db, received.messageId);
      expect(raw?.sealedBody).toBeDefined();
      expect(raw?.sealedBody).not.toContain('ALPHA-2026-11');

      const summary = await reconcileBill(store, book, received.billId, {
        reportingCurrency: 'CNY',
        fx: rates,
        actor: 'test',
      });
      expect(summary.flagged).toBe(bill.planted.length);
      expect(summary.fx).toEqual({ rate: '7.1234', day: '2026-12-01', source: 'test-bank' });
      expect((await getFxRate(store.db, 'USD', 'CNY', '2026-12-01'))?.rate).toBe('7.1234');

      const lines = await linesOf(store.db, received.billId);
      const flagged = lines.filter((l) => l.status !== 'ok');
      const component = {
        weight_break: 'weight',
        zone: 'zone',
        surcharge: 'surcharge',
        duplicate: 'duplicate',
      };
      expect(
        flagged.map((l) => ({
          lineNo: l.line_no,
          component: (JSON.parse(l.discrepancies) as { component: string }[])[0]?.component,
        })),
      ).toEqual(bill.planted.map((p) => ({ lineNo: p.lineNo, component: component[p.kind] })));
      for (const l of flagged) {
        const planted = bill.lines.find((b) => b.lineNo === l.line_no)!;
        expect(l.billed).toBe(formatAmount(planted.totalUnits, 'USD'));
        expect(l.fx_rate).toBe('7.1234');
        expect(l.fx_day).toBe('2026-12-01');
        expect(l.reporting_currency).toBe('CNY');
        const diff = parseSignedAmount(l.difference!);
        expect(diff > 0n).toBe(true);
        expect(l.difference_reporting).toBe(
          formatAmount(convert(diff, { rate: '7.1234', quote: 'CNY' }), 'CNY'),
        );
        if (l.status === 'discrepancy') {
          const [d] = JSON.parse(l.discrepancies) as { difference: string; differenceReporting: string }[];
          expect(d!.difference).toBe(l.difference);
          expect(d!.differenceReporting).toBe(l.difference_reporting);
        }
      }

      // A re-delivery stores nothing new; another bill under the same number is refused.
      const again = await receiveBill(store, book, { partnerId: 'carrier-alpha', format: 'json', body });
      expect(again).toMatchObject({ created: false, billId: received.billId });
      const altered = body.replace('"seq":1,', '"seq":1,"note":"x",');
      await expect(
        receiveBill(store, book, { partnerId: 'carrier-alpha', format: 'json', body: altered }),
      ).rejects.toMatchObject({ code: 'settlement_bill_conflict' });
    });

    it('converts a euro bill: the card currency rate recorded, reporting totals in CNY', async () => {
      const entries = await shipOrders(store, 'carrier-beta', 30, 'bt');
      const bill = issueSandboxBill(
        beta,
        entries,
        { billNo: 'B-11', period: '2026-11', issuedOn: '2026-12-02' },
        { overchargeShare: 0.25, random: seeded(9) },
      );
      await enterRate(
        store,
        { base: 'EUR', quote: 'CNY', rate: '7.8', day: '2026-12-02', source: 'manual' },
        'test',
      );
      const received = await receiveBill(store, book, {
        partnerId: 'carrier-beta',
        format: 'csv',
        body: renderBetaBill(bill),
      });
      const { bills, neverBilled } = await reconcilePeriod(store, book, 'carrier-beta', '2026-11', {
        reportingCurrency: 'CNY',
        actor: 'test',
      });
      expect(bills).toHaveLength(1);
      expect(bills[0]!.billId).toBe(received.billId);
      expect(bills[0]!.flagged).toBe(bill.planted.length);
      expect(bills[0]!.fx).toEqual({ rate: '7.8', day: '2026-12-02', source: 'manual' });
      expect(neverBilled).toEqual([]);
    });

    it('keeps an unreadable bill as received and names each line and field', async () => {
      await shipOrders(store, 'carrier-alpha', 2, 'al');
      const body = JSON.stringify({
        invoice_no: 'X-1',
        billing_period: '2026-11',
        issue_date: '2026-12-01',
        currency: 'USD',
        items: [
          { seq: 1, awb: 'AL00000000', freight: '1.2.3', amount: '8.00' },
          { seq: 2, amount: 'ten' },
        ],
      });
      const err = await receiveBill(store, book, { partnerId: 'carrier-alpha', format: 'json', body }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WaygateError);
      const e = err as WaygateError;
      expect(e.code).toBe('settlement_bill_unreadable');
      const details = e.details as { messageId: string; issues: { where: string; field: string }[] };
      expect(details.issues.map((i) => `${i.where}:${i.field}`)).toEqual([
        'line 1:freight',
        'line 2:awb',
        'line 2:amount',
      ]);
      expect(await getInboundMessage(store.db, details.messageId)).toBeDefined();
    });

    it('flags a waybill the hub never shipped and lists a shipment no bill charged', async () => {
      const entries = await shipOrders(store, 'carrier-alpha', 3, 'al');
      const bill = issueSandboxBill(
        alpha,
        entries.slice(0, 2),
        { billNo: 'A-2', period: '2026-11', issuedOn: '2026-12-01' },
        { overchargeShare: 0 },
      );
      bill.lines.push({ ...bill.lines[0]!, lineNo: 3, waybillNo: 'ZZ12345678' });
      await receiveBill(store, book, {
        partnerId: 'carrier-alpha',
        format: 'json',
        body: renderAlphaBill(bill),
      });
      const rates = fixedRates({ 'USD/CNY': '7.2' });
      const { bills, neverBilled } = await reconcilePeriod(store, book, 'carrier-alpha', '2026-11', {
        fx: rates,
        actor: 'test',
      });
      expect(bills[0]!.byStatus).toEqual({ ok: 2, unknown_waybill: 1 });
      expect(neverBilled).toEqual([entries[2]!.waybillNo]);
    });
  });
}
