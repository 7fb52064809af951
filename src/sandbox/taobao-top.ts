/**
 * Taobao / Tmall Open Platform (TOP), simulated under `/taobao/router/rest`: one POST of form
 * parameters per call, the common ones (`method`, `app_key`, `session`, `timestamp` in Beijing
 * time, `format`, `v`, `sign_method`) checked, and `sign` verified in the method named — `md5`
 * (MD5 of secret + sorted name/value pairs + secret), `hmac` (HMAC-MD5) or `hmac-sha256` — as
 * uppercase hex. Answers are `{"<api>_response": …}` or, with HTTP 200 as TOP does,
 * `{"error_response": {code, msg, sub_code, sub_msg}}`: 25 invalid signature, 27 invalid
 * session, 29 invalid app key, 7 "App Call Limited" with the ban's length in sub_msg, 15 with an
 * `isv.` sub_code for a business refusal.
 *
 * The seller's paid trades are served by `taobao.trades.sold.increment.get` (a modified-time
 * window of at most a day, `page_no` paging, `has_next`), and shipped by
 * `taobao.logistics.offline.send` (the seller's own carrier and waybill; a trade ships once).
 * Trade ids are above 2^53 (`tid` a bare number, `tid_str` its text). Written from TOP's public
 * documentation, apart from the connector.
 */
import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { LosslessNumber, stringify } from 'lossless-json';
import { generateOrder } from './shop-data.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const ID = 'taobao-top';
const SHIPPABLE = 'WAIT_SELLER_SEND_GOODS';
const SHIPPED = 'WAIT_BUYER_CONFIRM_GOODS';
const MAX_WINDOW_MS = 24 * 3600_000;
const TIMESTAMP_SKEW_MS = 10 * 60_000;
/** Calls a second before "App Call Limited" (the sandbox's own quota, beside the fault knobs). */
const CALLS_PER_SECOND = 2_000;

interface Trade {
  tid: string;
  status: string;
  modifiedMs: number;
  body: Record<string, unknown>;
  shipping?: { outSid: string; companyCode: string };
}

export interface TopPartner extends SandboxPartner {
  /** Buyers pay for `count` trades now; returns their tids (exact digits). */
  sell(count: number): { externalIds: string[] };
  shippingOf(tid: string): { outSid: string; companyCode: string } | undefined;
}

