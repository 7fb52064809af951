import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { HttpClient } from '../../http.js';
import { createConnector } from './index.js';
import { inventoryPage, outboundOrder, stockEvent } from './mapper.js';
import { signCall, signPush } from './signature.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const VECTOR_BODY =
  '{"client_ref":"ord_01hzy3k9q8x7w6v5t4s3r2p1n0","ship_to":{"name":"Jane Doe","phone":"","line1":"1 Main St","line2":"","city":"Austin","state":"TX","postcode":"78701","country":"US"},"items":[{"item_code":"SKU-RED-M","qty":2}]}';

const noHttp: HttpClient = {
  send: () => Promise.reject(new Error('no network in this test')),
  close: async () => undefined,
} as unknown as HttpClient;
const connector = createConnector(
  {
    partnerId: 'sandbox-warehouse',
    baseUrl: 'http://127.0.0.1:1',
    credentials: { appKey: 'owh_demo_key', appSecret: 'x', pushSecret: 'owh-demo-push-secret' },
  },
  noHttp,
);

describe('sandbox-warehouse connector', () => {
  it("reproduces the warehouse's published request-signing vector", () => {
    expect(
      signCall('owh-demo-secret-please-rotate', {
        appKey: 'owh_demo_key',
        timestamp: '1764748800',
        nonce: '5f2b8c0e9d1a4c3b7e6f0a12',
        method: 'POST',
        pathAndQuery: '/owh/api/v2/outbound/orders',
        body: VECTOR_BODY,
      }),
    ).toBe('7047DFD02A92D1B152A561AA3BCC636C4B5B5AB3CD1F28153426D0F51168B036');
  });

  it('reproduces the push vector and verifies a push only with its exact bytes and a fresh timestamp', () => {
    const body = fixture('event-shipped.json');
    const sign = signPush('owh-demo-push-secret', '1764748800', body);
    expect(sign).toBe('75c3a2fdf573a45b722e14a69d8eecbfb545e96141c87bcf715585d34c84989e');
    const req = (bytes: Buffer, ts = '1764748800', s = sign, nowMs = 1764748800_000 + 60_000) => ({
      headers: { 'x-owh-timestamp': ts, 'x-owh-sign': s },
      rawBody: bytes.toString('utf8'),
      rawBytes: bytes,
      nowMs,
    });
    expect(connector.verifyStockPush(req(body))).toBe(true);
    // A replay after the window, another timestamp, or any change of a byte is refused.
    expect(connector.verifyStockPush(req(body, '1764748800', sign, 1764748800_000 + 301_000))).toBe(false);
    expect(connector.verifyStockPush(req(body, '1764748801'))).toBe(false);
    fc.assert(
      fc.property(fc.nat({ max: body.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const tampered = Buffer.from(body);
        tampered[at] = tampered[at]! ^ x;
        expect(connector.verifyStockPush(req(tampered))).toBe(false);
      }),
    );
  });

  it('maps a shipped event to a canonical stock change with the last-mile waybill', () => {
    expect(stockEvent(JSON.parse(fixture('event-shipped.json').toString()))).toEqual({
      eventId: 'EV00000042',
      kind: 'outbound_shipped',
      sku: 'SKU-RED-M',
      delta: -2,
      occurredAt: Date.parse('2025-12-03T08:00:00.123Z'),
      reference: 'ord_01hzy3k9q8x7w6v5t4s3r2p1n0',
      waybillNo: 'LM7H3K9Q2W8E4R',
      lastMileCarrier: 'carrier-alpha',
    });
    expect(stockEvent(JSON.parse(fixture('event-return.json').toString()))).toMatchObject({
      kind: 'return_received',
      delta: 0,
      inspection: 'damaged',
    });
  });

  it('reads an inventory page and refuses a malformed event naming the field', () => {
    const page = inventoryPage(
      (JSON.parse(fixture('inventory-page.json').toString()) as { data: unknown }).data,
    );
    expect(page).toMatchObject({ pageNo: 1, totalPages: 1 });
    expect(page.levels).toEqual([
      { sku: 'SKU-BLU-L', onHand: 0, allocated: 0 },
      { sku: 'SKU-RED-M', onHand: 118, allocated: 6 },
    ]);
    const base = JSON.parse(fixture('event-shipped.json').toString()) as Record<string, unknown>;
    for (const [field, value] of [
      ['qty_change', 1.5],
      ['event_type', 'STOCK_TELEPORTED'],
      ['occurred_at', 'yesterday'],
      ['item_code', "x' or 1=1"],
    ] as const) {
      expect(() => stockEvent({ ...base, [field]: value })).toThrow(
        expect.objectContaining({ code: 'stock_event_invalid' }),
      );
    }
  });

  it('reads an outbound order: the last-mile waybill once shipped, an unknown state never guessed', () => {
    const data = (name: string) =>
      (JSON.parse(fixture(name).toString()) as { data: Record<string, unknown> }).data;
    expect(outboundOrder(data('outbound-shipped.json'))).toEqual({
      outboundNo: 'OB0000007',
      state: 'shipped',
      partnerCode: 'SHIPPED',
      waybillNo: 'LM7H3K9Q2W8E4R',
      lastMileCarrier: 'carrier-alpha',
    });
    expect(outboundOrder(data('outbound-picking.json'))).toEqual({
      outboundNo: 'OB0000008',
      state: 'picking',
      partnerCode: 'PICKING',
    });
    expect(outboundOrder({ ...data('outbound-picking.json'), ob_status: 'TELEPORTED' }).state).toBe(
      'unknown',
    );
    // Shipped without a waybill is not a shipment: refused, naming the field.
    expect(() => outboundOrder({ ...data('outbound-shipped.json'), tracking_no: undefined })).toThrow(
      'data.tracking_no',
    );
  });
});
