/**
 * Carrier Beta: a simulated Chinese cross-border carrier behind a TOP-style router
 * (`POST /beta/router/rest`, form-encoded system parameters, HMAC-SHA256 sorted-parameter
 * signature, XML business content and answers). Tracking is polled with `beta.trace.query`;
 * events appear as the sandbox's accelerated clock reaches them. Documented in
 * docs/partners/carrier-beta.md.
 *
 * Optional XML-DSig [003-7.2] (docs/signatures.md): once the hub's certificate is uploaded at
 * `PUT /__signing/carrier-beta` (loopback, like a partner portal), every `content` must carry an
 * enveloped signature by it, and with `signResponses` every answer is signed with the
 * carrier's own certificate (`GET /__signing/carrier-beta`). Without it nothing changes.
 */
import {
  createHash,
  createHmac,
  createPublicKey,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { containsDtd } from '../security/xml-safety.js';
import { signEnvelopedXml, verifyEnvelopedXml } from '../security/signing/xml-dsig.js';
import type { TrustedKey } from '../security/signing/types.js';
import { selfSignedIdentity, type SandboxIdentity } from './identity.js';
import {
  CHANNEL_PREFIX,
  CHANNELS,
  channelStats,
  newChannelCounters,
  type Channel,
  type ChannelStats,
} from './faults.js';
import { journeyFor, type JourneyStep } from './journey.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const ID = 'carrier-beta';
const GMT8_MS = 8 * 3600_000;
const MAX_SKEW_MS = 10 * 60_000;
const TRACE_BATCH = 50;
/** Calls per app key per second before code 7 (App Call Limited). */
const CALLS_PER_SECOND = 20_000;
const SERVICES: Readonly<Record<string, string>> = {
  BETA_STANDARD: 'LB',
  BETA_ECONOMY: 'UB',
  BETA_EXPRESS: 'EB',
};

interface BetaWaybill {
  waybillNo: string;
  outOrderNo: string;
  requestId: string;
  country: string;
  city: string;
  createdAtMs: number;
}

type BetaStats = {
  calls: number;
  shipmentsCreated: number;
  duplicateCreates: number;
  idempotentReplays: number;
  signatureFailures: number;
  validationErrors: number;
  traceQueries: number;
};

export type CarrierBetaStats = BetaStats & {
  /** The same counters per channel (`primary` at `/beta`, `standby` at `/standby/beta`). */
  channels: Record<Channel, ChannelStats>;
};

/** An `<error_response>` the router answers with HTTP 200, as TOP does. */
class RouterError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly subCode?: string,
    readonly subMsg?: string,
  ) {
    super(msg);
  }
}

/** A real HTTP failure of the carrier's gateway (sandbox fault injection). */
class GatewayFault extends Error {
  constructor(readonly status: number) {
    super(`gateway ${status}`);
  }
}

const invalid = (field: string, subMsg: string) =>
  new RouterError(40, 'Invalid arguments', `isv.invalid-parameter:${field}`, subMsg);
const missing = (field: string) =>
  new RouterError(40, 'Missing required arguments', `isv.missing-parameter:${field}`, `${field} is required`);

// ---------------------------------------------------------------------------------------------
// XML: DTDs refused, no entity expansion, every value a string. Read and written here with the
// XML library itself, not with the hub's connector code: a simulated partner that shared the
// hub's XML handling would agree with the hub's mistakes instead of catching them.

const xmlParser = new XMLParser({
  // The predefined entities, character references and the few HTML names the library knows;
  // nothing can expand, because a document with a DTD never gets this far.
  processEntities: true,
  htmlEntities: true,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (tag) => tag === 'item',
});

const xmlBuilder = new XMLBuilder({
  format: true,
  indentBy: '  ',
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  processEntities: true,
});

