/**
 * UPS, simulated under `/ups`: OAuth 2.0 client credentials (`POST /security/v1/oauth/token`,
 * HTTP Basic client id and secret, form `grant_type=client_credentials`), bearer tokens that
 * expire, the Shipping API (`POST /api/shipments/v2409/ship`, label as base64 `GraphicImage`) and
 * the Tracking API (`GET /api/track/v1/details/{inquiryNumber}`, `transId` and `transactionSrc`
 * required), errors as `{"response":{"errors":[{code,message}]}}`. Written from UPS's published
 * OpenAPI description, apart from the connector.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Channel } from './faults.js';
import { gatewayCity, labelFile, ParcelBook, type Parcel } from './carrier-kit.js';
import type { JourneyStep } from './journey.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const ID = 'ups';
const TOKEN_TTL_SEC = 14_399;

type J = Record<string, unknown>;
const obj = (v: unknown): J | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as J) : undefined;
const many = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

class UpsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** 1Z + 6-character shipper number + 2-digit service + 7-digit reference + check digit. */
export function upsCheckDigit(body: string): number {
  let sum = 0;
  [...body].forEach((c, i) => {
    const v = /\d/.test(c) ? Number(c) : (c.charCodeAt(0) - 63) % 10;
    sum += i % 2 === 1 ? v * 2 : v;
  });
  return (10 - (sum % 10)) % 10;
}

