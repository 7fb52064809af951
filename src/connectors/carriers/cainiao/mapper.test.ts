import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TrackingEvent } from '../../../domain/index.js';
import { createAjv } from '../../../domain/validation.js';
import { MalformedAnswer } from '../../contract.js';
import type { ShipmentRequest } from '../../types.js';
import { classifyCainiaoError, trackingCodeFor } from './codes.js';
import { buildCreate, parseCreate, parseTrack, readAnswer } from './mapper.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('Cainiao mapper', () => {
  it('builds the consign document: outOrderId = idempotency key, grams, prices in cents', () => {
    const doc = buildCreate(JSON.parse(fixture('shipment-request.canonical.json')) as ShipmentRequest);
    expect(doc).toMatchObject({
      outOrderId: 'ship-ord_01J2F4PXAB7Q9M3K6T8V0W2Y4Z',
      packageParams: [
        {
          weight: 1080,
          weightUnit: 'g',
          itemParams: [
            { unitPrice: 4290, hscode: '940520' },
            { unitPrice: 235, quantity: 3 },
          ],
        },
      ],
      receiverParam: { countryCode: 'NL', zipCode: '1016 DV', mobilePhone: '+31205550187' },
      customsParam: { declareCurrency: 'EUR', declareValue: 4995 },
    });
  });

  it('reads created and refused answers (success as boolean or string)', () => {
    expect(parseCreate(fixture('create-response.cainiao.json'))).toEqual({
      ok: true,
      value: { waybillNo: 'LP00418827301245', partnerShipmentId: 'LP0418827301245' },
    });
    expect(parseCreate(fixture('create-refused.cainiao.json'))).toEqual({
      ok: false,
      error: { code: 'PARAM_ERROR', message: 'packageParams[0].itemParams[1].hscode must be 6 to 10 digits' },
    });
  });

  it('reads tracking with per-event time zones; unknown actions and non-ISO countries degrade, never fail', () => {
    const res = parseTrack(fixture('track-response.cainiao.json'));
    if (!res.ok) throw new Error('expected events');
    expect(res.value.map((e) => [e.code, e.occurredAt, e.location?.country])).toEqual([
      ['LABEL_CREATED', '2024-06-09T10:12:44.000Z', 'CN'],
      ['IMPORT_CUSTOMS_HELD', '2024-06-12T07:40:00.000Z', 'NL'],
      ['UNKNOWN', '2024-06-13T04:00:00.000Z', undefined],
      ['DELIVERED', '2024-06-14T12:05:12.000Z', 'NL'],
    ]);
    const validate = createAjv().compile(TrackingEvent);
    for (const e of res.value) expect([validate(e), validate.errors ?? []]).toEqual([true, []]);
  });

  it('classifies S02 (digest) as auth, S04 as rate limiting, anything else as a refusal', () => {
    const res = readAnswer(fixture('error-digest.cainiao.json'));
    if (res.ok) throw new Error('expected refusal');
    expect(classifyCainiaoError(res.error)).toMatchObject({
      code: 'partner_auth_failed',
      retryable: false,
      partnerCode: 'S02',
    });
    expect(classifyCainiaoError({ code: 'S04', message: '' })).toMatchObject({ retryable: true });
    expect(classifyCainiaoError({ code: 'PARAM_ERROR', message: '' })).toMatchObject({
      code: 'partner_rejected',
      retryable: false,
    });
    expect(trackingCodeFor('valueOf')).toBe('UNKNOWN');
    expect(() => readAnswer('{"errorCode":"S02"}')).toThrow(MalformedAnswer);
  });
});
