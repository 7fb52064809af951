/**
 * Cainiao (菜鸟) LINK gateway, simulated at `POST /cainiao/gateway/link.do`: form fields
 * `msg_type`, `logistic_provider_id`, `logistics_interface` (JSON), `data_digest` = base64 of the
 * MD5 bytes of the content + secret, `to_code`; answers `{"success": "true"|"false", "errorCode",
 * "errorMsg", "data"}` with HTTP 200. Written from Cainiao's public documentation, apart from
 * the connector.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Channel } from './faults.js';
import { gatewayCity, localTime, ParcelBook, type Parcel } from './carrier-kit.js';
import type { JourneyStep } from './journey.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const ID = 'cainiao';
type J = Record<string, unknown>;
const obj = (v: unknown): J | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as J) : undefined;
const text = (o: J | undefined, k: string): string | undefined => {
  const v = o?.[k];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
};

class LinkError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function render(
  step: JourneyStep,
  p: Parcel,
): { action: string; desc: string; city: string; country: string } {
  const gw = gatewayCity(p.country, p.city);
  const at = (action: string, desc: string, city = 'Hangzhou', country = 'CN') => ({
    action,
    desc,
    city,
    country,
  });
  switch (step) {
    case 'label_created':
      return at('GWMS_ACCEPT', 'Order received by Cainiao');
    case 'picked_up':
      return at('PU_PICKUP_SUCCESS', 'Picked up');
    case 'origin_arrived':
      return at('SC_INBOUND_SUCCESS', 'Arrived at sorting center');
    case 'export_customs_started':
      return at('CC_EX_START', 'Export clearance started');
    case 'export_customs_released':
      return at('CC_EX_SUCCESS', 'Export clearance success');
    case 'linehaul_handover':
      return at('LH_HO_AIRLINE', 'Handed over to airline');
    case 'linehaul_departed':
      return at('LH_DEPART', 'Departed from departure country/region');
    case 'linehaul_arrived':
      return at('LH_ARRIVE', 'Arrived at destination country/region', gw, p.country);
    case 'import_customs_started':
      return at('CC_IM_START', 'Import clearance started', gw, p.country);
    case 'import_customs_held':
      return at('CC_IM_HOLD', 'Held in import clearance', gw, p.country);
    case 'import_customs_released':
      return at('CC_IM_SUCCESS', 'Import clearance success', gw, p.country);
    case 'lastmile_handover':
      return at('GTMS_ACCEPT', 'Received by last mile carrier', gw, p.country);
    case 'out_for_delivery':
      return at('GTMS_DO_DEPART', 'Out for delivery', p.city, p.country);
    case 'delivery_failed':
      return at('GTMS_DELIVERY_FAILED', 'Delivery failed, receiver not at home', p.city, p.country);
    case 'delivered':
      return at('GTMS_SIGNED', 'Delivered', p.city, p.country);
  }
}

export function createCainiao(ctx: SandboxContext): SandboxPartner {
  const creds = ctx.credentials[ID];
  const book = new ParcelBook(ID, ctx);
  let serial = randomInt(0, 1_000_000_000);

  function create(doc: J, channel: Channel): J {
    const out = text(doc, 'outOrderId');
    if (!out) throw new LinkError('PARAM_ERROR', 'outOrderId is required');
    const existing = book.byReference.get(out);
    if (existing) {
      book.replayed(channel);
      return { trackingNumber: existing.waybillNo, orderCode: `LP${existing.waybillNo.slice(2)}` };
    }
    const r = obj(doc.receiverParam);
    const name = text(r, 'name');
    const country = text(r, 'countryCode');
    const city = text(r, 'city');
    if (!name || !city || !text(r, 'street'))
      throw new LinkError('PARAM_ERROR', 'receiverParam.name, city and street are required');
    if (!country || !/^[A-Z]{2}$/.test(country))
      throw new LinkError('PARAM_ERROR', 'receiverParam.countryCode must be ISO alpha-2');
    const pkgs = doc.packageParams;
    const items = Array.isArray(pkgs) ? obj(pkgs[0])?.itemParams : undefined;
    if (!Array.isArray(items) || items.length === 0)
      throw new LinkError('PARAM_ERROR', 'packageParams[0].itemParams is required');
    for (const [i, raw] of items.entries()) {
      if (!/^\d{6,10}$/.test(text(obj(raw), 'hscode') ?? ''))
        throw new LinkError('PARAM_ERROR', `packageParams[0].itemParams[${i}].hscode must be 6 to 10 digits`);
    }
    serial = (serial + 1) % 1_000_000_000_000;
    const p = book.add(
      {
        waybillNo: `LP${String(serial).padStart(14, '0')}`,
        reference: out,
        recipientName: name,
        country,
        city,
        createdAtMs: Date.now(),
      },
      channel,
    );
    return { trackingNumber: p.waybillNo, orderCode: `LP${p.waybillNo.slice(2)}` };
  }

  function track(doc: J): J {
    const no = text(doc, 'mailNo');
    if (!no) throw new LinkError('PARAM_ERROR', 'mailNo is required');
    book.counters.trackingQueries++;
    const p = book.parcels.get(no);
    const list = p
      ? book.due(p, Date.now()).map((e) => {
          const r = render(e.step, p);
          return {
            actionCode: r.action,
            desc: r.desc,
            time: localTime(e.atMs, 8),
            timeZone: '+8',
            city: r.city,
            country: r.country,
          };
        })
      : [];
    return { mailNo: no, detailList: list };
  }

  function handle(body: unknown, channel: Channel): string {
    try {
      const form = new URLSearchParams(typeof body === 'string' ? body : '');
      const provider = form.get('logistic_provider_id');
      const content = form.get('logistics_interface') ?? '';
      const digest = form.get('data_digest') ?? '';
      if (provider !== creds.logisticProviderId) {
        book.counters.signatureFailures++;
        throw new LinkError('S01', 'logistic_provider_id is not authorised');
      }
      const expected = Buffer.from(
        createHash('md5').update(`${content}${creds.appSecret}`, 'utf8').digest('base64'),
      );
      const given = Buffer.from(digest);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        book.counters.signatureFailures++;
        throw new LinkError('S02', 'digist sign check not pass');
      }
      let doc: J | undefined;
      try {
        doc = obj(JSON.parse(content));
      } catch {
        doc = undefined;
      }
      if (!doc) throw new LinkError('PARAM_ERROR', 'logistics_interface must be a JSON object');
      const msgType = form.get('msg_type');
      let data: J;
      if (msgType === 'CAINIAO_GLOBAL_OPEN_DISTRIBUTION_CONSIGN') data = create(doc, channel);
      else if (msgType === 'CN_OVERSEA_LOGISTICS_INQUIRY_TRACKING') data = track(doc);
      else throw new LinkError('S03', `msg_type ${msgType ?? ''} is not subscribed`);
      return JSON.stringify({ success: 'true', errorCode: null, errorMsg: null, data });
    } catch (err) {
      if (!(err instanceof LinkError)) throw err;
      if (err.code === 'PARAM_ERROR') book.counters.validationErrors++;
      return JSON.stringify({ success: 'false', errorCode: err.code, errorMsg: err.message });
    }
  }

  const refusal = (status: 429 | 503, message: string) => ({
    contentType: 'text/plain',
    body: `${status} ${message}`,
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
        scope.post('/cainiao/gateway/link.do', async (req, reply) => {
          reply.header('content-type', 'application/json;charset=UTF-8');
          return handle(req.body, channel);
        });
      });
    },
    stats: () => book.stats(),
    async close() {
      book.clear();
    },
  };
}
