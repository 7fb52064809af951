import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TrackingEvent } from '../../../domain/index.js';
import { createAjv } from '../../../domain/validation.js';
import { MalformedAnswer } from '../../contract.js';
import type { ShipmentRequest } from '../../types.js';
import { basicToken } from './client.js';
import { classifyYunError, trackingCodeFor } from './codes.js';
import {
  buildCreateOrder,
  parseCreateOrder,
  parseLabelPrint,
  parseTrackInfo,
  readEnvelope,
} from './mapper.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const json = <T>(name: string): T => JSON.parse(fixture(name)) as T;

describe('YunExpress mapper, canonical → YunExpress', () => {
  it('builds the CreateOrder array of the fixture: kilograms, PascalCase, CustomerOrderNumber = idempotency key', () => {
    expect(buildCreateOrder(json<ShipmentRequest>('shipment-request.canonical.json'))).toEqual(
      json('create-request.yun.json'),
    );
  });

  it('builds the Basic token from CustomerCode&ApiSecret', () => {
    expect(basicToken('C88888', 'JCJaDTDJFhk=')).toBe(
      `Basic ${Buffer.from('C88888&JCJaDTDJFhk=').toString('base64')}`,
    );
  });
});

describe('YunExpress mapper, YunExpress → canonical', () => {
  it('reads a created order', () => {
    expect(parseCreateOrder(fixture('create-response.yun.json'))).toEqual({
      ok: true,
      value: { waybillNo: 'YT2415600000731842' },
    });
  });

  it('reads an order refused inside a 0000 envelope (Success 0, Remark) as a refusal', () => {
    expect(parseCreateOrder(fixture('create-refused.yun.json'))).toEqual({
      ok: false,
      error: { code: 'ORDER_REFUSED', message: 'Parcels[1].HSCode must be 6 to 10 digits' },
    });
  });

  it('reads an envelope error and classifies an auth code as not retryable', () => {
    const res = readEnvelope(fixture('error-auth.yun.json'));
    expect(res).toMatchObject({ ok: false, error: { code: '1001' } });
    if (res.ok) throw new Error('expected refusal');
    expect(classifyYunError(res.error)).toMatchObject({ code: 'partner_auth_failed', retryable: false });
    expect(classifyYunError({ code: '1006', message: 'slow down' })).toMatchObject({
      code: 'partner_rate_limited',
      retryable: true,
    });
    expect(classifyYunError({ code: '9999', message: 'system' })).toMatchObject({ retryable: true });
  });

  it('reads track info: Beijing ProcessDate to UTC, the last-mile number on the handover, unknown status to the fallback', () => {
    expect(parseTrackInfo(fixture('track-info.yun.json'))).toEqual(json('track-info.canonical.json'));
    const res = parseTrackInfo(fixture('track-info.yun.json'));
    if (!res.ok) throw new Error('expected events');
    const validate = createAjv().compile(TrackingEvent);
    for (const e of res.value) expect([validate(e), validate.errors ?? []]).toEqual([true, []]);
  });

  it('reads the label URL', () => {
    expect(parseLabelPrint(fixture('label-print.yun.json'))).toEqual({
      ok: true,
      value: 'https://labels.yunexpress.example/PDF/7c1e2a90b4f34d0f8e6a.pdf',
    });
  });

  it('maps codes through the table with a declared fallback, and refuses bodies that are no envelope', () => {
    expect(trackingCodeFor('90')).toBe('DELIVERED');
    expect(trackingCodeFor('__proto__')).toBe('UNKNOWN');
    for (const body of ['<html/>', '{"Item":{}}', 'null'])
      expect(() => readEnvelope(body)).toThrow(MalformedAnswer);
  });
});
