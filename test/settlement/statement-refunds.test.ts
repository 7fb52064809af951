/**
 * Refunds in the monthly statements, on SQLite and PostgreSQL: a sales platform's statement of a
 * month lists the refunds paid back to buyers through it that month (completed returns' ledger
 * entries, migration 026) — not another month's, not another platform's — with totals per
 * currency and, at each refund day's rate, in the reporting currency (none when a rate is
 * missing); the same figures in the CSV, in the PDF's extracted text and over the API. A carrier's
 * statement has no refunds; a partner with neither a rate card nor a refund is unknown.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { gatewayFor } from '../helpers/gateway.js';
import { loadRateCards } from '../../src/pipeline/settlement/cards.js';
import {
  buildStatement,
  renderStatementCsv,
  renderStatementPdf,
} from '../../src/pipeline/settlement/statement.js';
import { insertRefund, type SettlementRefundsTable } from '../../src/store/refunds.js';
import { putFxRate } from '../../src/store/settlement.js';

const book = loadRateCards(new URL('../../config/rate-cards', import.meta.url).pathname);
const SHOP = 'sandbox-shop';
const day = (d: string) => Date.parse(`${d}T08:00:00Z`);

function refund(
  returnId: string,
  at: string,
  currency: string,
  amount: string,
  platform = SHOP,
): SettlementRefundsTable {
  return {
    return_id: returnId,
    order_id: `ord_${returnId}`,
    platform,
    currency,
    amount,
    period: at.slice(0, 7),
    lines: JSON.stringify([{ sku: 'SKU-1', units: 1, unitPrice: amount, amount }]),
    refunded_at: day(at),
  };
}

for (const dialect of DIALECTS) {
  describe(`refunds in the statements on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
      await store.write(async (trx) => {
        for (const r of [
          refund('ret_a', '2026-11-03', 'USD', '12.50'),
          refund('ret_b', '2026-11-20', 'USD', '7.25'),
          refund('ret_c', '2026-11-21', 'EUR', '10.00'),
          refund('ret_d', '2026-12-01', 'USD', '99.00'), // next month
          refund('ret_e', '2026-11-05', 'USD', '55.00', 'other-shop'), // another platform
        ])
          await insertRefund(trx, r);
        for (const [base, d, rate] of [
          ['USD', '2026-11-03', '7.1000'],
          ['USD', '2026-11-20', '7.2000'],
          ['EUR', '2026-11-21', '7.7000'],
        ] as const)
          await putFxRate(
            trx,
            { base, quote: 'CNY', day: d, rate, source: 'manual', recorded_at: day(d) },
            true,
          );
      });
    }, 60_000);
    afterEach(async () => {
      await store.destroy();
    });

    it("lists the platform's refunds of the month with totals per currency and in the reporting currency", async () => {
      const st = await buildStatement(store, book, SHOP, '2026-11', { reportingCurrency: 'CNY' });
      expect(st.bills).toEqual([]);
      expect(
        st.refunds.items.map((r) => [r.returnId, r.orderId, r.refundedOn, r.currency, r.amount, r.reporting]),
      ).toEqual([
        ['ret_a', 'ord_ret_a', '2026-11-03', 'USD', '12.50', '88.75'],
        ['ret_b', 'ord_ret_b', '2026-11-20', 'USD', '7.25', '52.20'],
        ['ret_c', 'ord_ret_c', '2026-11-21', 'EUR', '10.00', '77.00'],
      ]);
      expect(st.refunds.totals).toEqual({
        EUR: { count: 1, amount: '10.00' },
        USD: { count: 2, amount: '19.75' },
      });
      expect(st.refunds.totalReporting).toBe('217.95');

      const csv = parse(renderStatementCsv(st), { bom: true, relax_column_count: true }) as string[][];
      const at = csv.findIndex((r) => r[0] === 'Refunds');
      expect(csv[at]).toEqual(['Refunds', SHOP, '2026-11']);
      expect(csv.slice(at + 2).map((r) => [r[0], r[3], r[4], r[5], r[8]])).toEqual([
        ['ret_a', 'USD', '1', '12.50', '88.75'],
        ['ret_b', 'USD', '1', '7.25', '52.20'],
        ['ret_c', 'EUR', '1', '10.00', '77.00'],
        ['Total refunds', 'EUR', '1', '10.00', ''],
        ['Total refunds', 'USD', '2', '19.75', ''],
        ['Total refunds', 'CNY', '3', '217.95', ''],
      ]);

      const pdf = await renderStatementPdf(st);
      const dir = mkdtempSync(join(tmpdir(), 'waygate-refund-stmt-'));
      try {
        writeFileSync(join(dir, 's.pdf'), pdf);
        const text = execFileSync('pdftotext', ['-layout', join(dir, 's.pdf'), '-'], { encoding: 'utf8' });
        expect(text).toContain('Refunds paid back to buyers');
        for (const v of ['ret_a', 'ret_c', '19.75', '10.00', '217.95']) expect(text).toContain(v);
        expect(text).not.toContain('ret_d');
        expect(text).not.toContain('ret_e');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('has no reporting total when a refund day has no rate, and no refunds on a carrier statement', async () => {
      await store.write((trx) => insertRefund(trx, refund('ret_f', '2026-11-25', 'JPY', '1200')));
      const st = await buildStatement(store, book, SHOP, '2026-11', { reportingCurrency: 'CNY' });
      expect(st.refunds.items.find((r) => r.returnId === 'ret_f')).toMatchObject({
        amount: '1200',
        fx: null,
        reporting: null,
      });
      expect(st.refunds.totals.JPY).toEqual({ count: 1, amount: '1200' });
      expect(st.refunds.totalReporting).toBeNull();
      const csv = renderStatementCsv(st);
      expect(csv).not.toMatch(/Total refunds,,,CNY/);

      const carrier = await buildStatement(store, book, 'carrier-alpha', '2026-11', {
        reportingCurrency: 'CNY',
      });
      expect(carrier.refunds).toEqual({ items: [], totals: {}, totalReporting: '0.00' });
      expect(renderStatementCsv(carrier)).not.toContain('Refunds');
      await expect(buildStatement(store, book, 'nobody-shop', '2026-11')).rejects.toMatchObject({
        code: 'partner_not_found',
      });
    });

    it('serves the refunds in the statement over the API as JSON and CSV', async () => {
      const gw = await gatewayFor(store, {}, { settlement: { book, reportingCurrency: 'CNY' } });
      try {
        const json = await gw.call('GET', `/v1/settlement/statements/${SHOP}/2026-11`);
        expect(json.statusCode).toBe(200);
        expect(json.json()).toMatchObject({
          partnerId: SHOP,
          refunds: { totals: { USD: { count: 2, amount: '19.75' } }, totalReporting: '217.95' },
        });
        const csv = await gw.call('GET', `/v1/settlement/statements/${SHOP}/2026-11?format=csv`);
        expect(csv.statusCode).toBe(200);
        expect(csv.body).toContain('Total refunds,,,CNY,3,217.95');
        const unknown = await gw.call('GET', '/v1/settlement/statements/nobody-shop/2026-11');
        expect(unknown.statusCode).toBe(404);
        expect(unknown.json()).toMatchObject({ error: { code: 'partner_not_found' } });
      } finally {
        await gw.app.close();
      }
    });
  });
}
