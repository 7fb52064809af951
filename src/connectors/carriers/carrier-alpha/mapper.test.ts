import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isTrackingCode, EXCEPTION_REASONS } from '../../../domain/index.js';
import type { ShipmentRequest } from '../../types.js';
import {
  ALPHA_EVENT_CODES,
  ALPHA_EXCEPTION_CODES,
  canonicalExceptionReason,
  canonicalTrackingCode,
} from './codes.js';
import {
  alphaErrorDetails,
  fromAlphaPush,
  fromAlphaShipmentResponse,
  gramsToKg,
  toAlphaShipmentRequest,
} from './mapper.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const fixtureText = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('carrier-alpha mapper, canonical → alpha', () => {
  it('maps a canonical shipment request to the alpha request body of the fixture', () => {
    const req = fixture('shipment-request.canonical.json') as ShipmentRequest;
    expect(toAlphaShipmentRequest(req)).toEqual(fixture('shipment-request.alpha.json'));
  });

  it('keeps money as decimal strings and converts grams to kilograms', () => {
    const req = fixture('shipment-request.canonical.json') as ShipmentRequest;
    const body = toAlphaShipmentRequest(req);
    expect(body.customs.declared_value).toBe('61.90');
    expect(body.customs.items.map((i) => i.unit_value)).toEqual(['18.50', '24.90']);
    expect(gramsToKg(1025)).toBe(1.025);
    expect(gramsToKg(1)).toBe(0.001);
  });

  it('leaves out optional address fields the order does not have', () => {
    const req = fixture('shipment-request.canonical.json') as ShipmentRequest;
    const { name, line1, city, country } = req.recipient;
    const body = toAlphaShipmentRequest({ ...req, recipient: { name, line1, city, country } });
    expect(body.ship_to).toEqual({
      contact_name: name,
      address_lines: [line1],
      city,
      country_code: country,
    });
  });
});

describe('carrier-alpha mapper, alpha → canonical', () => {
  it('maps the alpha create response to the canonical ShipmentCreated of the fixture', () => {
    expect(fromAlphaShipmentResponse(fixture('shipment-response.alpha.json'))).toEqual(
      fixture('shipment-created.canonical.json'),
    );
  });

  it('rejects a create response without a tracking number', () => {
    expect(() => fromAlphaShipmentResponse({ shipment_id: 'shp_1' })).toThrow(/tracking_number/);
  });

  it('maps an alpha tracking push to the canonical TrackingPush of the fixture, unknown codes to UNKNOWN', () => {
    expect(fromAlphaPush(fixture('tracking-push.alpha.json'))).toEqual(
      fixture('tracking-push.canonical.json'),
    );
  });

  it('carries the weight and dimensions of a weighing scan, sides rounded up, a malformed weight left out', () => {
    expect(fromAlphaPush(fixture('tracking-weighed.alpha.json'))).toEqual(
      fixture('tracking-weighed.canonical.json'),
    );
  });

  it('gives each event the carrier’s own scan id, so re-deliveries in other batches dedupe', () => {
    const push = fixture('tracking-push.alpha.json') as { id: string; data: { events: unknown[] } };
    const again = { ...push, id: 'evt_other', data: { ...push.data, events: push.data.events.slice(1, 3) } };
    const first = fromAlphaPush(push).events.map((e) => e.eventId);
    const second = fromAlphaPush(again).events.map((e) => e.eventId);
    expect(second).toEqual(first.slice(1, 3));
  });

  it('rejects push bodies that are not tracking updates', () => {
    expect(() => fromAlphaPush({ id: 'evt_1', type: 'shipment.cancelled', data: {} })).toThrow(/unsupported/);
    expect(() => fromAlphaPush(null)).toThrow();
    expect(() =>
      fromAlphaPush({
        id: 'evt_1',
        type: 'tracking.updated',
        data: { tracking_number: 'AL1', events: [{}] },
      }),
    ).toThrow(/code/);
  });

  it('turns alpha’s 422 error body into one partner message with the first error code', () => {
    expect(alphaErrorDetails(fixtureText('error-422.alpha.json'))).toEqual({
      code: 'invalid_postal_code',
      message:
        'ship_to.postal_code: postal_code must be a US ZIP code (12345 or 12345-6789); ' +
        'customs.items[1].hs_tariff_number: hs_tariff_number must have 6 to 10 digits',
    });
    expect(alphaErrorDetails('<html>Bad Gateway</html>')).toEqual({ message: '<html>Bad Gateway</html>' });
  });
});

describe('carrier-alpha code tables', () => {
  it('maps every alpha scan code to a canonical tracking code and unknown ones to UNKNOWN', () => {
    for (const code of Object.values(ALPHA_EVENT_CODES)) expect(isTrackingCode(code)).toBe(true);
    expect(canonicalTrackingCode('DL')).toBe('DELIVERED');
    expect(canonicalTrackingCode('ZZ')).toBe('UNKNOWN');
    expect(canonicalTrackingCode('constructor')).toBe('UNKNOWN');
  });

  it('maps every alpha exception code to a canonical reason and unknown ones to other', () => {
    for (const reason of Object.values(ALPHA_EXCEPTION_CODES)) expect(EXCEPTION_REASONS).toContain(reason);
    expect(canonicalExceptionReason('NH')).toBe('recipient_absent');
    expect(canonicalExceptionReason('??')).toBe('other');
  });
});
