/**
 * YunExpress (云途物流) OMS API v1, simulated under `/yunexpress/api`: `Authorization: Basic
 * base64(CustomerCode&ApiSecret)`, PascalCase JSON, the envelope `{Item|Items, Code: "0000",
 * Message, RequestId, TimeStamp}`; an order refused inside a successful envelope carries
 * `Success: 0` and a `Remark`. Tracking details carry a numeric `TrackingStatus` and a zone-less
 * Beijing `ProcessDate`. Written from YunExpress's public documentation, apart from the connector.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CHANNEL_PREFIX, type Channel } from './faults.js';
import { gatewayCity, labelFile, localTime, ParcelBook, type Parcel } from './carrier-kit.js';
import type { JourneyStep } from './journey.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const ID = 'yunexpress';
const METHODS = ['THPHR', 'THZXR', 'FZZXR'];
const CALLS_PER_SECOND = 20_000;

type J = Record<string, unknown>;
const obj = (v: unknown): J | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as J) : undefined;
const text = (o: J | undefined, k: string): string | undefined => {
  const v = o?.[k];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
};

class EnvelopeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const LAST_MILE: Record<string, string> = {
  US: 'USPS',
  GB: 'Royal Mail',
  DE: 'DHL Paket',
  AU: 'Australia Post',
  CA: 'Canada Post',
};

function render(step: JourneyStep, p: Parcel): { status: number; content: string; location: string | null } {
  const gw = `${gatewayCity(p.country, p.city)},${p.country}`;
  const at = (status: number, content: string, location: string | null = 'Shenzhen,CN') => ({
    status,
    content,
    location,
  });
  switch (step) {
    case 'label_created':
      return at(10, 'Shipment information received', null);
    case 'picked_up':
      return at(20, 'Picked up by YunExpress');
    case 'origin_arrived':
      return at(30, 'Arrived at YunExpress sorting center');
    case 'export_customs_started':
      return at(40, 'Export customs declaration');
    case 'export_customs_released':
      return at(45, 'Export customs cleared');
    case 'linehaul_handover':
      return at(50, 'Handed over to airline');
    case 'linehaul_departed':
      return at(52, 'Departed from origin airport');
    case 'linehaul_arrived':
      return at(55, 'Arrived at destination airport', gw);
    case 'import_customs_started':
      return at(60, 'Import customs clearance', gw);
    case 'import_customs_held':
      return at(62, 'Held by customs', gw);
    case 'import_customs_released':
      return at(65, 'Import customs cleared', gw);
    case 'lastmile_handover':
      return at(70, `Handed over to ${LAST_MILE[p.country] ?? 'local post'}`, gw);
    case 'out_for_delivery':
      return at(75, 'Out for delivery', `${p.city},${p.country}`);
    case 'delivery_failed':
      return at(80, 'Delivery attempted, nobody at home', `${p.city},${p.country}`);
    case 'delivered':
      return at(90, 'Delivered', `${p.city},${p.country}`);
  }
}

export function createYunExpress(ctx: SandboxContext): SandboxPartner {
  const creds = ctx.credentials[ID];
  const book = new ParcelBook(ID, ctx);
  let serial = randomInt(0, 1_000_000_000);
  let windowSecond = 0;
  let windowCalls = 0;

  const envelope = (payload: J, code = '0000', message = '提交成功') =>
    JSON.stringify({
      ...payload,
      Code: code,
      Message: message,
      RequestId: randomBytes(8).toString('hex'),
      TimeStamp: new Date().toISOString(),
    });

  function authenticate(req: FastifyRequest): void {
    const expected = Buffer.from(
      `Basic ${Buffer.from(`${creds.customerCode}&${creds.apiSecret}`).toString('base64')}`,
    );
    const given = Buffer.from(String(req.headers.authorization ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      book.counters.signatureFailures++;
      throw new EnvelopeError('1001', 'Authorization failed: the token is not recognised');
    }
    const second = Math.floor(Date.now() / 1000);
    if (second !== windowSecond) {
      windowSecond = second;
      windowCalls = 0;
    }
    if (++windowCalls > CALLS_PER_SECOND) throw new EnvelopeError('1006', 'Too many requests, slow down');
  }

  function validate(o: J): string | undefined {
    if (!METHODS.includes(text(o, 'ShippingMethodCode') ?? ''))
      return `ShippingMethodCode ${String(o.ShippingMethodCode)} is not available`;
    const weight = o.Weight;
    if (typeof weight !== 'number' || !(weight > 0) || weight > 30) return 'Weight must be 0.001 to 30 kg';
    const r = obj(o.Receiver);
    if (!r) return 'Receiver is required';
    if (!/^[A-Z]{2}$/.test(text(r, 'CountryCode') ?? ''))
      return 'Receiver.CountryCode must be a two-letter code';
    for (const k of ['FirstName', 'Street', 'City']) if (!text(r, k)) return `Receiver.${k} is required`;
    const parcels = o.Parcels;
    if (!Array.isArray(parcels) || parcels.length === 0) return 'Parcels is required';
    for (const [i, raw] of parcels.entries()) {
      const p = obj(raw);
      if (!text(p, 'EName')) return `Parcels[${i}].EName is required`;
      if (!/^\d{6,10}$/.test(text(p, 'HSCode') ?? '')) return `Parcels[${i}].HSCode must be 6 to 10 digits`;
      if (typeof p?.Quantity !== 'number' || !Number.isInteger(p.Quantity) || p.Quantity < 1)
        return `Parcels[${i}].Quantity must be a positive integer`;
      if (typeof p?.UnitPrice !== 'number' || !(p.UnitPrice >= 0))
        return `Parcels[${i}].UnitPrice must be a number`;
    }
    return undefined;
  }

  function createOrders(body: unknown, channel: Channel): string {
    if (!Array.isArray(body) || body.length === 0 || body.length > 10)
      throw new EnvelopeError('1003', 'The body must be an array of 1 to 10 orders');
    const items = body.map((raw) => {
      const o = obj(raw) ?? {};
      const ref = text(o, 'CustomerOrderNumber');
      const refused = (remark: string) => {
        book.counters.validationErrors++;
        return {
          CustomerOrderNumber: ref ?? null,
          Success: 0,
          TrackType: '1',
          Remark: remark,
          AgentNumber: null,
          WayBillNumber: null,
          RequireSenderAddress: 0,
          TrackingNumber: null,
          ShipperBoxs: null,
        };
      };
      if (!ref) return refused('CustomerOrderNumber is required');
      if (book.byReference.has(ref))
        return refused(`订单号 ${ref} 已存在 / CustomerOrderNumber already exists`);
      const why = validate(o);
      if (why) return refused(why);
      const r = obj(o.Receiver) ?? {};
      serial = (serial + 1) % 1_000_000_000_000;
      const p = book.add(
        {
          waybillNo: `YT${String(serial).padStart(16, '0')}`,
          reference: ref,
          recipientName: [text(r, 'FirstName'), text(r, 'LastName')].filter(Boolean).join(' '),
          country: text(r, 'CountryCode') ?? 'US',
          city: text(r, 'City') ?? '',
          createdAtMs: Date.now(),
        },
        channel,
      );
      return {
        CustomerOrderNumber: ref,
        Success: 1,
        TrackType: '1',
        Remark: '',
        AgentNumber: null,
        WayBillNumber: p.waybillNo,
        RequireSenderAddress: 0,
        TrackingNumber: null,
        ShipperBoxs: null,
      };
    });
    return envelope({ Item: items }, '0000', '提交成功!');
  }

  function trackingNumbers(refs: string): string {
    const items = refs.split(',').map((ref) => {
      const p = book.byReference.get(ref.trim());
      return {
        OrderNumber: ref,
        CustomerOrderNumber: ref,
        TrackingNumber: null,
        WayBillNumber: p?.waybillNo ?? null,
        ChildTrackings: [],
        Remark: p ? '' : 'Not found',
        Status: p ? 2 : 0,
      };
    });
    return envelope({ Items: items });
  }

  function trackInfo(no: string): string {
    book.counters.trackingQueries++;
    const p = book.parcels.get(no);
    if (!p) return envelope({ Item: null }, '0000', 'No tracking information yet');
    const due = book.due(p, Date.now());
    const handedOver = due.some((e) => e.step === 'lastmile_handover');
    const last = due[due.length - 1];
    const details = due.map((e) => {
      const r = render(e.step, p);
      return {
        ProcessContent: r.content,
        ProcessLocation: r.location,
        ProcessDate: localTime(e.atMs, 8, 'T'),
        TrackingStatus: r.status,
      };
    });
    return envelope({
      Item: {
        CountryCode: p.country,
        WaybillNumber: p.waybillNo,
        TrackingNumber: handedOver ? `LM${p.waybillNo.slice(2)}` : '',
        CarrierName: handedOver ? (LAST_MILE[p.country] ?? 'Local Post') : '',
        CreatedBy: null,
        PackageState: last?.step === 'delivered' ? 3 : 1,
        TrackingStatus: last ? render(last.step, p).status : 0,
        IntervalDays: -1.0,
        OrderTrackingDetails: details,
      },
    });
  }

  function labelPrint(body: unknown, channel: Channel): string {
    if (!Array.isArray(body) || body.length === 0)
      throw new EnvelopeError('1003', 'The body must be an array of waybill numbers');
    const nos = body.map(String);
    const found = nos.map((n) => book.parcels.get(n) ?? book.byReference.get(n));
    const first = found.find((p): p is Parcel => p !== undefined);
    return envelope({
      Item: [
        {
          Url: first
            ? `${ctx.baseUrl()}${CHANNEL_PREFIX[channel]}/yunexpress/label/${first.waybillNo}.pdf`
            : null,
          OrderInfos: nos.map((n, i) => ({
            CustomerOrderNumber: n,
            Error: found[i] ? '' : 'Order not found',
            Code: found[i] ? 100 : 200,
          })),
        },
      ],
    });
  }

  async function handle(
    req: FastifyRequest,
    reply: FastifyReply,
    channel: Channel,
    run: () => string,
  ): Promise<string> {
    reply.header('content-type', 'application/json; charset=utf-8');
    try {
      authenticate(req);
      return run();
    } catch (err) {
      if (!(err instanceof EnvelopeError)) throw err;
      void channel;
      return envelope({ Item: null }, err.code, err.message);
    }
  }

  const refusal = (status: 429 | 503, message: string) => ({
    contentType: 'text/html',
    body: `<html><head><title>${status}</title></head><body>${message}</body></html>`,
  });

  return {
    id: ID,
    register(app: FastifyInstance) {
      book.mount(app, refusal, (scope, channel) => {
        scope.post('/yunexpress/api/WayBill/CreateOrder', (req, reply) =>
          handle(req, reply, channel, () => createOrders(req.body, channel)),
        );
        scope.get<{ Querystring: { CustomerOrderNumber?: string } }>(
          '/yunexpress/api/Waybill/GetTrackingNumber',
          (req, reply) =>
            handle(req, reply, channel, () => trackingNumbers(req.query.CustomerOrderNumber ?? '')),
        );
        scope.get<{ Querystring: { OrderNumber?: string } }>(
          '/yunexpress/api/Tracking/GetTrackInfo',
          (req, reply) => handle(req, reply, channel, () => trackInfo(req.query.OrderNumber ?? '')),
        );
        scope.post('/yunexpress/api/Label/Print', (req, reply) =>
          handle(req, reply, channel, () => labelPrint(req.body, channel)),
        );
        scope.get('/yunexpress/api/Common/GetCountry', (req, reply) =>
          handle(req, reply, channel, () =>
            envelope({ Items: [{ CountryCode: 'US', EName: 'United States', CName: '美国' }] }),
          ),
        );
        scope.get<{ Params: { file: string } }>('/yunexpress/label/:file', async (req, reply) => {
          const p = book.parcels.get(req.params.file.replace(/\.pdf$/, ''));
          if (!p) return reply.code(404).type('text/plain').send('label not found');
          book.counters.labelsServed++;
          const file = labelFile('PDF', 'YunExpress', p);
          return reply.type(file.type).send(file.data);
        });
      });
    },
    stats: () => book.stats(),
    async close() {
      book.clear();
    },
  };
}
