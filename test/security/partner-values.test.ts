/**
 * Issue 16, defect 4: "Partner input is not bounded by the canonical schema". The mechanisms,
 * each against the class of input: the canonical bounds on partner values, the streamed body
 * limit of the shared HTTP client, and the shape limits of partner XML and JSON. The whole path
 * (hostile sandbox carrier → hub → store → API) is fuzzed in partner-responses.test.ts.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, UnsafeJsonError } from '../../src/connectors/json.js';
import { createHttpClient } from '../../src/connectors/http.js';
import { parseXml, UnsafeXmlError } from '../../src/connectors/xml.js';
import { LOOPBACK_ALLOWED } from '../../src/domain/network-policy.js';
import {
  labelUrlIssue,
  shipmentCreatedIssues,
  trackingEventIssues,
  waybillIssue,
} from '../../src/domain/partner-values.js';
import type { TrackingEvent } from '../../src/domain/index.js';

const NOW = Date.now();
const event = (over: Partial<TrackingEvent> = {}): TrackingEvent => ({
  carrier: 'carrier-beta',
  waybillNo: 'RR123456785CN',
  eventId: 'beta-1',
  code: 'PICKED_UP',
  stage: 'first_mile',
  partnerCode: 'PICKUP',
  description: 'Picked up',
  occurredAt: new Date(NOW - 3_600_000).toISOString(),
  ...over,
});

/** Characters no partner text may carry: C0/C1 controls, DEL, noncharacters, lone surrogates. */
const forbiddenChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x7f, max: 0x9f }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\ufffe', '\uffff', '\ud800', '\udfff'),
);
const withForbidden = fc
  .tuple(fc.string({ maxLength: 20 }), forbiddenChar, fc.string({ maxLength: 20 }))
  .map(([a, c, b]) => `A${a}${c}${b}`);

