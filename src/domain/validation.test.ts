import { Type } from '@sinclair/typebox';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COUNTRY_CODES, CURRENCY_CODES, OrderInput, OrderStatusSchema } from './schemas.js';
import { ORDER_STATUSES } from './order-status.js';
import { createAjv } from './validation.js';

const ajv = createAjv();
const Tiered = Type.Object({
  tier: Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C')]),
  kind: Type.Optional(Type.Literal('carrier')),
  status: Type.Optional(OrderStatusSchema),
});
const tiered = ajv.compile(Tiered);
const order = ajv.compile(OrderInput);

const base = {
  source: 'sandbox-shop',
  externalId: 'SO-1',
  currency: 'USD',
  recipient: { name: 'A', line1: 'B', city: 'C', country: 'US' },
  items: [
    {
      sku: 'S',
      description: 'D',
      quantity: 1,
      unitPrice: '1.00',
      hsCode: '691200',
      originCountry: 'CN',
      weightGrams: 1,
    },
  ],
};

describe('validation messages name what is allowed', () => {
  it('a union of literals is one error listing them, not one "must be equal to constant" per branch', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string().filter((s) => !['A', 'B', 'C'].includes(s)),
          fc.integer(),
          fc.constant(null),
        ),
        (tier) => {
          expect(tiered({ tier })).toBe(false);
          expect(tiered.errors).toEqual([
            expect.objectContaining({
              instancePath: '/tier',
              message: 'must be one of A, B, C',
              params: { allowedValues: ['A', 'B', 'C'] },
            }),
          ]);
        },
      ),
    );
  });

  it('a lone literal names its value and a small enum lists its values', () => {
    expect(tiered({ tier: 'A', kind: 'platform', status: 'lost-in-space' })).toBe(false);
    expect(tiered.errors?.map((e) => [e.instancePath, e.message])).toEqual([
      ['/kind', 'must be carrier'],
      ['/status', `must be one of ${ORDER_STATUSES.join(', ')}`],
    ]);
  });

  it('a currency or country outside its code list is "not an ISO … code"', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 5 }).filter((s) => !CURRENCY_CODES.includes(s)),
        fc.string({ maxLength: 3 }).filter((s) => !COUNTRY_CODES.includes(s)),
        (currency, country) => {
          const bad = { ...base, currency, recipient: { ...base.recipient, country } };
          expect(order(bad)).toBe(false);
          const byPath = Object.fromEntries(order.errors!.map((e) => [e.instancePath, e.message]));
          expect(byPath['/currency']).toBe('is not an ISO 4217 code');
          expect(byPath['/recipient/country']).toBe('is not an ISO 3166-1 alpha-2 code');
        },
      ),
      { numRuns: 50 },
    );
  });

  it('keeps neither the offending value nor the schema in the errors', () => {
    expect(order({ ...base, currency: 'Jane Doe' })).toBe(false);
    for (const e of order.errors!) {
      expect(e).not.toHaveProperty('data');
      expect(e).not.toHaveProperty('schema');
      expect(e).not.toHaveProperty('parentSchema');
    }
    expect(JSON.stringify(order.errors)).not.toContain('Jane Doe');
  });

  it('leaves valid data valid and other messages as Ajv writes them', () => {
    expect(order(base)).toBe(true);
    expect(order.errors).toBeNull();
    expect(order({ ...base, items: [] })).toBe(false);
    expect(order.errors?.[0]?.message).toBe('must NOT have fewer than 1 items');
  });
});
