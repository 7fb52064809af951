/**
 * Issue 16, defect 10: retired and reserved country and currency codes were accepted (the ICU
 * lists know them), and control characters, U+FFFE and lone surrogates in names went on to the
 * XML carrier as a document that is not well-formed. Both are now refused at the edge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildCreateContent } from '../../src/connectors/carriers/carrier-beta/mapper.js';
import { parseXml } from '../../src/connectors/xml.js';
import {
  COUNTRY_CODES,
  CURRENCY_CODES,
  OrderInput,
  orderTotal,
  shippableItems,
} from '../../src/domain/index.js';
import { createAjv } from '../../src/domain/validation.js';
import { gatewayFor, type GatewayFixture } from '../helpers/gateway.js';
import { orderFixture } from '../helpers/fixtures.js';
import { freshStore, type TestStore } from '../helpers/stores.js';

const validOrder = createAjv().compile(OrderInput);

/** XML 1.0's Char production: what a well-formed document may contain at all. */
// eslint-disable-next-line no-control-regex -- the production names the three controls XML allows
const XML_CHARS = /^[\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

describe('defect 10: codes are the official ISO lists', () => {
  it('holds the 249 assigned countries and no reserved or retired code', () => {
    expect(COUNTRY_CODES).toHaveLength(249);
    for (const code of ['UK', 'EU', 'SU', 'YU', 'ZR', 'AN', 'CS', 'TP', 'UN', 'EZ', 'XK', 'AA', 'QZ', 'ZZ'])
      expect(COUNTRY_CODES, code).not.toContain(code);
    for (const code of ['GB', 'DE', 'CN', 'SS', 'CW', 'SX', 'BQ', 'US'])
      expect(COUNTRY_CODES, code).toContain(code);
  });

  it('holds current currencies only', () => {
    for (const code of ['HRK', 'BGN', 'ANG', 'ZWL', 'SLL', 'DEM', 'FRF', 'XAU', 'XTS', 'XXX', 'USN', 'CHE'])
      expect(CURRENCY_CODES, code).not.toContain(code);
    for (const code of ['EUR', 'USD', 'CNY', 'XCG', 'ZWG', 'SLE', 'VED', 'XOF'])
      expect(CURRENCY_CODES).toContain(code);
  });

  it('refuses an order naming a retired or reserved code, every code of the lists passes', () => {
    for (const country of ['UK', 'EU', 'SU', 'YU']) {
      const o = orderFixture();
      expect(validOrder({ ...o, recipient: { ...o.recipient, country } }), country).toBe(false);
    }
    for (const currency of ['HRK', 'BGN', 'XAU'])
      expect(validOrder(orderFixture({ currency })), currency).toBe(false);
    for (const country of COUNTRY_CODES) {
      const o = orderFixture();
      expect(validOrder({ ...o, recipient: { ...o.recipient, country } }), country).toBe(true);
    }
    for (const currency of CURRENCY_CODES)
      expect(validOrder(orderFixture({ currency })), currency).toBe(true);
  });
});

/** One UTF-16 code unit anywhere in the BMP (lone surrogates included), or an astral character. */
const anyUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u0000', '\u0001', '\u0008', '\t', '\n', '\r', '\u007f', '\u0085', '\ud800', '\udfff'),
  fc.constantFrom('\ufffe', '\uffff', '\ufdd0', '\u2028', '😀', '𝔘', 'é', '<', '&', ']]>', '"'),
);
const anyText = fc.oneof(
  fc.string({ unit: anyUnit, minLength: 1, maxLength: 30 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }),
);

function request(o: OrderInput) {
  return {
    orderId: 'ord_01jaaaaaaaaaaaaaaaaaaaaaaa',
    reference: o.externalId,
    idempotencyKey: 'wg-ship-x',
    recipient: o.recipient,
    // The fixture's lines carry their customs data (shippableItems would refuse them otherwise).
    items: shippableItems(o.items) ?? [],
    currency: o.currency,
    declaredValue: orderTotal(o.items),
    totalWeightGrams: 350,
  };
}

describe('defect 10: canonical text is refused unless XML can carry it', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  beforeAll(async () => {
    store = await freshStore('sqlite');
    gw = await gatewayFor(store);
  });
  afterAll(async () => {
    await gw.app.close();
    await store.destroy();
  });

  it('the gateway refuses control characters, U+FFFE/U+FFFF and lone surrogates in names', async () => {
    let n = 0;
    for (const bad of [
      'Jane\u0001Doe',
      'Jane\u0000',
      'Jane\ufffe',
      'Jane\uffff',
      'Jane\u0085',
      'Jane\nDoe',
    ]) {
      const o = orderFixture({ externalId: `TXT-${++n}` });
      const res = await gw.call('POST', '/v1/orders', { ...o, recipient: { ...o.recipient, name: bad } });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().error.details.map((d: { field: string }) => d.field)).toContain('/recipient/name');
    }
    // A lone surrogate arrives as a JSON escape (UTF-8 cannot even carry it).
    const o = orderFixture({ externalId: 'TXT-lone' });
    const body = JSON.stringify(o).replace('"Jane Doe"', '"Jane\\ud800Doe"');
    const res = await gw.call('POST', '/v1/orders', body);
    expect(res.statusCode).toBe(400);
    // Astral characters and accents are text like any other.
    const ok = orderFixture({ externalId: 'TXT-ok' });
    const good = await gw.call('POST', '/v1/orders', {
      ...ok,
      recipient: { ...ok.recipient, name: 'Zoë 😀 Ngữ' },
    });
    expect(good.statusCode).toBe(202);
  });

  it('any accepted order renders to well-formed XML for carrier-beta, which reads back as sent', () => {
    let accepted = 0;
    fc.assert(
      fc.property(anyText, anyText, anyText, anyText, anyText, (name, city, line1, sku, description) => {
        const base = orderFixture();
        const o = {
          ...base,
          recipient: { ...base.recipient, name, city, line1 },
          items: [{ ...(base.items[0] as OrderInput['items'][number]), sku, description }],
        };
        if (!validOrder(o)) return;
        accepted++;
        const xml = buildCreateContent(request(o as OrderInput));
        expect(XML_CHARS.test(xml), JSON.stringify(xml)).toBe(true);
        const doc = parseXml(xml) as { request: Record<string, Record<string, unknown>> };
        const receiver = doc.request.receiver as Record<string, string>;
        expect(receiver.name).toBe(name.trim());
        expect(receiver.city).toBe(city.trim());
        expect(receiver.address).toBe(line1.trim());
        const item = (doc.request.parcel as { items: { item: Record<string, string> } }).items.item;
        expect(item.sku).toBe(sku.trim());
        expect(item.name_en).toBe(description.trim());
      }),
      { numRuns: 400 },
    );
    // The property is about accepted orders: enough of the runs must be ones.
    expect(accepted).toBeGreaterThan(40);
  });
});
