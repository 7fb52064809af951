import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TrackingEvent } from '../../../domain/index.js';
import { createAjv } from '../../../domain/validation.js';
import { MalformedAnswer } from '../../contract.js';
import type { ShipmentRequest } from '../../types.js';
import { classifyFourpxError, errorClassOf, trackingCodeFor } from './codes.js';
import {
  buildCreateOrder,
  parseCancel,
  parseCreateOrder,
  parseLabelGet,
  parseOrderGet,
  parseTracking,
  readEnvelope,
} from './mapper.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const json = <T>(name: string): T => JSON.parse(fixture(name)) as T;

describe('4PX mapper, canonical → 4PX', () => {
  it('builds the ds.xms.order.create body of the fixture, ref_no being the idempotency key', () => {
    expect(buildCreateOrder(json<ShipmentRequest>('shipment-request.canonical.json'))).toEqual(
      json('create-request.4px.json'),
    );
  });

  it('uses the configured product code and label format', () => {
    const body = buildCreateOrder(json<ShipmentRequest>('shipment-request.canonical.json'), {
      productCode: 'PX',
      labelFormat: 'ZPL',
    });
    expect(body).toMatchObject({
      logistics_service_info: { logistics_product_code: 'PX' },
      label_config_info: { response_label_format: 'ZPL' },
    });
  });
});

describe('4PX mapper, 4PX → canonical', () => {
  it('reads a successful create envelope', () => {
    expect(parseCreateOrder(fixture('create-response.4px.json'))).toEqual(
      json('create-response.canonical.json'),
    );
  });

  it('reads a result "0" envelope as the partner errors, as data', () => {
    expect(parseCreateOrder(fixture('create-error-invalid.4px.json'))).toEqual(
      json('create-error-invalid.canonical.json'),
    );
  });

  it('reads tracking whose data is a JSON string, in Beijing time, unknown codes to the fallback', () => {
    expect(parseTracking(fixture('tracking-response.4px.json'))).toEqual(
      json('tracking-response.canonical.json'),
    );
  });

  it('produces events that satisfy the canonical TrackingEvent schema', () => {
    const res = parseTracking(fixture('tracking-response.4px.json'));
    if (!res.ok) throw new Error('expected events');
    const validate = createAjv().compile(TrackingEvent);
    for (const e of res.value) expect([validate(e), validate.errors ?? []]).toEqual([true, []]);
  });

  it('reads the consignment 4PX holds for a ref_no, the label URL and a refused cancel', () => {
    expect(parseOrderGet(fixture('order-get.4px.json'))).toEqual({
      ok: true,
      value: { waybillNo: '4PX3000418827CN', partnerShipmentId: 'DS3000418827', status: 'predicted' },
    });
    expect(parseLabelGet(fixture('label-response.4px.json'))).toEqual({
      ok: true,
      value: 'https://fpx-labels.example.com/label/4PX3000418827CN.pdf',
    });
    expect(parseCancel(fixture('cancel-refused.4px.json'))).toMatchObject({
      ok: false,
      error: [{ code: 'DS000011' }],
    });
  });

  it('throws MalformedAnswer for bodies that are no 4PX envelope', () => {
    for (const body of ['<html>502</html>', '{"data":{}}', '{"result":"9"}', '[]']) {
      expect(() => readEnvelope(body)).toThrow(MalformedAnswer);
    }
    expect(() => parseCreateOrder('{"result":"1","data":{"ref_no":"x"}}')).toThrow(/4px_tracking_no/);
    expect(() =>
      parseTracking(
        '{"result":"1","data":{"deliveryOrderNo":"X1","trackingList":[{"businessLinkCode":"FPX_S_OK","occurDatetime":"2024-02-30 10:00:00"}]}}',
      ),
    ).toThrow(MalformedAnswer);
  });
});

describe('4PX codes', () => {
  it('maps tracking codes through the table with UNKNOWN as the declared fallback', () => {
    expect(trackingCodeFor('FPX_S_OK')).toBe('DELIVERED');
    expect(trackingCodeFor('FPX_NEW_THING')).toBe('UNKNOWN');
    expect(trackingCodeFor('constructor')).toBe('UNKNOWN');
  });

  it('sorts envelope errors into retryable and not', () => {
    const err = (name: string) =>
      classifyFourpxError(
        json<{ errors: { error_code: string; error_msg: string }[] }>(name).errors.map((e) => ({
          code: e.error_code,
          message: e.error_msg,
        }))[0]!,
      );
    expect(err('error-signature.4px.json')).toMatchObject({
      code: 'partner_auth_failed',
      retryable: false,
      partnerCode: '000012',
    });
    expect(err('error-rate-limited.4px.json')).toMatchObject({
      code: 'partner_rate_limited',
      retryable: true,
      retryAfterMs: 60_000,
    });
    expect(err('create-error-invalid.4px.json')).toMatchObject({
      code: 'partner_rejected',
      retryable: false,
      partnerCode: 'DS000003',
    });
    expect(classifyFourpxError({ code: 'DS000007', message: 'in processing' })).toMatchObject({
      retryable: true,
    });
    expect(errorClassOf('DS000009')).toBe('duplicate');
    expect(errorClassOf('hasOwnProperty')).toBe('rejected');
  });
});
