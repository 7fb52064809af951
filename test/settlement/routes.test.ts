/**
 * The settlement API: `finance:read` reads, `finance:manage` changes; bad input is a 4xx with
 * the catalogue's codes; a bill goes in, is reconciled, disputed and shows in the statement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshStore, type TestStore } from '../helpers/stores.js';
import { gatewayFor, type GatewayFixture } from '../helpers/gateway.js';
import { loadRateCards } from '../../src/pipeline/settlement/cards.js';
import { issueSandboxBill, renderAlphaBill } from '../../src/sandbox/billing.js';
import { fixedRates, shipOrders } from './helpers.js';

const book = loadRateCards(new URL('../../config/rate-cards', import.meta.url).pathname);

describe('settlement routes', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  let body: string;
  beforeAll(async () => {
    store = await freshStore('sqlite');
    gw = await gatewayFor(
      store,
      {},
      {
        settlement: { book, reportingCurrency: 'CNY', fx: fixedRates({ 'USD/CNY': '7.1' }) },
      },
    );
    const entries = await shipOrders(store, 'carrier-alpha', 20, 'al');
    body = renderAlphaBill(
      issueSandboxBill(
        book.carrierCard('carrier-alpha', '2026-11-01')!,
        entries,
        { billNo: 'R-1', period: '2026-11', issuedOn: '2026-12-01' },
        {
          overchargeShare: 0.5,
          random: (() => {
            let s = 1;
            return () => ((s = (s * 48271) % 2147483647), s / 2147483647);
          })(),
        },
      ),
    );
  });
  afterAll(async () => {
    await gw.app.close();
    await store.destroy();
  });

  it('receives, reconciles, disputes and states a bill', async () => {
    const up = await gw.call('POST', '/v1/settlement/bills', {
      partner: 'carrier-alpha',
      format: 'json',
      content: body,
    });
    expect(up.statusCode).toBe(201);
    const { billId } = up.json<{ billId: string }>();
    const rec = await gw.call('POST', `/v1/settlement/bills/${billId}/reconcile`);
    expect(rec.statusCode).toBe(200);
    expect(rec.json()).toMatchObject({ reportingCurrency: 'CNY', fx: { rate: '7.1', day: '2026-12-01' } });
    expect(rec.json<{ flagged: number }>().flagged).toBeGreaterThan(0);

    const bill = await gw.call('GET', `/v1/settlement/bills/${billId}`);
    const lines = bill.json<{
      lines: { lineNo: number; status: string; reporting: { fx: { rate: string } } }[];
    }>().lines;
    const flagged = lines.find((l) => l.status === 'discrepancy')!;
    expect(flagged.reporting.fx.rate).toBe('7.1');

    const opened = await gw.call('POST', '/v1/settlement/disputes', { billId, lineNo: flagged.lineNo });
    expect(opened.statusCode).toBe(201);
    const id = opened.json<{ id: string }>().id;
    expect((await gw.call('POST', `/v1/settlement/disputes/${id}/send`, {})).json()).toMatchObject({
      status: 'sent',
    });
    const res = await gw.call('POST', `/v1/settlement/disputes/${id}/resolve`, { resolution: 'accepted' });
    expect(res.json()).toMatchObject({ status: 'resolved', resolution: 'accepted' });
    const list = await gw.call('GET', '/v1/settlement/disputes?partner=carrier-alpha&period=2026-11');
    expect(list.json<{ disputes: unknown[] }>().disputes).toHaveLength(1);

    const csv = await gw.call('GET', '/v1/settlement/statements/carrier-alpha/2026-11?format=csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('阿尔法国际快递');
    const pdf = await gw.call('GET', '/v1/settlement/statements/carrier-alpha/2026-11?format=pdf');
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('lets finance:read read but not change, and answers bad input with 4xx codes', async () => {
    const reader = await gw.keyWith({ name: 'reader', scopes: ['finance:read'] });
    expect(
      (await gw.callAs(reader, 'GET', '/v1/settlement/bills?partner=carrier-alpha&period=2026-11'))
        .statusCode,
    ).toBe(200);
    const denied = await gw.callAs(reader, 'POST', '/v1/settlement/bills', {
      partner: 'carrier-alpha',
      format: 'json',
      content: body,
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ error: { code: 'missing_permission' } });
    const none = await gw.keyWith({ name: 'orders', scopes: ['orders:read'] });
    expect(
      (await gw.callAs(none, 'GET', '/v1/settlement/bills?partner=carrier-alpha&period=2026-11')).statusCode,
    ).toBe(403);

    const cases: [string, string, unknown, number, string][] = [
      [
        'GET',
        '/v1/settlement/bills?partner=carrier-alpha&period=2026-13',
        undefined,
        400,
        'validation_failed',
      ],
      ['GET', '/v1/settlement/bills/bill_nope', undefined, 404, 'settlement_bill_not_found'],
      [
        'POST',
        '/v1/settlement/bills',
        { partner: 'carrier-alpha', format: 'json', content: '{"x":' },
        400,
        'settlement_bill_unreadable',
      ],
      [
        'POST',
        '/v1/settlement/bills',
        { partner: 'nobody', format: 'json', content: '{}' },
        404,
        'partner_not_found',
      ],
      ['POST', '/v1/settlement/disputes/dsp_nope/send', {}, 404, 'dispute_not_found'],
      [
        'POST',
        '/v1/settlement/fx-rates',
        { base: 'USD', quote: 'CNY', rate: '-1', day: '2026-12-01' },
        400,
        'fx_rate_invalid',
      ],
      [
        'GET',
        '/v1/settlement/statements/carrier-alpha/2026-11?format=doc',
        undefined,
        400,
        'validation_failed',
      ],
    ];
    for (const [method, path, b, status, code] of cases) {
      const r = await gw.call(method as 'GET' | 'POST', path, b);
      expect([path, r.statusCode, r.json<{ error: { code: string } }>().error.code]).toEqual([
        path,
        status,
        code,
      ]);
    }
  });
});
