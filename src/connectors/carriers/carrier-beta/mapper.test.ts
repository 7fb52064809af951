import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TrackingEvent } from '../../../domain/index.js';
import { createAjv } from '../../../domain/validation.js';
import type { ShipmentRequest } from '../../types.js';
import { BETA_ACTIONS, trackingCodeFor, reasonFor } from './codes.js';
import {
  buildCreateContent,
  buildTraceContent,
  eventIdFor,
  MalformedBetaResponse,
  parseCreateResponse,
  parseTraceResponse,
} from './mapper.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const json = <T>(name: string): T => JSON.parse(fixture(name)) as T;

describe('carrier-beta mapper, canonical -> beta', () => {
  it('builds the waybill.create content XML of the fixture from a canonical shipment request', () => {
    const req = json<ShipmentRequest>('shipment-request.json');
    expect(buildCreateContent(req).trim()).toBe(fixture('create-request.xml').trim());
  });

  it('builds the trace.query content XML with comma-separated waybill numbers', () => {
    expect(buildTraceContent(['LB123456785CN', 'LB000000014CN']).trim()).toBe(
      fixture('trace-request.xml').trim(),
    );
  });

  it('escapes XML metacharacters so a recipient field cannot inject elements', () => {
    const req = json<ShipmentRequest>('shipment-request.json');
    const hostile = { ...req, recipient: { ...req.recipient, name: '</name><mobile>1</mobile><name>' } };
    const xml = buildCreateContent(hostile);
    expect(xml).toContain('<name>&lt;/name&gt;&lt;mobile&gt;1&lt;/mobile&gt;&lt;name&gt;</name>');
    expect(xml.match(/<mobile>/g)).toHaveLength(1);
  });
});

describe('carrier-beta mapper, beta -> canonical', () => {
  it('parses a waybill.create response into ShipmentCreated', () => {
    expect(parseCreateResponse(fixture('create-response.xml'))).toEqual(json('create-expected.json'));
  });

  it('parses an error_response into a partner error as data (sub_code and sub_msg kept)', () => {
    expect(parseCreateResponse(fixture('error-invalid-mobile.xml'))).toEqual(
      json('error-invalid-mobile-expected.json'),
    );
  });

  it('parses a trace response into canonical tracking events with GMT+8 times converted to UTC', () => {
    expect(parseTraceResponse(fixture('trace-response.xml'))).toEqual(json('trace-expected.json'));
  });

  it('produces events that satisfy the canonical TrackingEvent schema', () => {
    const res = parseTraceResponse(fixture('trace-response.xml'));
    if (!res.ok) throw new Error('expected events');
    const validate = createAjv().compile(TrackingEvent);
    for (const e of res.value) {
      validate(e);
      expect(validate.errors ?? []).toEqual([]);
    }
  });

  it('derives distinct, stable event ids, even for two identical action+time scans', () => {
    const res = parseTraceResponse(fixture('trace-response.xml'));
    if (!res.ok) throw new Error('expected events');
    const ids = res.value.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(eventIdFor('LB1', 'GOT', '2024-05-06 10:00:00', 0)).toBe(
      eventIdFor('LB1', 'GOT', '2024-05-06 10:00:00', 0),
    );
    expect(eventIdFor('LB1', 'GOT', '2024-05-06 10:00:00', 0)).not.toBe(
      eventIdFor('LB1', 'GOT', '2024-05-06 10:00:00', 1),
    );
  });

  it('maps unknown actions to the declared UNKNOWN fallback and unknown reasons to other', () => {
    expect(trackingCodeFor('SOMETHING_NEW')).toBe('UNKNOWN');
    expect(trackingCodeFor('toString')).toBe('UNKNOWN');
    expect(reasonFor('LABEL_DAMAGED')).toBe('other');
    expect(reasonFor('')).toBeUndefined();
    expect(trackingCodeFor('SIGNED')).toBe('DELIVERED');
    expect(Object.keys(BETA_ACTIONS)).toContain('CC_IM_HOLD');
  });

  it('refuses a billion-laughs response before any entity is expanded', () => {
    const started = performance.now();
    expect(() => parseCreateResponse(fixture('billion-laughs.xml'))).toThrow(MalformedBetaResponse);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('refuses an XXE document (external entity) instead of resolving it', () => {
    expect(() => parseTraceResponse(fixture('xxe.xml'))).toThrow(MalformedBetaResponse);
  });

  it('leaves an undeclared entity reference inert as literal text', () => {
    const res = parseCreateResponse(fixture('undeclared-entity.xml'));
    expect(res).toEqual({ ok: true, value: { waybillNo: 'LB123456785CN&xxe;' } });
  });

  it('throws MalformedBetaResponse for a body that is not beta XML at all', () => {
    expect(() => parseCreateResponse('<html><body>502 Bad Gateway</body></html>')).toThrow(
      MalformedBetaResponse,
    );
    expect(() => parseTraceResponse('not xml <')).toThrow(MalformedBetaResponse);
  });
});
