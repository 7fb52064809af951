import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../../http.js';
import type { PartnerEndpoint, ShipmentRequest } from '../../types.js';
import { createConnector } from './index.js';
import { signParams } from './sign.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const shipment = JSON.parse(fixture('shipment-request.json')) as ShipmentRequest;
const endpoint: PartnerEndpoint = {
  partnerId: 'carrier-beta',
  baseUrl: 'http://beta.test/',
  credentials: { appKey: '12345678', appSecret: 'unit-test-secret' },
};

function fakeHttp(answer: (req: HttpRequest) => HttpResponse): HttpClient & { sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return {
    sent,
    send: async (req) => {
      sent.push(req);
      return answer(req);
    },
    close: async () => {},
  };
}
const xmlAnswer = (body: string, status = 200): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body,
});

async function failureOf(p: Promise<unknown>): Promise<PartnerCallError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof PartnerCallError)) throw new Error(`expected PartnerCallError, got ${String(err)}`);
  return err;
}

describe('carrier-beta client', () => {
  it('posts a signed form to /beta/router/rest that verifies with the app secret', async () => {
    const http = fakeHttp(() => xmlAnswer(fixture('create-response.xml')));
    const nowMs = Date.parse('2024-05-06T02:15:00Z');
    const created = await createConnector(endpoint, http, { now: () => nowMs }).createShipment(shipment);
    expect(created.waybillNo).toBe('LB123456785CN');
    const req = http.sent[0];
    expect(req?.url).toBe('http://beta.test/beta/router/rest');
    expect(req?.headers?.['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const params = Object.fromEntries(new URLSearchParams(req?.body ?? ''));
    expect(params).toMatchObject({
      method: 'beta.waybill.create',
      app_key: '12345678',
      timestamp: '2024-05-06 10:15:00',
      v: '2.0',
      format: 'xml',
      sign_method: 'hmac-sha256',
      content: fixture('create-request.xml').trim(),
    });
    expect(params.sign).toBe(signParams(params, 'unit-test-secret'));
    expect(req?.body).not.toContain('unit-test-secret');
  });

  it('treats code 7 (App Call Limited) as retryable rate limiting', async () => {
    const http = fakeHttp(() => xmlAnswer(fixture('error-app-call-limited.xml')));
    const err = await failureOf(createConnector(endpoint, http).createShipment(shipment));
    expect(err).toMatchObject({ code: 'partner_rate_limited', retryable: true });
  });

  it('treats code 15 (remote service error, isp.*) as a retryable server error', async () => {
    const http = fakeHttp(() => xmlAnswer(fixture('error-remote-service.xml')));
    const err = await failureOf(createConnector(endpoint, http).createShipment(shipment));
    expect(err).toMatchObject({ code: 'partner_server_error', retryable: true });
  });

  it('treats codes 25 (signature) and 29 (app key) as non-retryable auth failures', async () => {
    for (const name of ['error-invalid-signature.xml', 'error-invalid-app-key.xml']) {
      const http = fakeHttp(() => xmlAnswer(fixture(name)));
      const err = await failureOf(createConnector(endpoint, http).createShipment(shipment));
      expect(err).toMatchObject({ code: 'partner_auth_failed', retryable: false });
      expect(err.message).not.toContain('unit-test-secret');
    }
  });

  it("turns an isv.* business error into a non-retryable partner_rejected carrying beta's sub_code and sub_msg", async () => {
    const http = fakeHttp(() => xmlAnswer(fixture('error-invalid-mobile.xml')));
    const err = await failureOf(createConnector(endpoint, http).createShipment(shipment));
    expect(err).toMatchObject({
      code: 'partner_rejected',
      retryable: false,
      partnerCode: 'isv.invalid-parameter:receiver.mobile',
      partnerMessage: 'receiver.mobile must be 6 to 20 digits, optionally with a leading +',
    });
  });

  it('treats HTTP 5xx and 429 (with Retry-After) as retryable', async () => {
    const five = fakeHttp(() => ({ status: 503, headers: {}, body: '<html>Service Unavailable</html>' }));
    expect(await failureOf(createConnector(endpoint, five).createShipment(shipment))).toMatchObject({
      code: 'partner_server_error',
      retryable: true,
      status: 503,
    });
    const limited = fakeHttp(() => ({ status: 429, headers: { 'retry-after': '3' }, body: '' }));
    expect(await failureOf(createConnector(endpoint, limited).createShipment(shipment))).toMatchObject({
      code: 'partner_rate_limited',
      retryable: true,
      retryAfterMs: 3000,
    });
  });

  it('reports a 200 answer that is not beta XML as a retryable partner_bad_response', async () => {
    const http = fakeHttp(() => xmlAnswer('<html><body>maintenance</body></html>'));
    const err = await failureOf(createConnector(endpoint, http).createShipment(shipment));
    expect(err).toMatchObject({ code: 'partner_bad_response', retryable: true });
  });

  it('fetches tracking in chunks of at most 50 waybills per trace query', async () => {
    const http = fakeHttp(() => xmlAnswer(fixture('trace-response.xml')));
    const nos = Array.from({ length: 120 }, (_, i) => `LB${String(i).padStart(8, '0')}0CN`);
    const connector = createConnector(endpoint, http);
    expect(connector.manifest).toMatchObject({ tracking: 'poll', trackingBatchSize: 50 });
    await connector.fetchTracking?.(nos);
    const sizes = http.sent.map((r) => {
      const content = new URLSearchParams(r.body ?? '').get('content') ?? '';
      return /<waybill_nos>([^<]*)<\/waybill_nos>/.exec(content)?.[1]?.split(',').length;
    });
    expect(sizes).toEqual([50, 50, 20]);
  });

  it('refuses to build without appKey and appSecret', () => {
    expect(() =>
      createConnector(
        { ...endpoint, credentials: { appKey: 'x' } },
        fakeHttp(() => xmlAnswer('')),
      ),
    ).toThrow(/appSecret/);
  });
});
