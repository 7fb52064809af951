/** Yanwen mapping on real-format fixtures, both directions, envelopes included; and its md5 sign. */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ShipmentRequest } from '../../types.js';
import { MalformedAnswer } from '../../contract.js';
import { STATUS_FALLBACK, YANWEN_TRACKING_STATUS, errorClassOf } from './codes.js';
import { buildCreateOrder, parseCreateOrder, parseLabel, parseTracking } from './mapper.js';
import { yanwenSign } from './sign.js';

const raw = (n: string) => readFileSync(new URL(`./fixtures/${n}`, import.meta.url), 'utf8');
const req = JSON.parse(raw('shipment-request.canonical.json')) as ShipmentRequest;

describe('Yanwen mapping', () => {
  it('builds express.order.create from a canonical shipment: orderNumber = idempotency key, grams, declared names', () => {
    const body = buildCreateOrder(req, '481') as Record<string, Record<string, unknown>>;
    expect(body.orderNumber).toBe(req.idempotencyKey);
    expect(body.channelId).toBe('481');
    expect(body.receiverInfo).toMatchObject({
      name: req.recipient.name,
      country: req.recipient.country,
      city: req.recipient.city,
    });
    const parcel = body.parcelInfo as {
      totalWeight: number;
      totalQuantity: number;
      productList: { hscode: string }[];
    };
    expect(parcel.totalWeight).toBe(req.totalWeightGrams);
    expect(parcel.totalQuantity).toBe(req.items.reduce((n, i) => n + i.quantity, 0));
    expect(parcel.productList.map((p) => p.hscode)).toEqual(req.items.map((i) => i.hsCode));
  });

  it('reads the create answer, the duplicate refusal (103) and the sign refusal (100)', () => {
    expect(parseCreateOrder(raw('create-order.response.yanwen.json'))).toEqual({
      ok: true,
      value: { waybillNo: 'UG004518273YW', partnerShipmentId: 'Y000004518273' },
    });
    const dup = parseCreateOrder(raw('create-order.duplicate.yanwen.json'));
    expect(dup.ok ? undefined : errorClassOf(dup.error.code)).toBe('duplicate');
    const sign = parseCreateOrder(raw('sign-error.yanwen.json'));
    expect(sign.ok ? undefined : errorClassOf(sign.error.code)).toBe('auth');
    expect(errorClassOf('never-seen')).toBe('rejected');
    expect(() => parseCreateOrder('{"success":true,"code":"0","data":{}}')).toThrow(MalformedAnswer);
    expect(() => parseCreateOrder('<html>')).toThrow(MalformedAnswer);
  });

  it('maps tracking checkpoints through the code table with their own time zone, unknown codes to the fallback', () => {
    const r = parseTracking(raw('tracking.response.yanwen.json'));
    if (!r.ok) throw new Error('expected events');
    expect(r.value.map((e) => [e.partnerCode, e.code])).toEqual([
      ['OR10', 'LABEL_CREATED'],
      ['PU10', 'PICKED_UP'],
      ['LH20', 'LINE_HAUL_DEPARTED'],
      ['LM10', 'HANDOVER_TO_LAST_MILE'],
      ['ZZ99', STATUS_FALLBACK],
    ]);
    expect(r.value[0]!.occurredAt).toBe('2026-11-27T01:15:00.000Z');
    expect(r.value[3]!.occurredAt).toBe('2026-11-30T13:30:00.000Z');
    expect(r.value[3]).toMatchObject({
      nextTrackingNo: '9400111899223344556677',
      nextCarrier: 'USPS',
      location: { city: 'New York', country: 'US' },
    });
    expect(Object.keys(YANWEN_TRACKING_STATUS).length).toBeGreaterThan(15);
    expect(() =>
      parseTracking(
        '{"code":0,"result":[{"waybill_number":"X","checkpoints":[{"tracking_status":"PU10","time_stamp":"yesterday"}]}]}',
      ),
    ).toThrow(MalformedAnswer);
  });

  it('reads a base64 PDF label and refuses one that is not a PDF', () => {
    const pdf = Buffer.from('%PDF-1.4\n% fixture\n');
    const ok = parseLabel(
      JSON.stringify({
        success: true,
        code: '0',
        data: { isSuccess: true, base64String: pdf.toString('base64') },
      }),
    );
    expect(ok.ok && ok.value.format).toBe('PDF');
    const missing = parseLabel(
      JSON.stringify({ success: true, code: '0', data: { isSuccess: false, errorMsg: 'waybill not found' } }),
    );
    expect(missing.ok).toBe(false);
    expect(() =>
      parseLabel(
        JSON.stringify({ success: true, code: '0', data: { isSuccess: true, base64String: 'aGVsbG8=' } }),
      ),
    ).toThrow(MalformedAnswer);
  });
});

describe('Yanwen md5 sign', () => {
  const p = {
    userId: '100000',
    body: '{"orderNumber":"A1"}',
    format: 'json',
    method: 'express.order.create',
    timestamp: '1700000000000',
    version: 'V1.0',
  };
  it('is md5(apiToken + user_id + body + format + method + timestamp + version + apiToken), lowercase hex', () => {
    const expected = createHash('md5')
      .update('TOKEN100000{"orderNumber":"A1"}jsonexpress.order.create1700000000000V1.0TOKEN')
      .digest('hex');
    expect(yanwenSign(p, 'TOKEN')).toBe(expected);
    expect(yanwenSign(p, 'TOKEN')).toMatch(/^[0-9a-f]{32}$/);
  });
  it('changes with any byte of the body, the method or the token', () => {
    const base = yanwenSign(p, 'TOKEN');
    expect(yanwenSign({ ...p, body: '{"orderNumber":"A2"}' }, 'TOKEN')).not.toBe(base);
    expect(yanwenSign({ ...p, method: 'express.order.get' }, 'TOKEN')).not.toBe(base);
    expect(yanwenSign(p, 'TOKEn')).not.toBe(base);
  });
});
