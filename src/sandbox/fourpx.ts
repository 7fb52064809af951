/**
 * 4PX (递四方) FOP open platform, simulated: one router `POST /4px/router/api/service` whose
 * common parameters (`method`, `app_key`, `v`, `timestamp`, `format`, `sign`) ride in the query
 * string and whose business parameters are the JSON body; `sign` is the lowercase MD5 of the
 * sorted signed parameters (name+value), the raw body and the app secret. Every answer is 4PX's
 * envelope `{"result":"1"|"0","msg","errors":[{error_code,error_msg,reference_code}],"data"}`
 * with HTTP 200. Written from 4PX's public documentation, apart from the hub's connector.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CHANNEL_PREFIX, type Channel } from './faults.js';
import { gatewayCity, labelFile, localTime, ParcelBook, type Parcel } from './carrier-kit.js';
import type { JourneyStep } from './journey.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const ID = 'fourpx';
const SIGNED = ['app_key', 'format', 'method', 'timestamp', 'v'];
const CALLS_PER_SECOND = 20_000;
const PRODUCTS = ['F3', 'A1', 'PX'];

class FopError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly reference = '',
  ) {
    super(message);
  }
}
class GatewayFault extends Error {
  constructor(readonly status: number) {
    super(`gateway ${status}`);
  }
}

type J = Record<string, unknown>;
const obj = (v: unknown): J | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as J) : undefined;
const text = (o: J | undefined, k: string): string | undefined => {
  const v = o?.[k];
  return typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : undefined;
};

const fullName = (r: J | undefined) =>
  [text(r, 'first_name'), text(r, 'last_name')].filter(Boolean).join(' ');

/** 4PX's wording of a parcel's journey: its businessLinkCode and text. */
function render(step: JourneyStep, p: Parcel): { code: string; content: string; location: string } {
  const gw = `${gatewayCity(p.country, p.city)},${p.country}`;
  const home = 'Shenzhen,CN';
  const at = (code: string, content: string, location = home) => ({ code, content, location });
  switch (step) {
    case 'label_created':
      return at('FPX_L_RPIF', '4PX has received the shipment information');
    case 'picked_up':
      return at('FPX_C_SPLS', 'Parcel collected by 4PX');
    case 'origin_arrived':
      return at('FPX_C_AAF', 'Arrived at 4PX Shenzhen sorting facility');
    case 'export_customs_started':
      return at('FPX_E_ECCS', 'Export customs clearance started');
    case 'export_customs_released':
      return at('FPX_E_ECCC', 'Export customs clearance completed');
    case 'linehaul_handover':
      return at('FPX_M_LHHO', 'Handed over to airline', 'Hong Kong,HK');
    case 'linehaul_departed':
      return at('FPX_M_LHDP', 'Flight departed', 'Hong Kong,HK');
    case 'linehaul_arrived':
      return at('FPX_M_LHAR', 'Flight arrived at destination', gw);
    case 'import_customs_started':
      return at('FPX_I_ICCS', 'Import customs clearance started', gw);
    case 'import_customs_held':
      return at('FPX_I_ICCH', 'Held by import customs, documents required', gw);
    case 'import_customs_released':
      return at('FPX_I_ICCC', 'Import customs clearance completed', gw);
    case 'lastmile_handover':
      return at('FPX_D_LMHO', 'Handed over to last-mile carrier', gw);
    case 'out_for_delivery':
      return at('FPX_D_OFD', 'Out for delivery', `${p.city},${p.country}`);
    case 'delivery_failed':
      return at('FPX_D_DAF', 'Delivery attempted, recipient not available', `${p.city},${p.country}`);
    case 'delivered':
      return at('FPX_S_OK', 'Delivered', `${p.city},${p.country}`);
  }
}

