import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TrackingEvent } from '../../../domain/index.js';
import { createAjv } from '../../../domain/validation.js';
import { MalformedAnswer } from '../../contract.js';
import type { ShipmentRequest } from '../../types.js';
import { trackingCodeFor } from './codes.js';
import {
  buildShipRequest,
  parseShipResponse,
  parseToken,
  parseTrackResponse,
  rejectionOf,
  upsInstant,
} from './mapper.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const json = <T>(name: string): T => JSON.parse(fixture(name)) as T;

describe('UPS mapper', () => {
  it('reads tracking activity (newest first) into canonical events: gmt times, dropped leading zeros, offsets, fallback', () => {
    expect(parseTrackResponse(200, fixture('track-response.ups.json'))).toEqual(
      json('track-response.canonical.json'),
    );
    const res = parseTrackResponse(200, fixture('track-response.ups.json'));
    if (!res.ok) throw new Error('expected events');
    const validate = createAjv().compile(TrackingEvent);
    for (const e of res.value) expect([validate(e), validate.errors ?? []]).toEqual([true, []]);
  });

  it('reads the error envelope of a 404 and a 401 as refusals with UPS’s code', () => {
    expect(parseTrackResponse(404, fixture('error-not-found.ups.json'))).toEqual({
      ok: false,
      error: { code: 'TW0001', message: 'Tracking Information Not Found', status: 404 },
    });
    expect(rejectionOf(401, fixture('error-auth.ups.json'))).toMatchObject({ code: '250002' });
    expect(rejectionOf(502, '<html>bad gateway</html>')).toMatchObject({ code: '502' });
  });

  it('reads the OAuth token answer (expires_in is a string)', () => {
    expect(parseToken(fixture('token.ups.json'))).toMatchObject({ expiresInSec: 14399 });
    expect(() => parseToken('{"status":"approved"}')).toThrow(MalformedAnswer);
  });

  it('builds a Shipping API request and reads the label back from GraphicImage', () => {
    const body = buildShipRequest(json<ShipmentRequest>('shipment-request.canonical.json'), {
      accountNumber: 'A1B2C3',
    });
    expect(body).toMatchObject({
      ShipmentRequest: {
        Shipment: {
          Shipper: { ShipperNumber: 'A1B2C3' },
          ShipTo: {
            AttentionName: 'Marguerite van der Berg',
            Address: { City: 'Amsterdam', PostalCode: '1016 DV', CountryCode: 'NL' },
          },
          Service: { Code: '11' },
          Package: [{ PackageWeight: { UnitOfMeasurement: { Code: 'KGS' }, Weight: '1.1' } }],
        },
        LabelSpecification: { LabelImageFormat: { Code: 'ZPL' } },
      },
    });
    const zpl = Buffer.from('^XA^FO40,40^FD1Z4E7A9B6604518232^FS^XZ');
    const answer = JSON.stringify({
      ShipmentResponse: {
        ShipmentResults: {
          ShipmentIdentificationNumber: '1Z4E7A9B6604518232',
          PackageResults: {
            TrackingNumber: '1Z4E7A9B6604518232',
            ShippingLabel: { ImageFormat: { Code: 'ZPL' }, GraphicImage: zpl.toString('base64') },
          },
        },
      },
    });
    const created = parseShipResponse(200, answer);
    expect(created).toMatchObject({
      ok: true,
      value: { waybillNo: '1Z4E7A9B6604518232', labelFormat: 'ZPL' },
    });
    if (created.ok) expect(created.value.label?.data.equals(zpl)).toBe(true);
  });

  it('maps type and activity code through the tables with a declared fallback; refuses impossible dates', () => {
    expect(trackingCodeFor('I', 'OT')).toBe('OUT_FOR_DELIVERY');
    expect(trackingCodeFor('D', undefined)).toBe('DELIVERED');
    expect(trackingCodeFor('I', 'NEW')).toBe('UNKNOWN');
    expect(trackingCodeFor('toString', undefined)).toBe('UNKNOWN');
    expect(upsInstant('20240230', '101010')).toBeUndefined();
    expect(upsInstant('20240610', '74700')).toBe(Date.UTC(2024, 5, 10, 7, 47, 0));
  });
});