/** Beijing wall-clock time as TOP writes it. */
function topTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}
function parseTopTime(t: string | undefined): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(t ?? '');
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}+08:00`);
  return Number.isFinite(ms) ? ms : undefined;
}

function expectedSign(params: Record<string, string>, secret: string, method: string): string | undefined {
  const joined = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort()
    .map((k) => k + params[k])
    .join('');
  if (method === 'md5')
    return createHash('md5')
      .update(secret + joined + secret, 'utf8')
      .digest('hex')
      .toUpperCase();
  if (method === 'hmac') return createHmac('md5', secret).update(joined, 'utf8').digest('hex').toUpperCase();
  if (method === 'hmac-sha256')
    return createHmac('sha256', secret).update(joined, 'utf8').digest('hex').toUpperCase();
  return undefined;
}

class TopError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly subCode?: string,
    readonly subMsg?: string,
  ) {
    super(msg);
  }
}

export function createTaobaoTop(ctx: SandboxContext): TopPartner {
  const base = 2n ** 53n * 400n + BigInt(randomInt(1, 1_000_000)) * 10_000n;
  const runId = ctx.orderSeed !== undefined ? `${ctx.orderSeed}-top` : `top${randomInt(1, 1_000_000)}`;
  const trades = new Map<string, Trade>();
  let seq = 0;
  let windowStart = 0;
  let windowCalls = 0;
  const counters = {
    calls: 0,
    tradesSold: 0,
    pageQueries: 0,
    tradesServed: 0,
    shipped: 0,
    duplicateShipments: 0,
    signatureFailures: 0,
    authFailures: 0,
    rateLimited: 0,
  };
  const creds = () => ctx.credentials[ID];

  function sell(): Trade {
    const n = seq++;
    const tid = String(base + BigInt(n) * 10n);
    const now = Date.now();
    const g = generateOrder({ id: 1, runId, index: n, createdAtMs: now });
    const a = g.shipping_address;
    const body = {
      tid: new LosslessNumber(tid),
      tid_str: tid,
      status: SHIPPABLE,
      created: topTime(now),
      modified: topTime(now),
      receiver_name: a.name,
      receiver_mobile: a.phone ?? '',
      receiver_state: a.province ?? '',
      receiver_city: a.city,
      receiver_district: a.address2 ?? '',
      receiver_address: a.address1,
      receiver_zip: a.zip,
      receiver_country: a.country_code,
      orders: {
        order: g.line_items.map((li, i) => ({
          oid: new LosslessNumber(String(BigInt(tid) + BigInt(i) + 1n)),
          outer_sku_id: li.sku,
          outer_iid: li.sku.split('-').slice(0, 3).join('-'),
          title: li.variant_title ? `${li.title} ${li.variant_title}` : li.title,
          num: li.quantity,
          price: li.price,
        })),
      },
    };
    const trade: Trade = { tid, status: SHIPPABLE, modifiedMs: now, body };
    trades.set(tid, trade);
    counters.tradesSold++;
    return trade;
  }

  function checkCommon(p: Record<string, string>): void {
    if (!p.app_key) throw new TopError(28, 'Missing app key');
    if (p.app_key !== creds().appKey) {
      counters.authFailures++;
      throw new TopError(29, 'Invalid app Key', 'isv.appkey-not-exists');
    }
    const expected = expectedSign(p, creds().appSecret, p.sign_method ?? 'md5');
    if (!expected) throw new TopError(41, 'Invalid arguments:sign_method');
    const given = Buffer.from(p.sign ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
      counters.signatureFailures++;
      throw new TopError(25, 'Invalid signature');
    }
    const at = parseTopTime(p.timestamp);
    if (at === undefined || Math.abs(at - Date.now()) > TIMESTAMP_SKEW_MS)
      throw new TopError(43, 'Invalid timestamp', 'isv.invalid-parameter:timestamp');
    if (!p.session) throw new TopError(26, 'Missing session');
    const s = Buffer.from(p.session);
    const want = Buffer.from(creds().session);
    if (s.length !== want.length || !timingSafeEqual(s, want)) {
      counters.authFailures++;
      throw new TopError(27, 'Invalid session', 'invalid-sessionkey');
    }
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      windowCalls = 0;
    }
    if (++windowCalls > CALLS_PER_SECOND) {
      counters.rateLimited++;
      throw new TopError(
        7,
        'App Call Limited',
        'accesscontrol.limited-by-app-access-count',
        'This ban will last for 1 more seconds',
      );
    }
  }

  function soldIncrement(p: Record<string, string>) {
    const from = parseTopTime(p.start_modified);
    const to = parseTopTime(p.end_modified);
    if (from === undefined || to === undefined)
      throw new TopError(40, 'Missing required arguments:start_modified,end_modified');
    if (to < from || to - from > MAX_WINDOW_MS)
      throw new TopError(
        41,
        'Invalid arguments:end_modified',
        'isv.invalid-parameter',
        '时间跨度不能超过一天',
      );
    const page = Number(p.page_no ?? '1');
    const size = Number(p.page_size ?? '40');
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1 || size > 100)
      throw new TopError(41, 'Invalid arguments:page_no,page_size');
    counters.pageQueries++;
    // Second-granular bounds, both inclusive, as TOP reads them.
    const lo = Math.floor(from / 1000) * 1000;
    const hi = Math.floor(to / 1000) * 1000 + 999;
    const matching = [...trades.values()]
      .filter((t) => t.modifiedMs >= lo && t.modifiedMs <= hi && (!p.status || t.status === p.status))
      .sort((a, b) => a.modifiedMs - b.modifiedMs || (a.tid < b.tid ? -1 : 1));
    const slice = matching.slice((page - 1) * size, page * size);
    counters.tradesServed += slice.length;
    return {
      trades_sold_increment_get_response: {
        ...(p.use_has_next === 'true' ? {} : { total_results: matching.length }),
        has_next: page * size < matching.length,
        ...(slice.length > 0
          ? { trades: { trade: slice.map((t) => ({ ...t.body, status: t.status })) } }
          : {}),
        request_id: randomInt(1, 2 ** 47).toString(36),
      },
    };
  }

  function offlineSend(p: Record<string, string>) {
    if (!p.tid || !p.out_sid || !p.company_code)
      throw new TopError(40, 'Missing required arguments:tid,out_sid,company_code');
    const trade = trades.get(p.tid);
    if (!trade)
      throw new TopError(15, 'Remote service error', 'isv.logistics-offline-service-error:B04', '交易不存在');
    if (trade.status !== SHIPPABLE) {
      counters.duplicateShipments++;
      throw new TopError(
        15,
        'Remote service error',
        'isv.logistics-offline-service-error:B27',
        '交易状态不允许发货 (already shipped)',
      );
    }
    trade.status = SHIPPED;
    trade.modifiedMs = Date.now();
    trade.shipping = { outSid: p.out_sid, companyCode: p.company_code };
    counters.shipped++;
    return { logistics_offline_send_response: { shipping: { is_success: true } } };
  }

  const send = (reply: FastifyReply, value: unknown) =>
    reply
      .code(200)
      .header('content-type', 'application/json;charset=UTF-8')
      .send(stringify(value) ?? '{}');

  return {
    id: ID,
    register(app: FastifyInstance) {
      void app.register(async (scope) => {
        scope.addContentTypeParser(
          'application/x-www-form-urlencoded',
          { parseAs: 'string' },
          (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
        );
        scope.addHook('onRequest', async () => {
          counters.calls++;
        });
        ctx.faults?.install(scope, ID, 'primary', (status, message) => ({
          contentType: 'application/json',
          body: JSON.stringify({
            error_response:
              status === 429
                ? {
                    code: 7,
                    msg: 'App Call Limited',
                    sub_code: 'accesscontrol.limited-by-app-access-count',
                    sub_msg: 'This ban will last for 1 more seconds',
                  }
                : {
                    code: 10,
                    msg: 'Service currently unavailable',
                    sub_code: 'isp.service-unavailable',
                    sub_msg: message,
                  },
          }),
        }));
        scope.post('/taobao/router/rest', async (req, reply) => {
          const p = {
            ...((req.body as Record<string, string> | undefined) ?? {}),
            ...(req.query as Record<string, string>),
          };
          try {
            checkCommon(p);
            if (p.method === 'taobao.trades.sold.increment.get') return send(reply, soldIncrement(p));
            if (p.method === 'taobao.logistics.offline.send') return send(reply, offlineSend(p));
            throw new TopError(22, 'Invalid method');
          } catch (err) {
            if (!(err instanceof TopError)) throw err;
            return send(reply, {
              error_response: {
                code: err.code,
                msg: err.msg,
                ...(err.subCode ? { sub_code: err.subCode } : {}),
                ...(err.subMsg ? { sub_msg: err.subMsg } : {}),
                request_id: randomInt(1, 2 ** 47).toString(36),
              },
            });
          }
        });
      });
    },
    sell(count) {
      if (!Number.isInteger(count) || count < 1 || count > 100_000)
        throw new RangeError('count must be an integer between 1 and 100000');
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(sell().tid);
      return { externalIds: ids };
    },
    shippingOf: (tid) => trades.get(tid)?.shipping,
    stats: () => ({ ...counters }),
    async close() {},
  };
}
