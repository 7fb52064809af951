/**
 * Properties of money in settlement: a bill read from any partner document totals exactly the
 * sum of its lines in the currency's minor units (JPY 0, USD 2, KWD 3 decimals — no float in
 * between), whatever the lines' order; a warehouse's expected charge is never negative, totals
 * its components and is a whole number of minor units.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeWarehouseCharge,
  formatAmount,
  mapBill,
  minorDigits,
  validateRateCard,
  type BillMapping,
  type WarehouseRateCard,
} from '../../src/domain/settlement/index.js';

const mapping: BillMapping = {
  format: 'json',
  lines: 'items',
  header: { billNo: 'no', currency: 'cur', issuedOn: 'date' },
  line: { waybillNo: 'ref', total: 'total', charges: { freight: 'freight', fuel: 'fuel' } },
};

const currency = fc.constantFrom('JPY', 'USD', 'CNY', 'KWD', 'BHD', 'EUR');
/** An amount in minor units, as the partner writes it (a decimal string of the currency). */
const minor = fc.bigInt({ min: 0n, max: 10_000_000_000n });

describe('settlement money (properties)', () => {
  it('reads a bill whose total is the exact sum of its lines in minor units, in any line order', () => {
    fc.assert(
      fc.property(currency, fc.array(fc.tuple(minor, minor), { minLength: 1, maxLength: 60 }), (cur, raw) => {
        const scale = 10n ** BigInt(4 - minorDigits(cur));
        const lines = raw.map(([f, u], i) => ({
          ref: `WB${String(i).padStart(8, '0')}`,
          freight: formatAmount(f * scale, cur),
          fuel: formatAmount(u * scale, cur),
          total: formatAmount((f + u) * scale, cur),
        }));
        const doc = (items: unknown[]) => ({ no: 'B-1', cur, date: '2026-12-01', items });
        const a = mapBill('p', { format: 'json', value: doc(lines) }, mapping);
        const b = mapBill('p', { format: 'json', value: doc([...lines].reverse()) }, mapping);
        expect(a.issues).toEqual([]);
        const sum = (bill: typeof a) => bill.bill!.lines.reduce((s, l) => s + l.totalUnits, 0n);
        const expected = raw.reduce((s, [f, u]) => s + f + u, 0n) * scale;
        expect(sum(a)).toBe(expected);
        expect(sum(b)).toBe(expected);
        for (const l of a.bill!.lines) {
          expect(l.totalUnits % scale).toBe(0n);
          expect(l.charges.reduce((s, c) => s + c.units, 0n)).toBe(l.totalUnits);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an amount finer than the currency has, instead of rounding it silently', () => {
    const r = mapBill(
      'p',
      {
        format: 'json',
        value: {
          no: 'B-1',
          cur: 'JPY',
          date: '2026-12-01',
          items: [{ ref: 'WB00000001', freight: '100.5', total: '100.5' }],
        },
      },
      mapping,
    );
    expect(r.issues.map((i) => i.message)).toContain('has more decimals than JPY has');
  });

  it('prices a warehouse order never below zero, as the sum of its fees, in whole minor units', () => {
    const price = fc.integer({ min: 0, max: 99_999 }).map((c) => (c / 100).toFixed(2));
    fc.assert(
      fc.property(
        fc.constantFrom('CNY', 'JPY', 'KWD'),
        price,
        price,
        price,
        fc.integer({ min: 0, max: 5000 }).map((m) => (m / 10_000).toFixed(4)),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 400 }),
        (cur, perOrder, perUnit, outbound, perUnitDay, units, days) => {
          const { card } = validateRateCard({
            id: 'wh',
            partner: 'wh',
            kind: 'warehouse',
            service: 'f',
            currency: cur,
            validFrom: '2026-01-01',
            validTo: '2026-12-31',
            handling: { perOrder: cur === 'JPY' ? perOrder.split('.')[0] : perOrder, perUnit },
            outbound: { perOrder: outbound },
            storage: { perUnitDay },
          });
          expect(card).toBeDefined();
          const c = computeWarehouseCharge(card as WarehouseRateCard, { units, storageDays: days });
          const scale = 10n ** BigInt(4 - minorDigits(cur));
          for (const x of c.components) {
            expect(x.units >= 0n).toBe(true);
            expect(x.units % scale).toBe(0n);
          }
          expect(c.totalUnits).toBe(c.components.reduce((s, x) => s + x.units, 0n));
        },
      ),
      { numRuns: 300 },
    );
  });
});