function render(
  step: JourneyStep,
  p: Parcel,
): { type: string; code: string; description: string; city: string; country: string } {
  const gw = gatewayCity(p.country, p.city);
  const at = (type: string, code: string, description: string, city = 'Shenzhen', country = 'CN') => ({
    type,
    code,
    description,
    city,
    country,
  });
  switch (step) {
    case 'label_created':
      return at('M', 'MP', 'Shipper created a label, UPS has not received the package yet.');
    case 'picked_up':
      return at('P', 'PU', 'Pickup Scan');
    case 'origin_arrived':
      return at('I', 'OR', 'Origin Scan');
    case 'export_customs_started':
      return at('I', 'EC', 'Export Scan');
    case 'export_customs_released':
      return at('I', 'ER', 'Export clearance complete');
    case 'linehaul_handover':
      return at('I', 'DP', 'Departed from Facility', 'Hong Kong', 'HK');
    case 'linehaul_departed':
      return at('I', 'LF', 'Flight departed', 'Hong Kong', 'HK');
    case 'linehaul_arrived':
      return at('I', 'AR', 'Arrived at Facility', gw, p.country);
    case 'import_customs_started':
      return at('I', 'IP', 'Import Scan', gw, p.country);
    case 'import_customs_held':
      return at('X', 'CS', 'Your package is being held for customs clearance.', gw, p.country);
    case 'import_customs_released':
      return at('I', 'SR', 'Your package was released by the customs agency.', gw, p.country);
    case 'lastmile_handover':
      return at('I', 'AR', 'Arrived at Facility', p.city, p.country);
    case 'out_for_delivery':
      return at('I', 'OT', 'Out For Delivery Today', p.city, p.country);
    case 'delivery_failed':
      return at(
        'X',
        'DA',
        "The receiver was not available for delivery. We'll make a second attempt the next business day.",
        p.city,
        p.country,
      );
    case 'delivered':
      return at('D', 'KB', 'DELIVERED', p.city, p.country);
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function ymd(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}
function hms(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

export function createUps(ctx: SandboxContext): SandboxPartner {
  const creds = ctx.credentials[ID];
  const book = new ParcelBook(ID, ctx);
  const tokens = new Map<string, number>();
  let serial = randomInt(0, 10_000_000);

  const fail = (reply: FastifyReply, err: UpsError) =>
    reply
      .code(err.status)
      .type('application/json')
      .send({ response: { errors: [{ code: err.code, message: err.message }] } });

  function issueToken(req: FastifyRequest): J {
    const expected = Buffer.from(
      `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`,
    );
    const given = Buffer.from(String(req.headers.authorization ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      book.counters.signatureFailures++;
      throw new UpsError(401, '10401', 'ClientId is Invalid');
    }
    const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
    if (form.get('grant_type') !== 'client_credentials')
      throw new UpsError(400, '10400', 'Invalid/Missing grant_type');
    const access = randomBytes(32).toString('base64url');
    const now = Date.now();
    tokens.set(access, now + TOKEN_TTL_SEC * 1000);
    return {
      token_type: 'Bearer',
      issued_at: String(now),
      client_id: creds.clientId,
      access_token: access,
      expires_in: String(TOKEN_TTL_SEC),
      status: 'approved',
    };
  }

  function authorize(req: FastifyRequest, needsTrans: boolean): void {
    const m = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    const until = m ? tokens.get(m[1] ?? '') : undefined;
    if (until === undefined || until < Date.now()) {
      book.counters.signatureFailures++;
      throw new UpsError(401, '250002', 'Invalid Authentication Information.');
    }
    if (needsTrans && (!req.headers.transid || !req.headers.transactionsrc)) {
      throw new UpsError(400, 'TV0001', 'Missing transId or transactionSrc header');
    }
  }

  function ship(body: unknown, channel: Channel): J {
    const sr = obj(obj(body)?.ShipmentRequest);
    const s = obj(sr?.Shipment);
    const invalid = (code: string, msg: string) => {
      book.counters.validationErrors++;
      return new UpsError(400, code, msg);
    };
    if (!s) throw invalid('120100', 'Missing or invalid shipment');
    const shipper = obj(s.Shipper);
    const account = typeof shipper?.ShipperNumber === 'string' ? shipper.ShipperNumber : '';
    if (account !== creds.accountNumber) throw invalid('120100', 'Missing or invalid shipper number');
    const to = obj(s.ShipTo);
    const addr = obj(to?.Address);
    const country = typeof addr?.CountryCode === 'string' ? addr.CountryCode : '';
    const city = typeof addr?.City === 'string' ? addr.City : '';
    if (!/^[A-Z]{2}$/.test(country)) throw invalid('120217', 'ShipTo country code is invalid');
    if (!city) throw invalid('120208', 'Missing or invalid ShipTo City');
    if (many(addr?.AddressLine).length === 0)
      throw invalid('120202', 'Missing or invalid ShipTo AddressLine');
    const pkg = obj(many(s.Package)[0]);
    const weight = Number(obj(pkg?.PackageWeight)?.Weight);
    if (!Number.isFinite(weight) || weight <= 0 || weight > 70)
      throw invalid('120603', 'Package weight is invalid');
    const service = String(obj(s.Service)?.Code ?? '');
    if (!/^\d{2}$/.test(service)) throw invalid('120901', 'Invalid service code');
    const format = String(obj(obj(sr?.LabelSpecification)?.LabelImageFormat)?.Code ?? 'GIF');
    if (!['ZPL', 'PNG', 'GIF'].includes(format)) throw invalid('120505', 'Invalid label image format');
    const ref = String(obj(obj(sr?.Request)?.TransactionReference)?.CustomerContext ?? '');
    serial = (serial + 1) % 10_000_000;
    const bodyNo = `${account.slice(0, 6).padEnd(6, '0')}${service}${String(serial).padStart(7, '0')}`;
    const waybillNo = `1Z${bodyNo}${upsCheckDigit(bodyNo)}`;
    const p = book.add(
      {
        waybillNo,
        reference: ref || waybillNo,
        recipientName: String(to?.AttentionName ?? to?.Name ?? ''),
        country,
        city,
        createdAtMs: Date.now(),
      },
      channel,
    );
    const file = labelFile(format === 'ZPL' ? 'ZPL' : 'PNG', 'UPS', p);
    return {
      ShipmentResponse: {
        Response: {
          ResponseStatus: { Code: '1', Description: 'Success' },
          TransactionReference: { CustomerContext: ref },
        },
        ShipmentResults: {
          ShipmentCharges: {
            TotalCharges: { CurrencyCode: 'USD', MonetaryValue: (12 + weight * 4).toFixed(2) },
          },
          BillingWeight: { UnitOfMeasurement: { Code: 'KGS' }, Weight: weight.toFixed(1) },
          ShipmentIdentificationNumber: waybillNo,
          PackageResults: [
            {
              TrackingNumber: waybillNo,
              ShippingLabel: {
                ImageFormat: { Code: format === 'ZPL' ? 'ZPL' : 'PNG' },
                GraphicImage: file.data.toString('base64'),
              },
            },
          ],
        },
      },
    };
  }

  function track(no: string): J {
    book.counters.trackingQueries++;
    const p = book.parcels.get(no);
    if (!p) throw new UpsError(404, 'TW0001', 'Tracking Information Not Found');
    const due = book.due(p, Date.now()).reverse(); // most recent first, as UPS lists them
    const latest = due[0] ? render(due[0].step, p) : undefined;
    return {
      trackResponse: {
        shipment: [
          {
            inquiryNumber: no,
            package: [
              {
                trackingNumber: no,
                ...(latest
                  ? {
                      currentStatus: {
                        type: latest.type,
                        code: latest.code,
                        description: latest.description,
                      },
                    }
                  : {}),
                activity: due.map((e) => {
                  const r = render(e.step, p);
                  const gmtTime = hms(e.atMs).replace(/^0/, ''); // UPS drops the leading zero
                  return {
                    location: { address: { city: r.city, countryCode: r.country, country: r.country } },
                    status: { type: r.type, description: r.description, code: r.code },
                    date: ymd(e.atMs),
                    time: hms(e.atMs),
                    gmtDate: ymd(e.atMs),
                    gmtOffset: '+00:00',
                    gmtTime,
                  };
                }),
              },
            ],
          },
        ],
      },
    };
  }

  const refusal = (status: 429 | 503, message: string) => ({
    contentType: 'application/json',
    body: JSON.stringify({ response: { errors: [{ code: status === 429 ? '10429' : '10503', message }] } }),
  });

  return {
    id: ID,
    register(app: FastifyInstance) {
      book.mount(app, refusal, (scope, channel) => {
        scope.addContentTypeParser(
          'application/x-www-form-urlencoded',
          { parseAs: 'string' },
          (_req, b, done) => done(null, b),
        );
        scope.post('/ups/security/v1/oauth/token', async (req, reply) => {
          try {
            return issueToken(req);
          } catch (err) {
            if (err instanceof UpsError) return fail(reply, err);
            throw err;
          }
        });
        scope.post('/ups/api/shipments/:version/ship', async (req, reply) => {
          try {
            authorize(req, true);
            return ship(req.body, channel);
          } catch (err) {
            if (err instanceof UpsError) return fail(reply, err);
            throw err;
          }
        });
        scope.get<{ Params: { no: string } }>('/ups/api/track/v1/details/:no', async (req, reply) => {
          try {
            authorize(req, true);
            return track(req.params.no);
          } catch (err) {
            if (err instanceof UpsError) return fail(reply, err);
            throw err;
          }
        });
      });
    },
    stats: () => book.stats(),
    async close() {
      book.clear();
      tokens.clear();
    },
  };
}
