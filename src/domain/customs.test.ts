import { describe, expect, it } from 'vitest';
import { customsDirection, matchDocuments, receiptMayMove, type MatchDocuments } from './customs.js';

const agreed: MatchDocuments = {
  order: { orderNo: 'SO-1', paid: '308.75', consignee: '张 伟', logisticsNo: 'SF1' },
  payment: { orderNo: 'SO-1', amount: '308.75' },
  waybill: { orderNo: 'SO-1', logisticsNo: 'SF1', consignee: '张伟' },
  paymentRequired: true,
};

describe('three-document match (三单对碰)', () => {
  it('passes when order, payment and waybill agree (consignee compared without spacing or case)', () => {
    expect(matchDocuments(agreed)).toEqual([]);
  });
  it('reports a payment amount that differs beyond the tolerance, with both amounts', () => {
    const d = matchDocuments({ ...agreed, payment: { orderNo: 'SO-1', amount: '300.00' } });
    expect(d).toEqual([expect.objectContaining({ field: 'amount', expected: '308.75', actual: '300.00' })]);
    expect(matchDocuments({ ...agreed, payment: { orderNo: 'SO-1', amount: '308.76' } })).toEqual([]);
  });
  it('reports every discrepancy at once, never the consignee’s name', () => {
    const d = matchDocuments({
      ...agreed,
      payment: { orderNo: 'SO-2', amount: '1' },
      waybill: { orderNo: 'SO-3', logisticsNo: 'SF9', consignee: 'Someone Else' },
    });
    expect(d.map((x) => x.field).sort()).toEqual([
      'amount',
      'consignee',
      'logisticsNo',
      'orderNo',
      'orderNo',
    ]);
    expect(JSON.stringify(d)).not.toContain('Someone');
  });
  it('a missing payment (import) or waybill is a discrepancy', () => {
    expect(matchDocuments({ ...agreed, payment: undefined }).map((x) => x.field)).toEqual(['payment']);
    expect(matchDocuments({ ...agreed, payment: undefined, paymentRequired: false })).toEqual([]);
    expect(matchDocuments({ ...agreed, waybill: undefined }).map((x) => x.field)).toEqual(['waybill']);
  });
});

describe('declaration statuses', () => {
  it('a receipt moves a declaration forward only; a rejected one stays rejected', () => {
    expect(receiptMayMove('declared', 'accepted')).toBe(true);
    expect(receiptMayMove('accepted', 'declared')).toBe(false);
    expect(receiptMayMove('released', 'accepted')).toBe(false);
    expect(receiptMayMove('rejected', 'released')).toBe(false);
  });
  it('import is into CN, export out of it', () => {
    expect(customsDirection('JP', 'CN')).toBe('import');
    expect(customsDirection('CN', 'US')).toBe('export');
    expect(customsDirection('DE', 'US')).toBeNull();
  });
});
