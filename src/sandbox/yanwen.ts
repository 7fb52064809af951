/**
 * Yanwen (燕文物流) open API, simulated under `/yanwen` (order API `POST /yanwen/api/order`
 * with user_id, method, format, timestamp, version and the md5 `sign` in the query) and
 * `/yanwen-track` (tracking API `GET /yanwen-track/api/tracking?nums=…`, `Authorization:
 * <user_id>`). Envelope `{success, code, message, data}`; tracking checkpoints carry Yanwen's
 * two-letter-plus-digits `tracking_status` and local Beijing times with a `time_zone`. Written
 * from Yanwen's public API description, apart from the connector.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { gatewayCity, labelFile, localTime, ParcelBook, type Parcel } from './carrier-kit.js';
import type { Channel } from './faults.js';
import type { JourneyStep } from './journey.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const ID = 'yanwen';
type J = Record<string, unknown>;
const obj = (v: unknown): J | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as J) : undefined;
const text = (o: J | undefined, k: string): string | undefined => {
  const v = o?.[k];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
};

class YwError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function render(step: JourneyStep, p: Parcel): { status: string; message: string; location: string } {
  const gw = `${gatewayCity(p.country, p.city)},${p.country}`;
  const home = `${p.city},${p.country}`;
  const table: Record<JourneyStep, [string, string, string]> = {
    label_created: ['OR10', 'Order information received', 'Beijing,CN'],
    picked_up: ['PU10', 'Picked up by Yanwen', 'Beijing,CN'],
    origin_arrived: ['SC10', 'Arrived at Yanwen sorting center', 'Beijing,CN'],
    export_customs_started: ['EC10', 'Export customs declaration', 'Beijing,CN'],
    export_customs_released: ['EC20', 'Export customs cleared', 'Beijing,CN'],
    linehaul_handover: ['LH10', 'Handed over to airline', 'Beijing,CN'],
    linehaul_departed: ['LH20', 'Flight departed', 'Beijing,CN'],
    linehaul_arrived: ['LH30', 'Arrived at destination airport', gw],
    import_customs_started: ['IC10', 'Import customs clearance started', gw],
    import_customs_held: ['IC20', 'Held by import customs', gw],
    import_customs_released: ['IC30', 'Import customs cleared', gw],
    lastmile_handover: ['LM10', 'Handed over to last-mile carrier', gw],
    out_for_delivery: ['LM25', 'Out for delivery', home],
    delivery_failed: ['LM35', 'Delivery attempted, recipient not available', home],
    delivered: ['LM40', 'Delivered', home],
  };
  const [status, message, location] = table[step];
  return { status, message, location };
}

export function createYanwen(ctx: SandboxContext): SandboxPartner {
  const creds = ctx.credentials[ID];
  const book = new ParcelBook(ID, ctx);
  let serial = randomInt(0, 900_000_000);
  const yanwenNumbers = new Map<string, string>();

  const envelope = (data: unknown, code = '0', message = 'success') =>
    JSON.stringify({ success: code === '0', code, message, data });

  function authenticate(req: FastifyRequest): { method: string; body: string } {
    const q = new URLSearchParams(req.url.split('?')[1] ?? '');
    const body = typeof req.body === 'string' ? req.body : '';
    const [userId, method, format, timestamp, version, sign] = [
      'user_id',
      'method',
      'format',
      'timestamp',
      'version',
      'sign',
    ].map((k) => q.get(k) ?? '');
    if (userId !== creds.userId) {
      book.counters.signatureFailures++;
      throw new YwError('101', 'user_id 不存在 / user_id is not recognised');
    }
    const expected = createHash('md5')
      .update(creds.apiToken + userId + body + format + method + timestamp + version + creds.apiToken, 'utf8')
      .digest('hex');
    if (sign!.length !== expected.length || !timingSafeEqual(Buffer.from(sign!), Buffer.from(expected))) {
      book.counters.signatureFailures++;
      throw new YwError('100', '签名错误 / sign check failed');
    }
    if (!/^\d{13}$/.test(timestamp!) || Math.abs(Number(timestamp) - Date.now()) > 10 * 60_000)
      throw new YwError('102', 'timestamp expired');
    if (format !== 'json' || version !== 'V1.0')
      throw new YwError('104', 'format must be json and version V1.0');
    return { method: method!, body };
  }

  function validate(o: J): string | undefined {
    const r = obj(o.receiverInfo);
    if (!text(o, 'channelId')) return 'channelId is required';
    if (!r) return 'receiverInfo is required';
    for (const k of ['name', 'country', 'city', 'address'])
      if (!text(r, k)) return `receiverInfo.${k} is required`;
    const p = obj(o.parcelInfo);
    if (!p) return 'parcelInfo is required';
    if (
      typeof p.totalWeight !== 'number' ||
      !Number.isInteger(p.totalWeight) ||
      p.totalWeight < 1 ||
      p.totalWeight > 30_000
    )
      return 'parcelInfo.totalWeight must be 1 to 30000 g';
    const list = p.productList;
    if (!Array.isArray(list) || list.length === 0) return 'parcelInfo.productList is required';
    for (const [i, raw] of list.entries()) {
      const it = obj(raw);
      if (!text(it, 'goodsNameEn') || !text(it, 'goodsNameCh'))
        return `productList[${i}] needs goodsNameEn and goodsNameCh`;
      if (typeof it?.quantity !== 'number' || !Number.isInteger(it.quantity) || it.quantity < 1)
        return `productList[${i}].quantity must be a positive integer`;
    }
    return undefined;
  }

  function created(p: Parcel): J {
    return {
      waybillNumber: p.waybillNo,
      orderNumber: p.reference,
      referenceNumber: null,
      yanwenNumber: yanwenNumbers.get(p.waybillNo),
    };
  }

  function run(method: string, raw: string, channel: Channel): string {
    let body: J | undefined;
    try {
      body = obj(JSON.parse(raw));
    } catch {
      body = undefined;
    }
    if (!body) throw new YwError('105', 'The body is not a JSON object');
    if (method === 'express.order.create') {
      const ref = text(body, 'orderNumber');
      if (!ref) throw new YwError('110', 'orderNumber is required');
      const prior = book.byReference.get(ref);
      if (prior) {
        book.replayed(channel);
        throw new YwError('103', `订单号 ${ref} 已存在 / orderNumber already exists`);
      }
      const why = validate(body);
      if (why) {
        book.counters.validationErrors++;
        throw new YwError('110', why);
      }
      const r = obj(body.receiverInfo) ?? {};
      serial = (serial + 1) % 1_000_000_000;
      const p = book.add(
        {
          waybillNo: `UG${String(serial).padStart(9, '0')}YW`,
          reference: ref,
          recipientName: text(r, 'name') ?? '',
          country: text(r, 'country') ?? 'US',
          city: text(r, 'city') ?? '',
          createdAtMs: Date.now(),
        },
        channel,
      );
      yanwenNumbers.set(p.waybillNo, `Y${String(serial).padStart(12, '0')}`);
      return envelope(created(p));
    }
    if (method === 'express.order.get') {
      const p = book.byReference.get(text(body, 'orderNumber') ?? '');
      if (!p) throw new YwError('404', 'order not found');
      return envelope(created(p));
    }
    if (method === 'express.order.label.get') {
      const no = text(body, 'waybillNumber') ?? '';
      const p = book.parcels.get(no);
      if (!p)
        return envelope({
          waybillNumber: no,
          isSuccess: false,
          errorMsg: 'waybill not found',
          base64String: null,
          labelType: null,
        });
      book.counters.labelsServed++;
      const file = labelFile('PDF', 'Yanwen', p);
      return envelope({
        waybillNumber: no,
        isSuccess: true,
        errorMsg: null,
        base64String: file.data.toString('base64'),
        labelType: '100x100',
      });
    }
    throw new YwError('106', `method ${method.slice(0, 40)} is not supported`);
  }

  function tracking(req: FastifyRequest): string {
    if (req.headers.authorization !== creds.userId)
      return JSON.stringify({ code: 401, message: 'Authorization is not a known account', result: [] });
    const nums = String((req.query as J).nums ?? '')
      .split(',')
      .filter(Boolean);
    if (nums.length === 0 || nums.length > 40)
      return JSON.stringify({ code: 400, message: 'nums must list 1 to 40 numbers', result: [] });
    book.counters.trackingQueries++;
    const now = Date.now();
    const result = nums.map((n) => {
      const p = book.parcels.get(n);
      if (!p) return { tracking_number: n, waybill_number: n, tracking_status: 'NF', checkpoints: [] };
      const due = book.due(p, now);
      const last = due[due.length - 1];
      const handed = due.some((e) => e.step === 'lastmile_handover');
      return {
        tracking_number: p.waybillNo,
        waybill_number: p.waybillNo,
        tracking_status: last ? render(last.step, p).status : 'OR10',
        ...(handed
          ? { last_mile_tracking_number: `LM${p.waybillNo.slice(2, 11)}`, last_mile_carrier: 'Local Post' }
          : {}),
        checkpoints: due.map((e) => {
          const r = render(e.step, p);
          return {
            time_stamp: localTime(e.atMs, 8, 'T'),
            time_zone: '+8',
            tracking_status: r.status,
            message: r.message,
            location: r.location,
          };
        }),
      };
    });
    return JSON.stringify({ code: 0, message: 'success', result, requestTime: new Date(now).toISOString() });
  }

  const refusal = (status: 429 | 503, message: string) => ({
    contentType: 'application/json',
    body: JSON.stringify({ success: false, code: String(status === 429 ? 429 : 500), message, data: null }),
  });

  return {
    id: ID,
    register(app: FastifyInstance) {
      book.mount(app, refusal, (scope, channel) => {
        scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, b, done) =>
          done(null, b),
        );
        scope.post('/yanwen/api/order', async (req: FastifyRequest, reply: FastifyReply) => {
          reply.header('content-type', 'application/json;charset=UTF-8');
          try {
            const { method, body } = authenticate(req);
            return run(method, body, channel);
          } catch (err) {
            if (!(err instanceof YwError)) throw err;
            return envelope(null, err.code, err.message);
          }
        });
        scope.get('/yanwen-track/api/tracking', async (req, reply) => {
          reply.header('content-type', 'application/json;charset=UTF-8');
          return tracking(req);
        });
      });
    },
    stats: () => book.stats(),
    async close() {
      book.clear();
    },
  };
}
