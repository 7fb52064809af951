import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WaygateError, type OrderInput } from '../../../domain/index.js';
import { canonicalToShopOrder, shopOrderToCanonical, type FieldError } from './mapper.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

function mappingError(fn: () => unknown): WaygateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WaygateError) return err;
    throw err;
  }
  throw new Error('expected the mapping to fail');
}

describe('sandbox-shop mapper', () => {
  it('maps a real-format orders/create payload to the expected canonical order', () => {
    const order = shopOrderToCanonical(fixture('orders-create.webhook.json'), 'sandbox-shop');
    expect(order).toEqual(fixture('orders-create.canonical.json'));
  });

  it('maps a canonical order to the expected shop order', () => {
    const shop = canonicalToShopOrder(fixture('canonical-order.json') as OrderInput);
    expect(shop).toEqual(fixture('canonical-order.shop.json'));
  });

  it('round-trips a canonical order through the shop dialect unchanged', () => {
    const canonical = fixture('canonical-order.json') as OrderInput;
    expect(shopOrderToCanonical(canonicalToShopOrder(canonical), 'sandbox-shop')).toEqual(canonical);
    const fromShop = shopOrderToCanonical(fixture('orders-create.webhook.json'), 'sandbox-shop');
    expect(shopOrderToCanonical(canonicalToShopOrder(fromShop), 'sandbox-shop')).toEqual(fromShop);
  });

  it('normalises a dotted HS code ("6404.11") to its digits', () => {
    const order = shopOrderToCanonical(fixture('orders-create.webhook.json'), 'sandbox-shop');
    expect(order.items[0]?.hsCode).toBe('640411');
  });

  it('tags the order with the partner id it arrived from', () => {
    expect(shopOrderToCanonical(fixture('orders-create.webhook.json'), 'eu-shop').source).toBe('eu-shop');
  });

  it('refuses an unmappable payload with invalid_input naming every bad field', () => {
    const err = mappingError(() =>
      shopOrderToCanonical(fixture('orders-create.invalid.json'), 'sandbox-shop'),
    );
    expect(err.kind).toBe('invalid_input');
    expect(err.code).toBe('order_payload_invalid');
    const details = err.details as { field: string; errors: FieldError[] };
    expect(details.errors.map((e) => e.field).sort()).toEqual(
      [
        '/email',
        '/line_items/0/harmonized_system_code',
        '/line_items/0/quantity',
        '/line_items/1/country_code_of_origin',
        '/line_items/1/price',
        '/shipping_address',
      ].sort(),
    );
    expect(details.errors.find((e) => e.field === '/line_items/0/harmonized_system_code')?.message).toContain(
      '61091',
    );
    expect(details.field).toBe(details.errors[0]?.field);
  });

  it('refuses a payload that is not an object', () => {
    expect(mappingError(() => shopOrderToCanonical([1, 2], 'sandbox-shop')).kind).toBe('invalid_input');
  });

  it('refuses an order without line items or id, naming both fields', () => {
    const payload = fixture('orders-create.webhook.json') as Record<string, unknown>;
    const err = mappingError(() =>
      shopOrderToCanonical({ ...payload, id: undefined, line_items: [] }, 'sandbox-shop'),
    );
    const fields = (err.details as { errors: FieldError[] }).errors.map((e) => e.field);
    expect(fields).toEqual(['/id', '/line_items']);
  });

  it('refuses a canonical order whose externalId the shop cannot use as an order id', () => {
    const canonical = { ...(fixture('canonical-order.json') as OrderInput), externalId: 'ORD-17' };
    const err = mappingError(() => canonicalToShopOrder(canonical));
    expect(err.kind).toBe('invalid_input');
    expect((err.details as { field: string }).field).toBe('/externalId');
  });
});