function buildXml(doc: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${(xmlBuilder.build(doc) as string).trimEnd()}`;
}

function parseContent(content: string): Record<string, unknown> {
  // The same rule as every XML reader of ours (security/xml-safety.ts): any DTD syntax refuses.
  if (containsDtd(content)) {
    throw invalid('content', 'DTD and entity declarations are not allowed in content');
  }
  let doc: unknown;
  try {
    doc = xmlParser.parse(content, true);
  } catch {
    throw invalid('content', 'content is not well-formed XML');
  }
  const request = asObj(asObj(doc)?.request);
  if (!request) throw invalid('content', 'content must be a <request> document');
  return request;
}

function asObj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function str(parent: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = parent?.[key];
  if (typeof v === 'string') return v === '' ? undefined : v;
  const o = asObj(v);
  return o && typeof o['#text'] === 'string' && o['#text'] !== '' ? o['#text'] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Time, waybill numbers, rendering of the journey.

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function gmt8(ms: number): string {
  const d = new Date(ms + GMT8_MS);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}
function parseGmt8(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return gmt8(ms - GMT8_MS) === value ? ms - GMT8_MS : undefined;
}

/** UPU S10 check digit over 8 serial digits: weights 8,6,4,2,3,5,9,7; 10 → 0, 11 → 5. */
export function s10CheckDigit(serial: string): number {
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  const sum = [...serial].reduce((acc, c, i) => acc + Number(c) * (weights[i] ?? 0), 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 0 : check === 11 ? 5 : check;
}

const GATEWAYS: Readonly<Record<string, [city: string, lastMile: string, keepsS10: boolean]>> = {
  US: ['Los Angeles', 'USPS', false],
  GB: ['London', 'Royal Mail', true],
  DE: ['Frankfurt', 'Deutsche Post', true],
  FR: ['Paris', 'La Poste', true],
  ES: ['Madrid', 'Correos', true],
  IT: ['Milan', 'Poste Italiane', true],
  NL: ['Amsterdam', 'PostNL', true],
  AU: ['Sydney', 'Australia Post', true],
  CA: ['Toronto', 'Canada Post', true],
  JP: ['Tokyo', 'Japan Post', true],
  BR: ['Curitiba', 'Correios', true],
};

interface Rendered {
  action: string;
  desc: string;
  city: string;
  country: string;
  reason?: string;
  nextCarrier?: string;
  nextTrackingNo?: string;
}

function render(step: JourneyStep, w: BetaWaybill): Rendered {
  const [gateway, lastMile, keepsS10] = GATEWAYS[w.country] ?? [w.city, 'Local Post', true];
  const cn = (action: string, zh: string, en: string, city = 'Shenzhen', country = 'CN'): Rendered => ({
    action,
    desc: `${zh} / ${en}`,
    city,
    country,
  });
  const dest = (action: string, zh: string, en: string, city = gateway): Rendered =>
    cn(action, zh, en, city, w.country);
  switch (step) {
    case 'label_created':
      return cn('ACCEPT', '已接单，等待揽收', 'Order accepted, awaiting pickup');
    case 'picked_up':
      return cn('GOT', '【深圳】快件已揽收', 'Parcel picked up by Beta at Shenzhen');
    case 'origin_arrived':
      return cn('ARRIVAL', '到达【深圳国际分拨中心】', 'Arrived at Shenzhen international sorting centre');
    case 'export_customs_started':
      return cn('CC_EX_START', '出口清关开始', 'Export customs clearance started');
    case 'export_customs_released':
      return cn('CC_EX_SUCCESS', '出口清关完成', 'Export customs clearance completed');
    case 'linehaul_handover':
      return cn(
        'LH_HO_IN_SUCCESS',
        '已交航空干线承运',
        'Handed over to line-haul airline',
        'Hong Kong',
        'HK',
      );
    case 'linehaul_departed':
      return cn('LH_DEPART', '航班已起飞', 'Flight departed from Hong Kong', 'Hong Kong', 'HK');
    case 'linehaul_arrived':
      return dest('LH_ARRIVE', '航班已抵达目的国', `Flight arrived at ${gateway}`);
    case 'import_customs_started':
      return dest('CC_IM_START', '进口清关开始', 'Import customs clearance started');
    case 'import_customs_held':
      return {
        ...dest('CC_IM_HOLD', '进口清关扣留，需补充资料', 'Held by import customs: documents required'),
        reason: 'DOC_REQUIRED',
      };
    case 'import_customs_released':
      return dest('CC_IM_SUCCESS', '进口清关完成', 'Import customs clearance completed');
    case 'lastmile_handover': {
      // Postal partners keep the S10 number; a private last mile issues its own (USPS: 22 digits).
      const digest = createHash('sha256').update(w.waybillNo).digest('hex');
      const nextTrackingNo = keepsS10
        ? w.waybillNo
        : `9400${[...digest.slice(0, 18)].map((c) => parseInt(c, 16) % 10).join('')}`;
      return {
        ...dest('CPS_HO', `已交末端派送商【${lastMile}】`, `Handed over to last-mile carrier ${lastMile}`),
        nextCarrier: lastMile,
        nextTrackingNo,
      };
    }
    case 'out_for_delivery':
      return dest('DELIVERING', '派送中', 'Out for delivery', w.city);
    case 'delivery_failed':
      return {
        ...dest(
          'FAILED_DELIVERY',
          '派送失败：收件人不在',
          'Delivery attempt failed: recipient not at home',
          w.city,
        ),
        reason: 'NOBODY_HOME',
      };
    case 'delivered':
      return dest('SIGNED', '已签收', 'Delivered, signed for by recipient', w.city);
  }
}

// ---------------------------------------------------------------------------------------------
// Message signatures (off unless configured).

export interface CarrierBetaSigning {
  /** The hub's certificates (PEM): `content` must be signed by one of them. */
  hubCertificates: readonly string[];
  /** Sign every answer with the carrier's own certificate. */
  signResponses?: boolean;
}

export interface CarrierBetaPartner extends SandboxPartner {
  /** Turns XML-DSig on (or off with undefined), as `PUT/DELETE /__signing/carrier-beta` do. */
  configureSigning(signing: CarrierBetaSigning | undefined): Promise<void>;
  /** The carrier's response-signing certificate (PEM), made on first use. */
  signingCertificate(): Promise<string>;
}

class SigningConfigError extends Error {}

function trustedCertificates(pems: readonly string[]): TrustedKey[] {
  if (pems.length === 0) throw new SigningConfigError('hubCertificate must name at least one certificate');
  return pems.map((pem, i) => {
    try {
      createPublicKey(pem);
    } catch {
      throw new SigningConfigError(`hubCertificate ${i + 1} is not a PEM certificate`);
    }
    return { id: `hub-${i + 1}`, pem };
  });
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

// ---------------------------------------------------------------------------------------------

export function createCarrierBeta(ctx: SandboxContext): CarrierBetaPartner {
  const creds = ctx.credentials['carrier-beta'];
  const waybills = new Map<string, BetaWaybill>();
  const byRequestId = new Map<string, BetaWaybill>();
  const byOutOrderNo = new Map<string, number>();
  /** request_ids whose injected fault already fired once. */
  const faultsFired = new Set<string>();
  let serial = randomInt(0, 100_000_000);
  let windowStart = 0;
  let windowCalls = 0;
  const counters: BetaStats = {
    calls: 0,
    shipmentsCreated: 0,
    duplicateCreates: 0,
    idempotentReplays: 0,
    signatureFailures: 0,
    validationErrors: 0,
    traceQueries: 0,
  };
  const perChannel = newChannelCounters();
  let signing: { trusted: TrustedKey[]; signResponses: boolean } | undefined;
  let identity: Promise<SandboxIdentity> | undefined;
  const ownIdentity = () =>
    (identity ??= selfSignedIdentity('CN=carrier-beta.sandbox.test,O=Carrier Beta Sandbox'));

  function nextWaybillNo(prefix: string): string {
    for (;;) {
      serial = (serial + 1) % 100_000_000;
      const digits = pad(serial, 8);
      const no = `${prefix}${digits}${s10CheckDigit(digits)}CN`;
      if (!waybills.has(no)) return no;
    }
  }

  function authenticate(params: Record<string, string>, nowMs: number): void {
    const fail = (code: number, msg: string, subMsg?: string) => {
      counters.signatureFailures++;
      return new RouterError(code, msg, subMsg ? 'isv.auth-failed' : undefined, subMsg);
    };
    if (!params.app_key) throw fail(28, 'Missing App Key');
    if (params.app_key !== creds.appKey) throw fail(29, 'Invalid App Key');
    if (!params.timestamp) throw fail(30, 'Missing Timestamp');
    const ts = parseGmt8(params.timestamp);
    if (ts === undefined)
      throw fail(31, 'Invalid Timestamp', 'timestamp must be yyyy-MM-dd HH:mm:ss in GMT+8');
    if (Math.abs(ts - nowMs) > MAX_SKEW_MS) {
      throw fail(31, 'Invalid Timestamp', 'timestamp is more than 10 minutes away from the server time');
    }
    if (!params.sign) throw fail(24, 'Missing Signature');
    if (params.sign_method !== 'hmac-sha256') {
      throw fail(25, 'Invalid Signature', 'sign_method must be hmac-sha256');
    }
    const base = Object.keys(params)
      .filter((k) => k !== 'sign')
      .sort()
      .map((k) => `${k}${params[k]}`)
      .join('');
    const expected = createHmac('sha256', creds.appSecret).update(base, 'utf8').digest('hex').toUpperCase();
    const given = Buffer.from(params.sign.toUpperCase());
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
      throw fail(25, 'Invalid Signature');
    }
  }

  function rateLimit(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second !== windowStart) {
      windowStart = second;
      windowCalls = 0;
    }
    if (++windowCalls > CALLS_PER_SECOND) {
      throw new RouterError(
        7,
        'App Call Limited',
        'accesscontrol.limited-by-app-access-count',
        'This ban will last for 1 more seconds',
      );
    }
  }

  function createWaybill(
    req: Record<string, unknown>,
    nowMs: number,
    channel: Channel,
  ): Record<string, unknown> {
    const outOrderNo = str(req, 'out_order_no');
    const requestId = str(req, 'request_id');
    if (!outOrderNo) throw missing('out_order_no');
    if (!requestId) throw missing('request_id');
    if (outOrderNo.length > 64) throw invalid('out_order_no', 'out_order_no is longer than 64 characters');
    if (requestId.length > 128) throw invalid('request_id', 'request_id is longer than 128 characters');

    const existing = byRequestId.get(requestId);
    if (existing) {
      if (existing.outOrderNo !== outOrderNo) {
        throw new RouterError(
          40,
          'Invalid arguments',
          'isv.request-id-conflict',
          `request_id was already used for out_order_no ${existing.outOrderNo}`,
        );
      }
      counters.idempotentReplays++;
      perChannel[channel].idempotentReplays++;
      return success(existing, channel);
    }

    const serviceCode = str(req, 'service_code') ?? 'BETA_STANDARD';
    const prefix = SERVICES[serviceCode];
    if (!prefix) throw invalid('service_code', `unknown service_code ${serviceCode}`);

    const receiver = asObj(req.receiver);
    if (!receiver) throw missing('receiver');
    const name = str(receiver, 'name');
    if (!name) throw missing('receiver.name');
    const mobile = str(receiver, 'mobile');
    if (!mobile) throw missing('receiver.mobile');
    if (!/^\+?\d{6,20}$/.test(mobile)) {
      throw invalid('receiver.mobile', 'receiver.mobile must be 6 to 20 digits, optionally with a leading +');
    }
    const country = str(receiver, 'country');
    if (!country) throw missing('receiver.country');
    if (!/^[A-Z]{2}$/.test(country))
      throw invalid('receiver.country', 'receiver.country must be ISO 3166-1 alpha-2');
    if (country === 'CN') throw invalid('receiver.country', 'domestic delivery is not offered on this route');
    const city = str(receiver, 'city');
    if (!city) throw missing('receiver.city');
    if (!str(receiver, 'address')) throw missing('receiver.address');

    const parcel = asObj(req.parcel);
    if (!parcel) throw missing('parcel');
    const weightNode = parcel.weight;
    const weight = Number(str(parcel, 'weight'));
    const unit = asObj(weightNode)?.['@_unit'] ?? 'g';
    if (unit !== 'g' && unit !== 'kg') throw invalid('parcel.weight', 'weight unit must be g or kg');
    const grams = unit === 'kg' ? weight * 1000 : weight;
    if (!Number.isFinite(grams) || grams <= 0 || grams > 30_000) {
      throw invalid('parcel.weight', 'parcel.weight must be between 1 g and 30 kg');
    }
    const currency = str(parcel, 'declare_currency');
    if (!currency) throw missing('parcel.declare_currency');
    if (!/^[A-Z]{3}$/.test(currency))
      throw invalid('parcel.declare_currency', 'declare_currency must be ISO 4217');
    const value = str(parcel, 'declare_value');
    if (!value) throw missing('parcel.declare_value');
    if (!/^\d{1,12}(\.\d{1,4})?$/.test(value))
      throw invalid('parcel.declare_value', 'declare_value must be a decimal');
    const items = asObj(parcel.items)?.item;
    if (!Array.isArray(items) || items.length === 0) throw missing('parcel.items.item');
    items.forEach((raw, i) => {
      const item = asObj(raw);
      const at = `parcel.items.item[${i}]`;
      if (!str(item, 'sku')) throw missing(`${at}.sku`);
      if (!str(item, 'name_en')) throw missing(`${at}.name_en`);
      if (!/^[1-9]\d{0,5}$/.test(str(item, 'qty') ?? ''))
        throw invalid(`${at}.qty`, 'qty must be a positive integer');
      if (!/^\d{1,12}(\.\d{1,4})?$/.test(str(item, 'unit_price') ?? '')) {
        throw invalid(`${at}.unit_price`, 'unit_price must be a decimal');
      }
      if (!/^\d{6}(\d{2}){0,2}$/.test(str(item, 'hs_code') ?? '')) {
        throw invalid(`${at}.hs_code`, 'hs_code must be 6, 8 or 10 digits');
      }
      if (!/^[A-Z]{2}$/.test(str(item, 'origin') ?? ''))
        throw invalid(`${at}.origin`, 'origin must be ISO 3166-1 alpha-2');
    });

    const created: BetaWaybill = {
      waybillNo: nextWaybillNo(prefix),
      outOrderNo,
      requestId,
      country,
      city,
      createdAtMs: nowMs,
    };
    waybills.set(created.waybillNo, created);
    byRequestId.set(requestId, created);
    const before = byOutOrderNo.get(outOrderNo) ?? 0;
    byOutOrderNo.set(outOrderNo, before + 1);
    counters.shipmentsCreated++;
    perChannel[channel].shipmentsCreated++;
    ctx.ledger?.record({
      carrier: 'carrier-beta',
      waybillNo: created.waybillNo,
      country,
      weightGrams: Math.round(grams),
      atMs: nowMs,
    });
    if (before > 0) {
      counters.duplicateCreates++;
      perChannel[channel].duplicateCreates++;
    }

    // Fault injection: the waybill exists but the reply is lost once (a retry must replay it).
    if (name === 'SANDBOX FAULT LOST-REPLY' && !faultsFired.has(requestId)) {
      faultsFired.add(requestId);
      throw new GatewayFault(502);
    }
    return success(created, channel);
  }

  function success(w: BetaWaybill, channel: Channel): Record<string, unknown> {
    return {
      response: {
        success: 'true',
        waybill_no: w.waybillNo,
        out_order_no: w.outOrderNo,
        label_url: `${ctx.baseUrl()}${CHANNEL_PREFIX[channel]}/beta/label/${w.waybillNo}.pdf`,
      },
    };
  }

  function queryTraces(req: Record<string, unknown>, nowMs: number): Record<string, unknown> {
    const raw = str(req, 'waybill_nos');
    if (!raw) throw missing('waybill_nos');
    const nos = [
      ...new Set(
        raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      ),
    ];
    if (nos.length > TRACE_BATCH)
      throw invalid('waybill_nos', `at most ${TRACE_BATCH} waybill numbers per query`);
    counters.traceQueries++;
    const traces = nos.flatMap((no) => {
      const w = waybills.get(no);
      if (!w) return [];
      const due = journeyFor(no, w.createdAtMs, ctx.stepMs).filter((e) => e.atMs <= nowMs);
      return [
        {
          waybill_no: no,
          events: {
            event: due.map((e) => {
              const r = render(e.step, w);
              return {
                action: r.action,
                desc: r.desc,
                time: gmt8(e.atMs),
                city: r.city,
                country: r.country,
                reason: r.reason ?? '',
                ...(r.nextCarrier ? { next_carrier: r.nextCarrier, next_tracking_no: r.nextTrackingNo } : {}),
              };
            }),
          },
        },
      ];
    });
    return { response: { success: 'true', traces: { trace: traces } } };
  }

  async function handle(body: unknown, reply: FastifyReply, channel: Channel): Promise<string> {
    const nowMs = Date.now();
    const requestId = randomBytes(6).toString('hex');
    reply.header('content-type', 'application/xml; charset=utf-8');
    try {
      if (typeof body !== 'string')
        throw new RouterError(43, 'Parameter Error', undefined, 'form body expected');
      const form = new URLSearchParams(body);
      const params: Record<string, string> = {};
      for (const [k, v] of form) {
        if (Object.hasOwn(params, k)) throw invalid(k, `${k} is given more than once`);
        params[k] = v;
      }
      authenticate(params, nowMs);
      rateLimit(nowMs);
      if (!params.method) throw new RouterError(21, 'Missing Method');
      if (params.v !== '2.0') throw new RouterError(33, 'Invalid Version', undefined, 'v must be 2.0');
      if ((params.format ?? 'xml') !== 'xml')
        throw new RouterError(23, 'Invalid Format', undefined, 'format must be xml');
      if (params.method !== 'beta.waybill.create' && params.method !== 'beta.trace.query') {
        throw new RouterError(22, 'Invalid Method');
      }
      if (!params.content) throw missing('content');
      const content = parseContent(
        signing ? verifiedContent(params.content, signing.trusted) : params.content,
      );
      if (params.method === 'beta.waybill.create') {
        const rid = str(content, 'request_id');
        const name = str(asObj(content.receiver), 'name');
        if (rid && name === 'SANDBOX FAULT 503' && !faultsFired.has(rid)) {
          faultsFired.add(rid);
          throw new GatewayFault(503);
        }
        return await answer(buildXml(createWaybill(content, nowMs, channel)));
      }
      return await answer(buildXml(queryTraces(content, nowMs)));
    } catch (err) {
      if (err instanceof GatewayFault) {
        reply.code(err.status).header('content-type', 'text/html; charset=utf-8');
        return `<html><body><h1>${err.status} ${err.status === 503 ? 'Service Unavailable' : 'Bad Gateway'}</h1></body></html>`;
      }
      if (!(err instanceof RouterError)) throw err;
      if (err.code === 40) counters.validationErrors++;
      const e: Record<string, unknown> = { code: String(err.code), msg: err.msg };
      if (err.subCode) e.sub_code = err.subCode;
      if (err.subMsg) e.sub_msg = err.subMsg;
      e.request_id = requestId;
      return answer(buildXml({ error_response: e }));
    }
  }

  /** The XML that was signed, or a TOP error: unsigned, tampered, or signed by another key. */
  function verifiedContent(raw: string, trusted: TrustedKey[]): string {
    const v = verifyEnvelopedXml(raw, trusted);
    if (v.ok) return String(v.content);
    if (v.code === 'xml_unsafe')
      throw invalid('content', 'DTD and entity declarations are not allowed in content');
    if (v.code === 'xml_malformed') throw invalid('content', 'content is not well-formed XML');
    counters.signatureFailures++;
    throw new RouterError(
      25,
      'Invalid Signature',
      v.code === 'signature_missing' ? 'isv.content-signature-missing' : 'isv.content-signature-invalid',
      `content must carry an XML-DSig signature by the registered certificate (${v.code})`,
    );
  }

  async function answer(xml: string): Promise<string> {
    if (!signing?.signResponses) return xml;
    const me = await ownIdentity();
    return signEnvelopedXml(xml, me.privateKey, me.certPem);
  }

  async function configureSigning(next: CarrierBetaSigning | undefined): Promise<void> {
    if (!next) {
      signing = undefined;
      return;
    }
    const trusted = trustedCertificates(next.hubCertificates);
    if (next.signResponses) await ownIdentity();
    signing = { trusted, signResponses: next.signResponses === true };
  }

  /** The partner portal for certificates: loopback only, like `/__credentials`. */
  function mountSigningPortal(app: FastifyInstance): void {
    void app.register(async (portal) => {
      portal.addHook('onRequest', async (req, reply) => {
        if (!isLoopback(req.ip)) {
          await reply.code(403).send({ error: 'the signing portal is served on loopback only' });
        }
      });
      portal.get('/__signing/carrier-beta', async () => ({
        certificate: (await ownIdentity()).certPem,
        verifiesRequests: signing !== undefined,
        signsResponses: signing?.signResponses === true,
      }));
      portal.put<{ Body: { hubCertificate?: unknown; signResponses?: unknown } }>(
        '/__signing/carrier-beta',
        async (req, reply) => {
          const raw = req.body?.hubCertificate;
          const pems = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : undefined;
          if (!pems || !pems.every((p): p is string => typeof p === 'string')) {
            return reply
              .code(400)
              .send({ error: 'hubCertificate must be a PEM certificate or a list of them' });
          }
          try {
            await configureSigning({
              hubCertificates: pems,
              signResponses: req.body?.signResponses === true,
            });
          } catch (err) {
            if (err instanceof SigningConfigError) return reply.code(400).send({ error: err.message });
            throw err;
          }
          return { verifiesRequests: true, signsResponses: signing?.signResponses === true };
        },
      );
      portal.delete('/__signing/carrier-beta', async () => {
        await configureSigning(undefined);
        return { verifiesRequests: false, signsResponses: false };
      });
    });
  }

  /** Beta's HTTP gateway refusing a call (fault injection): a bare HTML page, as its LB does. */
  const refusal = (status: 429 | 503, message: string) => ({
    contentType: 'text/html; charset=utf-8',
    body: `<html><body><h1>${status} ${status === 429 ? 'Too Many Requests' : 'Service Unavailable'}</h1><p>${message}</p></body></html>`,
  });

  /** The API of one channel; both channels share waybills and request_id records. */
  function mount(scope: FastifyInstance, channel: Channel): void {
    scope.addHook('onRequest', async () => {
      counters.calls++;
      perChannel[channel].calls++;
    });
    ctx.faults?.install(scope, ID, channel, refusal);
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, body, done) => done(null, body),
    );
    scope.post('/beta/router/rest', (req, reply) => handle(req.body, reply, channel));
    scope.get<{ Params: { file: string } }>('/beta/label/:file', async (req, reply) => {
      const no = req.params.file.replace(/\.pdf$/, '');
      const w = waybills.get(no);
      if (!w) return reply.code(404).type('text/plain').send('label not found');
      const pdf =
        `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n` +
        `2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% Beta label ${w.waybillNo} ${w.country}\ntrailer<</Root 1 0 R>>\n%%EOF\n`;
      return reply.type('application/pdf').send(pdf);
    });
  }

  return {
    id: ID,
    register(app: FastifyInstance) {
      mountSigningPortal(app);
      for (const channel of CHANNELS) {
        void app.register(async (scope) => mount(scope, channel), { prefix: CHANNEL_PREFIX[channel] });
      }
    },
    stats: (): CarrierBetaStats => ({ ...counters, channels: channelStats(ID, perChannel, ctx.faults) }),
    configureSigning,
    signingCertificate: async () => (await ownIdentity()).certPem,
    async close() {
      waybills.clear();
      byRequestId.clear();
      byOutOrderNo.clear();
      faultsFired.clear();
      signing = undefined;
    },
  };
}