export function createFourpx(ctx: SandboxContext): SandboxPartner {
  const creds = ctx.credentials[ID];
  const book = new ParcelBook(ID, ctx);
  const faultsFired = new Set<string>();
  let serial = randomInt(0, 10_000_000_000);
  let windowSecond = 0;
  let windowCalls = 0;

  function authenticate(q: Record<string, string>, body: string): void {
    for (const k of ['method', 'app_key', 'v', 'timestamp', 'format', 'sign']) {
      if (!q[k]) throw new FopError(k === 'method' ? '000011' : '000010', `Missing common parameter ${k}`);
    }
    if (q.app_key !== creds.appKey) {
      book.counters.signatureFailures++;
      throw new FopError('000013', 'app_key is invalid');
    }
    const base = [...SIGNED]
      .sort()
      .map((k) => `${k}${q[k]}`)
      .join('');
    const expected = createHash('md5').update(`${base}${body}${creds.appSecret}`, 'utf8').digest('hex');
    const given = Buffer.from((q.sign ?? '').toLowerCase());
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
      book.counters.signatureFailures++;
      throw new FopError('000012', 'Signature error');
    }
    if (q.format !== 'json') throw new FopError('000010', 'format must be json');
  }

  function rateLimit(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second !== windowSecond) {
      windowSecond = second;
      windowCalls = 0;
    }
    if (++windowCalls > CALLS_PER_SECOND)
      throw new FopError('000017', 'Call frequency exceeded, try again in 1 minute');
  }

  const missing = (field: string, ref = '') => new FopError('DS000002', `${field} is required`, ref);
  const invalid = (field: string, why: string, ref = '') => new FopError('DS000003', `${field} ${why}`, ref);

  function createOrder(b: J, nowMs: number, channel: Channel): J {
    const ref = text(b, 'ref_no');
    if (!ref) throw missing('ref_no');
    if (ref.length > 64) throw invalid('ref_no', 'is longer than 64 characters', ref);
    const existing = book.byReference.get(ref);
    if (existing) throw new FopError('DS000009', `Ref_no: ${ref} already exists`, ref);
    const product = text(obj(b.logistics_service_info), 'logistics_product_code');
    if (!product) throw missing('logistics_service_info.logistics_product_code', ref);
    if (!PRODUCTS.includes(product))
      throw invalid('logistics_product_code', `${product} is not open to this account`, ref);
    const r = obj(b.recipient_info);
    if (!r) throw missing('recipient_info', ref);
    const first = text(r, 'first_name');
    if (!first) throw missing('recipient_info.first_name', ref);
    const country = text(r, 'country');
    if (!country) throw missing('recipient_info.country', ref);
    if (!/^[A-Z]{2}$/.test(country))
      throw invalid('recipient_info.country', 'must be a two-letter country code', ref);
    const city = text(r, 'city');
    if (!city) throw missing('recipient_info.city', ref);
    if (!text(r, 'street')) throw missing('recipient_info.street', ref);
    const parcels = b.parcel_list;
    if (!Array.isArray(parcels) || parcels.length === 0) throw missing('parcel_list', ref);
    parcels.forEach((raw, i) => {
      const parcel = obj(raw);
      const at = `parcel_list[${i}]`;
      const weight = parcel?.weight;
      if (typeof weight !== 'number' || !(weight > 0) || weight > 30_000)
        throw invalid(`${at}.weight`, 'must be 1 to 30000 grams', ref);
      if (!/^[A-Z]{3}$/.test(text(parcel, 'currency') ?? ''))
        throw invalid(`${at}.currency`, 'must be an ISO 4217 code', ref);
      const declared = parcel?.declare_product_info;
      if (!Array.isArray(declared) || declared.length === 0) throw missing(`${at}.declare_product_info`, ref);
      declared.forEach((d, j) => {
        const item = obj(d);
        const di = `${at}.declare_product_info[${j}]`;
        if (!text(item, 'declare_product_name_en')) throw missing(`${di}.declare_product_name_en`, ref);
        if (!/^\d{6,10}$/.test(text(item, 'hscode_export') ?? ''))
          throw invalid(`${di}.hscode_export`, 'must be 6 to 10 digits', ref);
        const qty = item?.declare_product_code_qty;
        if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1)
          throw invalid(`${di}.declare_product_code_qty`, 'must be a positive integer', ref);
        const price = item?.declare_unit_price_export;
        if (typeof price !== 'number' || !(price >= 0))
          throw invalid(`${di}.declare_unit_price_export`, 'must be a number', ref);
      });
    });
    serial = (serial + 1) % 10_000_000_000;
    const digits = String(serial).padStart(10, '0');
    const name = fullName(r);
    const p = book.add(
      {
        waybillNo: `4PX30${digits}CN`,
        reference: ref,
        recipientName: name,
        country,
        city,
        createdAtMs: nowMs,
      },
      channel,
    );
    // Fault injection: the consignment exists but the reply is lost once; a retry meets DS000009.
    if (name === 'SANDBOX FAULT LOST-REPLY' && !faultsFired.has(ref)) {
      faultsFired.add(ref);
      throw new GatewayFault(502);
    }
    return {
      ds_consignment_no: `DS${digits}`,
      '4px_tracking_no': p.waybillNo,
      label_barcode: p.waybillNo,
      ref_no: ref,
      logistics_channel_no: '',
    };
  }

  function find(requestNo: string | undefined): Parcel | undefined {
    if (!requestNo) return undefined;
    return book.parcels.get(requestNo) ?? book.byReference.get(requestNo);
  }

  function orderGet(b: J): J[] {
    const p = find(text(b, 'request_no'));
    if (!p) return [];
    const handedOver = book.due(p, Date.now()).some((e) => e.step === 'picked_up');
    return [
      {
        consignment_info: {
          '4px_tracking_no': p.waybillNo,
          ds_consignment_no: `DS${p.waybillNo.slice(5, 15)}`,
          ref_no: p.reference,
          consignment_status: p.cancelled ? 'X' : handedOver ? 'C' : 'P',
          consignment_create_date: p.createdAtMs,
        },
      },
    ];
  }

  function cancel(b: J): null {
    const no = text(b, 'request_no');
    const p = find(no);
    if (!p) throw new FopError('0', 'Can not find this order', no ?? '');
    if (p.cancelled) return null;
    if (book.due(p, Date.now()).some((e) => e.step === 'picked_up')) {
      throw new FopError(
        'DS000011',
        'The consignment has been handed over and can no longer be cancelled',
        no ?? '',
      );
    }
    p.cancelled = true;
    book.counters.cancelled++;
    return null;
  }

  function labelGet(b: J, channel: Channel): J {
    const no = text(b, 'request_no');
    const p = find(no);
    if (!p) throw new FopError('0', 'Can not find this order', no ?? '');
    const format = text(b, 'response_label_format') ?? 'PDF';
    if (!['PDF', 'PNG', 'ZPL'].includes(format))
      throw invalid('response_label_format', 'must be PDF, PNG or ZPL');
    return {
      label_url_info: {
        logistics_label: `${ctx.baseUrl()}${CHANNEL_PREFIX[channel]}/4px/label/${p.waybillNo}.${format.toLowerCase()}`,
      },
    };
  }

  function tracking(b: J, nowMs: number): J {
    const no = text(b, 'deliveryOrderNo');
    if (!no) throw missing('deliveryOrderNo');
    book.counters.trackingQueries++;
    const p = book.parcels.get(no);
    if (!p) throw new FopError('TR000001', `No tracking information for ${no}`);
    const list = book
      .due(p, nowMs)
      .reverse() // newest first, as 4PX lists them
      .map((e) => {
        const r = render(e.step, p);
        return {
          businessLinkCode: r.code,
          trackingContent: r.content,
          occurDatetime: localTime(e.atMs, 8),
          occurLocation: r.location,
          destinationCountry: p.country,
        };
      });
    return { deliveryOrderNo: no, trackingList: list };
  }

  function dispatch(method: string, v: string, b: J, nowMs: number, channel: Channel): unknown {
    switch (method) {
      case 'ds.xms.order.create':
        if (v !== '1.1.0' && v !== '1.0.0')
          throw new FopError('000011', `version ${v} of ${method} does not exist`);
        return createOrder(b, nowMs, channel);
      case 'ds.xms.order.get':
        return orderGet(b);
      case 'ds.xms.order.cancel':
        return cancel(b);
      case 'ds.xms.label.get':
        return labelGet(b, channel);
      case 'tr.order.tracking.get':
        return tracking(b, nowMs);
      case 'ds.xms.logistics_product.getlist':
        return PRODUCTS.map((code) => ({
          logistics_product_code: code,
          logistics_product_name_en: `4PX product ${code}`,
        }));
      default:
        throw new FopError('000011', `Method ${method} does not exist`);
    }
  }

  async function handle(
    query: Record<string, string>,
    body: unknown,
    reply: FastifyReply,
    channel: Channel,
  ): Promise<string> {
    const nowMs = Date.now();
    reply.header('content-type', 'application/json;charset=UTF-8');
    let ref = '';
    try {
      const raw = typeof body === 'string' ? body : '';
      authenticate(query, raw);
      rateLimit(nowMs);
      let b: J | undefined;
      try {
        b = obj(JSON.parse(raw));
      } catch {
        b = undefined;
      }
      if (!b) throw new FopError('000010', 'The request body must be a JSON object');
      ref = text(b, 'ref_no') ?? '';
      if (
        query.method === 'ds.xms.order.create' &&
        fullName(obj(b.recipient_info)) === 'SANDBOX FAULT 503' &&
        !faultsFired.has(ref)
      ) {
        faultsFired.add(ref);
        throw new GatewayFault(503);
      }
      const data = dispatch(query.method ?? '', query.v ?? '', b, nowMs, channel);
      return JSON.stringify({ result: '1', msg: 'System processing succeeded', errors: null, data });
    } catch (err) {
      if (err instanceof GatewayFault) {
        reply.code(err.status).header('content-type', 'text/html');
        return `<html><body><h1>${err.status}</h1></body></html>`;
      }
      if (!(err instanceof FopError)) throw err;
      if (err.code.startsWith('DS0000')) book.counters.validationErrors++;
      return JSON.stringify({
        result: '0',
        msg: 'System processing failed',
        errors: [
          {
            error_code: err.code,
            error_msg: err.message,
            error_data: null,
            reference_code: err.reference || ref,
          },
        ],
        data: null,
      });
    }
  }

  const refusal = (status: 429 | 503, message: string) => ({
    contentType: 'text/html',
    body: `<html><body><h1>${status}</h1><p>${message}</p></body></html>`,
  });

  return {
    id: ID,
    register(app: FastifyInstance) {
      book.mount(app, refusal, (scope, channel) => {
        scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, b, done) =>
          done(null, b),
        );
        scope.post<{ Querystring: Record<string, string> }>('/4px/router/api/service', (req, reply) =>
          handle(req.query, req.body, reply, channel),
        );
        scope.get<{ Params: { file: string } }>('/4px/label/:file', async (req, reply) => {
          const m = /^(.+)\.(pdf|png|zpl)$/.exec(req.params.file);
          const p = m ? book.parcels.get(m[1] ?? '') : undefined;
          if (!m || !p) return reply.code(404).type('text/plain').send('label not found');
          book.counters.labelsServed++;
          const file = labelFile((m[2] ?? 'pdf').toUpperCase() as 'PDF' | 'PNG' | 'ZPL', '4PX', p);
          return reply.type(file.type).send(file.data);
        });
      });
    },
    stats: () => book.stats(),
    async close() {
      book.clear();
      faultsFired.clear();
    },
  };
}