describe('defect 4: partner values pass the canonical bounds before storage', () => {
  it('refuses waybill numbers that are long, empty, or outside letters, digits and . _ -', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 65, maxLength: 3000 }).map((s) => `A${s}`),
          fc.constant('A'.repeat(2 * 1024 * 1024)),
          fc.constant(''),
          withForbidden,
          fc.constantFrom('../../etc/passwd', 'AB CD', '<script>', 'ÄBC123', 'ABC/123', '-ABC', 'AB%00'),
        ),
        (w) => {
          expect(waybillIssue('waybillNo', w)).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
    for (const ok of ['RR123456785CN', '1Z999AA10123456784', 'JJD000390007880000', 'AB-12_3.4'])
      expect(waybillIssue('waybillNo', ok)).toBeUndefined();
  });

  it('accepts only https label URLs (http only on loopback when allowed), without user info', () => {
    const refusedAlways = fc.oneof(
      fc.constantFrom(
        'javascript:alert(1)',
        'JaVaScRiPt:alert(1)',
        'data:text/html,<script>alert(1)</script>',
        'file:///etc/passwd',
        'ftp://labels.example/l.pdf',
        'http://labels.example/l.pdf',
        'https://user:pw@labels.example/l.pdf',
        '//labels.example/l.pdf',
        'labels/l.pdf',
        `https://labels.example/${'a'.repeat(2100)}`,
      ),
      withForbidden.map((s) => `https://labels.example/${s}`),
    );
    fc.assert(
      fc.property(refusedAlways, fc.boolean(), (url, loopback) => {
        expect(labelUrlIssue('labelUrl', url, { allowLoopbackHttp: loopback })).toBeDefined();
      }),
      { numRuns: 200 },
    );
    expect(labelUrlIssue('l', 'https://labels.example/l.pdf', { allowLoopbackHttp: false })).toBeUndefined();
    expect(labelUrlIssue('l', 'http://127.0.0.1:9090/l.pdf', { allowLoopbackHttp: false })).toBeDefined();
    expect(labelUrlIssue('l', 'http://127.0.0.1:9090/l.pdf', { allowLoopbackHttp: true })).toBeUndefined();
  });

  it('refuses event and delivery dates outside 2000 .. a few days ahead (year 275760 included)', () => {
    const badDate = fc.oneof(
      fc.constantFrom(
        '+275760-09-13T00:00:00.000Z',
        '-000001-01-01T00:00:00.000Z',
        '1970-01-01T00:00:00.000Z',
        '1999-12-31T23:59:59.999Z',
        '9999-12-31T23:59:59.000Z',
        '2026-02-30T00:00:00.000Z',
        'yesterday',
        '',
      ),
      fc.integer({ min: 3, max: 365 * 300 }).map((d) => new Date(NOW + d * 86_400_000).toISOString()),
      fc.integer({ min: -8.64e15, max: Date.UTC(2000, 0, 1) - 1 }).map((ms) => new Date(ms).toISOString()),
    );
    fc.assert(
      fc.property(badDate, (d) => {
        expect(trackingEventIssues(event({ occurredAt: d }), NOW).length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
    expect(trackingEventIssues(event(), NOW)).toEqual([]);
    expect(
      shipmentCreatedIssues(
        { waybillNo: 'RR1', estimatedDelivery: '+275760-09-13T00:00:00.000Z' },
        { allowLoopbackHttp: false, nowMs: NOW },
      ).map((i) => i.field),
    ).toEqual(['estimatedDelivery']);
  });

  it('refuses control characters and overlong text in every text field of an event', () => {
    const fields = ['description', 'partnerCode', 'eventId', 'nextCarrier'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), withForbidden, (field, value) => {
        expect(trackingEventIssues(event({ [field]: value }), NOW).length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
    expect(trackingEventIssues(event({ description: 'x'.repeat(501) }), NOW).length).toBeGreaterThan(0);
    expect(
      trackingEventIssues(event({ location: { city: `Sh${'\u0000'}enzhen` } }), NOW).length,
    ).toBeGreaterThan(0);
  });
});

describe('defect 4: partner answers are size-limited while they stream', () => {
  let server: Server;
  let port = 0;
  let sent = 0;
  beforeAll(async () => {
    // Answers 512 MB of JSON whitespace, generated as it is read.
    server = createServer((req, res) => {
      const declare = req.url === '/declared';
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(declare ? { 'content-length': String(512 * 1024 * 1024) } : {}),
      });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (sent < 512 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => undefined);
      pump();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('aborts a chunked answer past the limit having read about the limit, not the body', async () => {
    const http = createHttpClient({ network: LOOPBACK_ALLOWED, maxResponseBytes: () => 1024 * 1024 });
    try {
      sent = 0;
      const err = await http
        .send({
          partnerId: 'carrier-x',
          method: 'GET',
          url: `http://127.0.0.1:${port}/chunked`,
          timeoutMs: 20_000,
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'partner_response_too_large', retryable: false });
      // The server wrote what the socket buffers took, not 512 MB.
      await new Promise((r) => setTimeout(r, 100));
      expect(sent).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await http.close();
    }
  });

  it('refuses at once an answer whose Content-Length is over the limit (per-request limit wins)', async () => {
    const http = createHttpClient({ network: LOOPBACK_ALLOWED });
    try {
      const err = await http
        .send({
          partnerId: 'carrier-x',
          method: 'GET',
          url: `http://127.0.0.1:${port}/declared`,
          maxResponseBytes: 4096,
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'partner_response_too_large' });
      expect((err as Error).message).toMatch(/536870912 bytes is over the limit of 4096/);
    } finally {
      await http.close();
    }
  });
});

describe('defect 4: parsing partner XML and JSON has bounded cost', () => {
  it('refuses deep, wide or attribute-heavy XML before the parser builds it', () => {
    const deep = `${'<a>'.repeat(65)}x${'</a>'.repeat(65)}`;
    const wide = `<r>${'<e/>'.repeat(100_001)}</r>`;
    const attrs = `<r ${Array.from({ length: 65 }, (_, i) => `a${i}="1"`).join(' ')}/>`;
    for (const xml of [deep, wide, attrs]) expect(() => parseXml(xml)).toThrow(UnsafeXmlError);
    // Quoted '>' and comments, CDATA and processing instructions do not confuse the count.
    expect(parseXml('<?xml version="1.0"?><r a="x>y"><!-- <b> --><![CDATA[<c>]]><d>1</d></r>')).toMatchObject(
      {
        r: { d: '1' },
      },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), (n) => {
        expect(() => parseXml(`${'<a>'.repeat(n)}x${'</a>'.repeat(n)}`)).not.toThrow();
      }),
      { numRuns: 30 },
    );
  });

  it('refuses deep or huge JSON before JSON.parse, and parses ordinary answers', () => {
    expect(() => parseJson('['.repeat(1_000_000) + ']'.repeat(1_000_000))).toThrow(UnsafeJsonError);
    expect(() => parseJson(`[${'1,'.repeat(600_000)}1]`)).toThrow(UnsafeJsonError);
    expect(parseJson('{"a":"[[[[\\"]]]","b":[1,true,null,{"c":-2.5e3}]}')).toEqual({
      a: '[[[["]]]',
      b: [1, true, null, { c: -2500 }],
    });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (v) => {
        expect(parseJson(JSON.stringify(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 200 },
    );
  });
});
