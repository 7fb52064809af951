/**
 * Amazon SP-API mapping on real-format fixtures, both directions: getOrders + getOrderItems →
 * canonical order, canonical shipment → confirmShipment body, the error envelopes, LWA and RDT
 * answers; and the class of payloads Amazon (or something posing as it) can send back, checked
 * with fast-check: every one becomes a valid canonical order or a clear order_payload_invalid
 * naming the Amazon field — never another error, never half an order.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderInput, WaygateError } from '../../../domain/index.js';
import { createAjv } from '../../../domain/validation.js';
import { MalformedAnswer } from '../../contract.js';
import {
  amazonOrderToCanonical,
  confirmShipmentBody,
  itemsToConfirm,
  ordersQuery,
  parseLwaToken,
  parseRdt,
  readErrors,
  readItemsPage,
  readLwaError,
  readOrdersPage,
  readPayload,
} from './mapper.js';

const raw = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const json = (name: string) => JSON.parse(raw(name)) as Record<string, unknown>;
const validOrder = createAjv().compile(OrderInput);

const ordersPage = () => readOrdersPage(readPayload(raw('get-orders.amazon.json')));
const itemsPage = () => readItemsPage(readPayload(raw('get-order-items.amazon.json')));

function refusal(fn: () => unknown): { field?: string; errors: { field: string; message: string }[] } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WaygateError);
    expect((err as WaygateError).code).toBe('order_payload_invalid');
    return (err as WaygateError).details as { field?: string; errors: { field: string; message: string }[] };
  }
  throw new Error('expected order_payload_invalid');
}

describe('Amazon getOrders + getOrderItems → canonical order', () => {
  it('maps the fixture order exactly: unit price from the line total, charges summed as decimal strings', () => {
    const { orders, next } = ordersPage();
    expect(next).toMatch(/^MRgZ/);
    const order = amazonOrderToCanonical(orders[0], itemsPage().items, 'amazon-sp-api');
    expect(order).toEqual(json('order.canonical.json'));
    expect(validOrder(order)).toBe(true);
  });

  it('refuses an order read without a Restricted Data Token, naming the missing field and why', () => {
    const [order] = readOrdersPage(readPayload(raw('get-orders.no-rdt.amazon.json'))).orders;
    const d = refusal(() => amazonOrderToCanonical(order, itemsPage().items, 'amazon-sp-api'));
    expect(d.field).toBe('/ShippingAddress/Name');
    expect(d.errors.map((e) => e.field)).toContain('/ShippingAddress/AddressLine1');
    expect(d.errors[0]!.message).toContain('Restricted Data Token');
  });

  it('merges two lines of one SellerSKU and skips a line cancelled to quantity 0', () => {
    const items = itemsPage().items;
    const again = {
      ...items[1],
      OrderItemId: '1',
      QuantityOrdered: 2,
      ItemPrice: { CurrencyCode: 'USD', Amount: '48.00' },
    };
    const cancelled = { ...items[0], OrderItemId: '2', SellerSKU: 'GONE-1', QuantityOrdered: 0 };
    const order = amazonOrderToCanonical(
      ordersPage().orders[0],
      [...items, again, cancelled],
      'amazon-sp-api',
    );
    expect(order.items.map((l) => [l.sku, l.quantity, l.unitPrice])).toEqual([
      ['TS-ORG-001-2', 2, '19.99'],
      ['MG-CER-035', 3, '24.00'],
    ]);
  });

  it('rounds a line total that does not divide by its quantity half to even at 4 decimals', () => {
    const [item] = itemsPage().items;
    const order = amazonOrderToCanonical(
      ordersPage().orders[0],
      [{ ...item, QuantityOrdered: 3, ItemPrice: { CurrencyCode: 'USD', Amount: '10.00' } }],
      'amazon-sp-api',
    );
    expect(order.items[0]!.unitPrice).toBe('3.3333');
  });

  it('refuses a line in another currency than the order, naming it', () => {
    const [item] = itemsPage().items;
    const d = refusal(() =>
      amazonOrderToCanonical(
        ordersPage().orders[0],
        [{ ...item, ItemPrice: { CurrencyCode: 'EUR', Amount: '39.98' } }],
        'amazon-sp-api',
      ),
    );
    expect(d.field).toBe('/OrderItems/0/ItemPrice/CurrencyCode');
  });

  it('refuses an order that is not Unshipped/PartiallyShipped or is fulfilled by Amazon', () => {
    const [order] = ordersPage().orders;
    expect(
      refusal(() => amazonOrderToCanonical({ ...order, OrderStatus: 'Pending' }, itemsPage().items, 'a-b'))
        .field,
    ).toBe('/OrderStatus');
    expect(
      refusal(() => amazonOrderToCanonical({ ...order, FulfillmentChannel: 'AFN' }, itemsPage().items, 'a-b'))
        .field,
    ).toBe('/FulfillmentChannel');
  });
});

describe('canonical shipment → Amazon confirmShipment', () => {
  it('builds the fixture body with every unshipped item and its quantity', () => {
    const body = confirmShipmentBody({
      marketplaceId: 'ATVPDKIKX0DER',
      packageReferenceId: '1Z999AA10123456784',
      carrierCode: 'UPS',
      trackingNumber: '1Z999AA10123456784',
      shipDate: '2026-11-30T10:00:00.000Z',
      items: itemsToConfirm(itemsPage().items),
    });
    expect(body).toEqual(json('shipment-confirmation.request.amazon.json'));
  });

  it('leaves out items already shipped and names the carrier when the code is Other', () => {
    const [a, b] = itemsPage().items;
    expect(itemsToConfirm([{ ...a, QuantityShipped: 2 }, { ...b }])).toEqual([
      { orderItemId: '43517093120419', quantity: 1 },
    ]);
    const body = confirmShipmentBody({
      marketplaceId: 'X',
      packageReferenceId: 'p',
      carrierCode: 'Other',
      carrierName: 'Waygate Express',
      trackingNumber: 't',
      shipDate: '2026-11-30T10:00:00.000Z',
      items: [],
    });
    expect((body.packageDetail as Record<string, unknown>).carrierName).toBe('Waygate Express');
  });

  it('asks getOrders for seller-fulfilled unshipped orders, and only the marketplaces with a NextToken', () => {
    const q = ordersQuery({
      marketplaceIds: ['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2'],
      since: '2026-11-29T00:00:00.000Z',
      pullBy: 'LastUpdatedAfter',
      pageSize: 50,
    });
    expect(q).toEqual({
      MarketplaceIds: 'ATVPDKIKX0DER,A2EUQ1WTGCTBG2',
      LastUpdatedAfter: '2026-11-29T00:00:00.000Z',
      OrderStatuses: 'Unshipped,PartiallyShipped',
      FulfillmentChannels: 'MFN',
      MaxResultsPerPage: '50',
    });
    expect(
      ordersQuery({
        marketplaceIds: ['ATVPDKIKX0DER'],
        pullBy: 'CreatedAfter',
        pageSize: 50,
        nextToken: 'abc',
      }),
    ).toEqual({
      MarketplaceIds: 'ATVPDKIKX0DER',
      NextToken: 'abc',
    });
  });
});

describe('Amazon envelopes and tokens', () => {
  it('reads the SP-API error envelope {errors:[{code,message,details}]}', () => {
    expect(readErrors(raw('error-400.amazon.json'))).toEqual([
      {
        code: 'InvalidInput',
        message: 'Invalid Input',
        details: 'CreatedAfter and LastUpdatedAfter cannot both be set',
      },
    ]);
    expect(readErrors(raw('error-403-expired.amazon.json'))?.[0]?.code).toBe('Unauthorized');
    expect(readErrors(raw('error-429.amazon.json'))?.[0]?.code).toBe('QuotaExceeded');
    expect(readErrors(raw('error-500.amazon.json'))?.[0]?.code).toBe('InternalFailure');
    expect(readErrors('<html>503</html>')).toBeUndefined();
    expect(readErrors('{"errors":[]}')).toBeUndefined();
  });

  it('reads the LWA token and its OAuth refusal, and the RDT answer', () => {
    expect(parseLwaToken(raw('lwa-token.amazon.json'))).toEqual({
      accessToken: 'Atza|IwEBIFixtureAccessTokenNotARealOne',
      expiresInSec: 3600,
    });
    expect(readLwaError(raw('lwa-error.amazon.json'))?.code).toBe('invalid_grant');
    expect(parseRdt('{"restrictedDataToken":"Atz.sprdt|x","expiresIn":3600}').token).toBe('Atz.sprdt|x');
    expect(() => parseLwaToken('{"access_token":"a","expires_in":"3600"}')).toThrow(MalformedAnswer);
    expect(() => parseRdt('{"expiresIn":3600}')).toThrow(MalformedAnswer);
  });

  it('refuses a payload without payload, or pages larger than Amazon ever sends', () => {
    expect(() => readPayload('{"Orders":[]}')).toThrow(MalformedAnswer);
    expect(() => readOrdersPage({ Orders: Array.from({ length: 101 }, () => ({})) })).toThrow(/at most 100/);
    expect(() => readItemsPage({ OrderItems: Array.from({ length: 501 }, () => ({})) })).toThrow(
      /at most 500/,
    );
    expect(() => readOrdersPage({ Orders: [1] })).toThrow(MalformedAnswer);
    expect(() => readOrdersPage({ Orders: [], NextToken: 5 })).toThrow(/NextToken/);
  });
});

describe('the class of orders Amazon can send back (fast-check)', () => {
  const value = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.string({ maxLength: 30 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constantFrom('-1.00', '1e3', '12.345678', '9999999999999.00', ' 1.00', '0x10', '', 'NaN', '1,00'),
    fc.record({
      CurrencyCode: fc.constantFrom('USD', 'EUR', 'XXX', ''),
      Amount: fc.string({ maxLength: 16 }),
    }),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  );
  const orderKeys = [
    'AmazonOrderId',
    'OrderStatus',
    'FulfillmentChannel',
    'PurchaseDate',
    'OrderTotal',
    'ShippingAddress',
    'BuyerInfo',
  ];
  const addressKeys = [
    'Name',
    'AddressLine1',
    'AddressLine2',
    'City',
    'StateOrRegion',
    'PostalCode',
    'CountryCode',
    'Phone',
  ];
  const itemKeys = [
    'SellerSKU',
    'Title',
    'QuantityOrdered',
    'QuantityShipped',
    'ItemPrice',
    'ShippingPrice',
    'ItemTax',
    'PromotionDiscount',
  ];

  function mapOrRefuse(order: unknown, items: unknown[]): void {
    try {
      const out = amazonOrderToCanonical(order, items, 'amazon-sp-api');
      expect(validOrder(out), JSON.stringify(validOrder.errors)).toBe(true);
    } catch (err) {
      expect(err).toBeInstanceOf(WaygateError);
      expect((err as WaygateError).code).toBe('order_payload_invalid');
      const d = (err as WaygateError).details as { field: unknown; errors: unknown[] };
      expect(typeof d.field).toBe('string');
      expect(d.errors.length).toBeGreaterThan(0);
    }
  }

  it('any field of the order, its address or an item replaced by any value: a valid order or a clear refusal', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('order', 'address', 'item'),
        fc.nat(20),
        value,
        fc.nat(1),
        (where, k, v, which) => {
          const order = structuredClone(ordersPage().orders[0]!);
          const items = structuredClone(itemsPage().items);
          if (where === 'order') order[orderKeys[k % orderKeys.length]!] = v;
          else if (where === 'address')
            (order.ShippingAddress as Record<string, unknown>)[addressKeys[k % addressKeys.length]!] = v;
          else items[which]![itemKeys[k % itemKeys.length]!] = v;
          mapOrRefuse(order, items);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('any amount string in any money field: a decimal-string order or a refusal naming the Amount', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 24 }),
        fc.constantFrom('ItemPrice', 'ShippingPrice', 'ItemTax', 'PromotionDiscount'),
        (amount, key) => {
          const items = structuredClone(itemsPage().items);
          items[0]![key] = { CurrencyCode: 'USD', Amount: amount };
          mapOrRefuse(ordersPage().orders[0], items);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('any JSON at all as order and items: never a crash other than order_payload_invalid', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 3 }),
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }),
        (o, items) => {
          mapOrRefuse(o, items);
        },
      ),
      { numRuns: 300 },
    );
  });
});
