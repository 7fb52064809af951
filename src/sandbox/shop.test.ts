import { describe, expect, it } from 'vitest';
import { OrderInput } from '../domain/index.js';
import { createAjv } from '../domain/validation.js';
import { shopOrderToCanonical } from '../connectors/platforms/sandbox-shop/mapper.js';
import { makeSandboxCredentials } from './credentials.js';
import { generateOrder, SHOP_MARKETS, type ShopOrder } from './shop-data.js';
import { createShop } from './shop.js';

const validOrderInput = createAjv().compile(OrderInput);

const SAMPLE = 3000;
const orders: ShopOrder[] = Array.from({ length: SAMPLE }, (_, i) =>
  generateOrder({
    id: 450_789_469_000_000 + i,
    runId: 'T3ST',
    index: i,
    createdAtMs: Date.parse('2025-05-01T12:00:00Z'),
  }),
);

const POSTAL: Record<string, RegExp> = {
  US: /^\d{5}$/,
  CA: /^[ABCEGHJ-NPRSTVXY]\d[A-Z] \d[A-Z]\d$/,
  GB: /^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$/,
  DE: /^\d{5}$/,
  FR: /^\d{5}$/,
  ES: /^\d{5}$/,
  IT: /^\d{5}$/,
  NL: /^\d{4} [A-Z]{2}$/,
  AU: /^\d{4}$/,
  JP: /^\d{3}-\d{4}$/,
  BR: /^\d{5}-\d{3}$/,
  MX: /^\d{5}$/,
  SE: /^\d{3} \d{2}$/,
  PL: /^\d{2}-\d{3}$/,
};
const CALLING: Record<string, string> = {
  US: '+1',
  CA: '+1',
  GB: '+44',
  DE: '+49',
  FR: '+33',
  ES: '+34',
  IT: '+39',
  NL: '+31',
  AU: '+61',
  JP: '+81',
  BR: '+55',
  MX: '+52',
  SE: '+46',
  PL: '+48',
};

describe('sandbox shop order generator', () => {
  it('generates orders that all map to valid canonical orders', () => {
    for (const o of orders) {
      const canonical = shopOrderToCanonical(JSON.parse(JSON.stringify(o)), 'sandbox-shop');
      if (!validOrderInput(canonical)) throw new Error(`${o.id}: ${JSON.stringify(validOrderInput.errors)}`);
    }
  });

  it('spreads destinations over US, CA, GB, DE and at least 8 more countries, each in its own currency', () => {
    const countries = new Map<string, number>();
    for (const o of orders)
      countries.set(
        o.shipping_address.country_code,
        (countries.get(o.shipping_address.country_code) ?? 0) + 1,
      );
    for (const c of ['US', 'CA', 'GB', 'DE']) expect(countries.get(c)).toBeGreaterThan(SAMPLE * 0.03);
    expect(countries.size).toBeGreaterThanOrEqual(12);
    const currencyOf = new Map(SHOP_MARKETS.map((m) => [m.code, m.currency]));
    for (const o of orders) expect(o.currency).toBe(currencyOf.get(o.shipping_address.country_code));
    expect(new Set(orders.map((o) => o.currency))).toEqual(
      new Set(['USD', 'CAD', 'GBP', 'EUR', 'AUD', 'JPY', 'BRL', 'MXN', 'SEK', 'PLN']),
    );
  });

  it('writes postal codes and E.164 phone numbers in each country’s format', () => {
    for (const o of orders) {
      const a = o.shipping_address;
      const postal = POSTAL[a.country_code];
      expect(postal, a.country_code).toBeDefined();
      expect(a.zip, `${a.country_code} ${a.zip}`).toMatch(postal as RegExp);
      if (a.phone !== null) {
        expect(a.phone).toMatch(/^\+[1-9]\d{7,14}$/);
        expect(a.phone.startsWith(CALLING[a.country_code] as string), `${a.country_code} ${a.phone}`).toBe(
          true,
        );
      }
    }
    expect(orders.filter((o) => o.shipping_address.phone === null).length).toBe(0); // the checkout requires a phone
  });

  it('uses real 6-digit HS codes, mostly Chinese origin, and never repeats a SKU within an order', () => {
    let lines = 0;
    let cn = 0;
    for (const o of orders) {
      expect(new Set(o.line_items.map((l) => l.sku)).size).toBe(o.line_items.length);
      for (const l of o.line_items) {
        lines++;
        if (l.country_code_of_origin === 'CN') cn++;
        expect(l.harmonized_system_code).toMatch(/^\d{6}$/);
      }
    }
    expect(cn / lines).toBeGreaterThan(0.6);
    expect(cn / lines).toBeLessThan(0.98);
  });

  it('prices JPY in whole yen and every other currency with two decimals, totals adding up', () => {
    for (const o of orders) {
      const re = o.currency === 'JPY' ? /^\d+$/ : /^\d+\.\d{2}$/;
      for (const l of o.line_items) expect(l.price).toMatch(re);
      expect(o.total_price).toMatch(re);
      const cents = (p: string) => Math.round(Number(p) * 100);
      const subtotal = o.line_items.reduce((s, l) => s + cents(l.price) * l.quantity, 0);
      expect(cents(o.subtotal_price)).toBe(subtotal);
      expect(cents(o.total_price)).toBe(subtotal + cents(o.total_shipping_price));
    }
  });

  it('regenerates the same order from the same run and position', () => {
    const seed = {
      id: 450_789_469_000_005,
      runId: 'T3ST',
      index: 5,
      createdAtMs: Date.parse('2025-05-01T12:00:00Z'),
    };
    expect(generateOrder(seed)).toEqual(orders[5]);
    expect(orders[5]?.name).toBe('#RT3ST-1006');
  });
});

describe('sandbox shop partner', () => {
  it('gives every pushed order a unique numeric id and counts them, none delivered without a subscriber', async () => {
    const shop = createShop({ credentials: makeSandboxCredentials(), stepMs: 50, baseUrl: () => '' });
    try {
      const a = shop.push(1000, 'run-a');
      const b = shop.push(500);
      expect(b.runId).toMatch(/^[0-9A-F]{6}$/);
      const ids = [...a.externalIds, ...b.externalIds];
      expect(new Set(ids).size).toBe(1500);
      for (const id of ids) expect(Number.isSafeInteger(Number(id))).toBe(true);
      expect(shop.delivered('run-a')).toBe(0);
      expect(shop.stats()).toEqual({
        ordersGenerated: 1500,
        webhooksDelivered: 0,
        webhookAttempts: 0,
        webhookFailures: 0,
        redeliveries: 0,
        pending: 1500,
        abandoned: 0,
        subscriptions: 0,
        inFlight: 0,
        stockUpdates: 0,
        stockRefused: 0,
      });
    } finally {
      await shop.close();
    }
  });

  it('refuses a run id that cannot tag an order name', async () => {
    const shop = createShop({ credentials: makeSandboxCredentials(), stepMs: 50, baseUrl: () => '' });
    try {
      expect(() => shop.push(1, 'bad run id!')).toThrow(RangeError);
      expect(() => shop.push(0)).toThrow(RangeError);
    } finally {
      await shop.close();
    }
  });
});
