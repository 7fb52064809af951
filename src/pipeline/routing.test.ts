import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { routeCarrier, routeOrder, type RoutingConfig } from './routing.js';

const routing: RoutingConfig = {
  rules: [
    { countries: ['US'], skus: ['OWH-*', 'MUG-01'], warehouse: 'owh' },
    { countries: ['US', 'CA'], carrier: 'alpha' },
  ],
  default: 'beta',
};

describe('routing', () => {
  it('sends an order to the warehouse only when every SKU matches its patterns', () => {
    expect(routeOrder(routing, { destinationCountry: 'US', skus: ['OWH-TEE', 'MUG-01'] })).toEqual({
      kind: 'warehouse',
      warehouse: 'owh',
    });
    expect(routeOrder(routing, { destinationCountry: 'US', skus: ['OWH-TEE', 'MUG-02'] })).toEqual({
      kind: 'carrier',
      carrier: 'alpha',
    });
    expect(routeOrder(routing, { destinationCountry: 'DE', skus: ['OWH-TEE'] })).toEqual({
      kind: 'carrier',
      carrier: 'beta',
    });
    expect(routeOrder(routing, { destinationCountry: 'US', skus: [] })).toEqual({
      kind: 'carrier',
      carrier: 'alpha',
    });
  });

  it('never routes an order with a SKU outside the patterns to the warehouse (any SKUs)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Z]{1,4}-[A-Z0-9]{1,4}$/), { minLength: 1, maxLength: 5 }),
        (skus) => {
          const route = routeOrder(routing, { destinationCountry: 'US', skus });
          const inStock = skus.every((s) => s.startsWith('OWH-') || s === 'MUG-01');
          expect(route.kind === 'warehouse').toBe(inStock);
        },
      ),
    );
  });

  it('leaves warehouse rules out of the carrier a country is booked with (file exports)', () => {
    expect(routeCarrier(routing, 'US')).toBe('alpha');
    expect(routeCarrier(routing, 'FR')).toBe('beta');
  });
});
