/**
 * The sandbox overseas warehouse ("OWH"): a WMS with stock per item, inbound receipts (ASN),
 * outbound orders that allocate stock and, when shipped, take it off the shelf with a last-mile
 * waybill, and returns receiving with an inspection grade. It speaks its own dialect (snake_case
 * JSON in a `{success, data, error}` envelope) and signs both ways: calls to it carry an
 * app-key HMAC over the canonical request; its stock events are pushed to subscribers with an
 * HMAC over `timestamp.body`, at least once, retried until acknowledged (in no particular order).
 *
 * Every stock mutation and every inventory read takes a strictly increasing time on the
 * warehouse's clock, so an event is in a count exactly when its time is not after the count's.
 * Written from the dialect's description (docs/partners/sandbox-warehouse.md), not from the
 * hub's connector.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Agent } from 'undici';
import { deliverOnce } from './deliver.js';
import { CHANNEL_PREFIX, CHANNELS, channelStats, type Channel, type ChannelCounters } from './faults.js';
import type { SandboxContext, SandboxPartner } from './types.js';
import { bootTag } from './boot-tag.js';
import { createReturnsDesk, type AnnouncedReturn } from './warehouse-returns.js';

const ID = 'sandbox-warehouse';
const API = '/owh/api/v2';
const CLOCK_SKEW_S = 300;
const BACKOFF_START_MS = 200;
const BACKOFF_CAP_MS = 2_000;
const GIVE_UP_AFTER_MS = 10 * 60_000;
/** Where the warehouse's parcels leave from (its returns dock is on the same site). */
const SITE = { city: 'Carson', country: 'US' };
/** The carrier the warehouse books its last mile with, under its own account. */
const LAST_MILE_CARRIER = 'carrier-alpha';

export type OwhEventType =
  'STOCK_RECEIVED' | 'STOCK_SHIPPED' | 'STOCK_ADJUSTED' | 'STOCK_DAMAGED' | 'RETURN_RECEIVED';
export type ReturnGrade = 'RESELLABLE' | 'DAMAGED' | 'MISSING';

interface Item {
  physical: number;
  locked: number;
}

interface OutboundOrder {
  obNo: string;
  clientRef: string;
  items: Array<{ item_code: string; qty: number }>;
  status: 'CREATED' | 'SHIPPED' | 'CANCELLED';
  shipTo: { name: string; city: string; country: string; postcode?: string };
  waybill?: string;
  carrier?: string;
}

interface Asn {
  asnNo: string;
  asnRef: string;
  expected: Map<string, number>;
  received: Map<string, number>;
}

interface Pending {
  body: string;
  eventId: string;
  firstAtMs: number;
  attempt: number;
}

export interface WarehousePartner extends SandboxPartner {
  /** Puts stock on the shelf without an event (the state the warehouse starts in). */
  seed(stock: Record<string, number>): void;
  /** Per item: physical, locked (allocated to open outbound orders) and available. */
  stock(): Record<string, { physical: number; locked: number; available: number }>;
  /** Ships open outbound orders (all, or the one of `clientRef`): stock leaves, events pushed. */
  ship(clientRef?: string): Array<{ clientRef: string; waybill: string; carrier: string }>;
  /** Receives quantities against an ASN (by the hub's reference), pushing STOCK_RECEIVED events. */
  receive(asnRef: string, lines: Record<string, number>): void;
  /** A cycle-count adjustment (signed) or damage found on the shelf (positive quantity lost). */
  adjust(itemCode: string, qtyChange: number, type?: 'STOCK_ADJUSTED' | 'STOCK_DAMAGED'): void;
  /** Receives a return: resellable units go back on the shelf; the event carries the grade. */
  receiveReturn(rmaRef: string, itemCode: string, qty: number, grade: ReturnGrade): void;
  /** Events not yet acknowledged by every subscriber. */
  undelivered(): number;
  /** The returns announced to the returns desk, with their status (expected, cancelled, received). */
  returns(): AnnouncedReturn[];
  /** The dock took the parcel of `rmaRef` in, its grading (and event) still to come: a slow WMS. */
  dockReturn(rmaRef: string): void;
}

export function createWarehouse(ctx: SandboxContext): WarehousePartner {
  const creds = ctx.credentials[ID];
  const items = new Map<string, Item>();
  const outbound = new Map<string, OutboundOrder>();
  const asns = new Map<string, Asn>();
  const subscribers = new Set<string>();
  const queue: Array<Pending & { url: string; nextAtMs: number }> = [];
  const agent = new Agent({ connections: 8, keepAliveTimeout: 4_000 });
  const returnsDesk = createReturnsDesk();
  const perChannel = Object.fromEntries(
    CHANNELS.map((c) => [c, { calls: 0, shipmentsCreated: 0, duplicateCreates: 0, idempotentReplays: 0 }]),
  ) as Record<Channel, ChannelCounters>;
  const counters = { eventsPushed: 0, eventsDelivered: 0, deliveryFailures: 0, pulls: 0 };
  let lastTick = 0;
  let seq = 0;
  // Event, outbound and ASN numbers unique across restarts: the hub drops a repeated event id.
  const boot = bootTag();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  /** The warehouse clock: strictly increasing milliseconds. */
  const tick = () => (lastTick = Math.max(Date.now(), lastTick + 1));
  const item = (code: string): Item => {
    let it = items.get(code);
    if (!it) items.set(code, (it = { physical: 0, locked: 0 }));
    return it;
  };

  function emit(type: OwhEventType, itemCode: string, qtyChange: number, refNo: string, extra = {}) {
    const event = {
      event_id: `EV${boot}${String(++seq).padStart(8, '0')}`,
      event_type: type,
      occurred_at: new Date(tick()).toISOString(),
      item_code: itemCode,
      qty_change: qtyChange,
      ref_no: refNo,
      ...extra,
    };
    const body = JSON.stringify(event);
    counters.eventsPushed++;
    for (const url of subscribers) {
      queue.push({
        url,
        body,
        eventId: event.event_id,
        firstAtMs: Date.now(),
        attempt: 0,
        nextAtMs: Date.now(),
      });
    }
    schedule(0);
  }

  function schedule(ms: number) {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
  }

  async function flush() {
    const now = Date.now();
    const due = queue.filter((p) => p.nextAtMs <= now);
    await Promise.all(
      due.map(async (p) => {
        const ts = String(Math.floor(Date.now() / 1000));
        const sign = createHmac('sha256', creds.pushSecret).update(`${ts}.${p.body}`).digest('hex');
        p.attempt++;
        const ok = await deliverOnce(
          agent,
          p.url,
          {
            'content-type': 'application/json',
            'x-owh-event-id': p.eventId,
            'x-owh-timestamp': ts,
            'x-owh-sign': sign,
          },
          p.body,
          10_000,
        );
        const i = queue.indexOf(p);
        if (ok || Date.now() - p.firstAtMs > GIVE_UP_AFTER_MS) {
          if (ok) counters.eventsDelivered++;
          if (i >= 0) queue.splice(i, 1);
        } else {
          counters.deliveryFailures++;
          p.nextAtMs = Date.now() + Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** (p.attempt - 1));
        }
      }),
    );
    if (queue.length > 0 && !closed) {
      const next = Math.min(...queue.map((p) => p.nextAtMs));
      schedule(Math.max(0, next - Date.now()));
    }
  }

  const outboundView = (o: OutboundOrder) => ({
    ob_no: o.obNo,
    ob_status: o.status,
    ...(o.waybill ? { tracking_no: o.waybill, last_mile_carrier: o.carrier } : {}),
  });

  const ok = (reply: FastifyReply, data: unknown, status = 200) =>
    reply.code(status).send({ success: true, data, error: null });
  const fail = (reply: FastifyReply, status: number, code: string, msg: string) =>
    reply.code(status).send({ success: false, data: null, error: { code, msg } });

  /** Checks the app-key signature over `appKey\ntimestamp\nnonce\nMETHOD\npath?query\nsha256(body)`. */
  function authorized(req: FastifyRequest, reply: FastifyReply): boolean {
    const h = (n: string) => {
      const v = req.headers[n];
      return typeof v === 'string' ? v : undefined;
    };
    const appKey = h('x-owh-app-key');
    const ts = h('x-owh-timestamp');
    const nonce = h('x-owh-nonce');
    const sign = h('x-owh-sign');
    if (appKey !== creds.appKey || !ts || !nonce || !sign || !/^[0-9A-F]{64}$/.test(sign)) {
      fail(reply, 401, 'OWH-1001', 'app key or signature missing');
      return false;
    }
    if (!/^\d{1,12}$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > CLOCK_SKEW_S) {
      fail(reply, 401, 'OWH-1002', 'timestamp outside the allowed window');
      return false;
    }
    const raw =
      typeof req.body === 'string' ? req.body : req.body === undefined ? '' : JSON.stringify(req.body);
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    const canonical = [
      appKey,
      ts,
      nonce,
      req.method.toUpperCase(),
      req.url.replace(/^\/standby/, ''),
      bodyHash,
    ].join('\n');
    const expected = createHmac('sha256', creds.appSecret).update(canonical).digest();
    const given = Buffer.from(sign, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      fail(reply, 401, 'OWH-1003', 'signature mismatch');
      return false;
    }
    return true;
  }

  function mount(scope: FastifyInstance, channel: Channel): void {
    scope.addHook('onRequest', async () => {
      perChannel[channel].calls++;
    });
    ctx.faults?.install(scope, ID, channel, (status, message) => ({
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({
        success: false,
        data: null,
        error: { code: status === 429 ? 'OWH-4290' : 'OWH-5030', msg: message },
      }),
    }));
    // Signatures are over the exact body text: keep it as received.
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        JSON.parse(body as string);
        done(null, body);
      } catch {
        done(Object.assign(new Error('bad json'), { statusCode: 400 }), undefined);
      }
    });
    const json = <T>(req: FastifyRequest): T => JSON.parse(req.body as string) as T;

    scope.get<{ Querystring: { page_no?: string; page_size?: string } }>(
      `${API}/inventory`,
      async (req, reply) => {
        if (!authorized(req, reply)) return reply;
        counters.pulls++;
        const pageNo = Math.max(1, Number(req.query.page_no ?? 1) | 0);
        const size = Math.min(500, Math.max(1, Number(req.query.page_size ?? 100) | 0));
        const codes = [...items.keys()].sort();
        const rows = codes.slice((pageNo - 1) * size, pageNo * size).map((code) => {
          const it = item(code);
          const inbound = [...asns.values()].reduce(
            (n, a) => n + Math.max(0, (a.expected.get(code) ?? 0) - (a.received.get(code) ?? 0)),
            0,
          );
          return { item_code: code, qty_physical: it.physical, qty_locked: it.locked, qty_inbound: inbound };
        });
        return ok(reply, {
          snapshot_at: new Date(tick()).toISOString(),
          page_no: pageNo,
          total_pages: Math.max(1, Math.ceil(codes.length / size)),
          rows,
        });
      },
    );

    scope.post(`${API}/outbound/orders`, async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      const b = json<{ client_ref?: unknown; items?: unknown; ship_to?: unknown }>(req);
      if (typeof b.client_ref !== 'string' || !Array.isArray(b.items) || b.items.length === 0 || !b.ship_to) {
        return fail(reply, 400, 'OWH-2000', 'client_ref, ship_to and items[] are required');
      }
      const prior = [...outbound.values()].find((o) => o.clientRef === b.client_ref);
      if (prior) {
        perChannel[channel].idempotentReplays++;
        return ok(reply, outboundView(prior));
      }
      const lines: Array<{ item_code: string; qty: number }> = [];
      for (const l of b.items as Array<{ item_code?: unknown; qty?: unknown }>) {
        if (typeof l.item_code !== 'string' || !Number.isInteger(l.qty) || (l.qty as number) < 1) {
          return fail(reply, 400, 'OWH-2000', 'each item needs item_code and a positive integer qty');
        }
        lines.push({ item_code: l.item_code, qty: l.qty as number });
      }
      // Allocation only: stock leaves the shelf when the order ships. An order for more than is
      // free is accepted as a backorder (allocated beyond what is there), as WMSs do.
      for (const l of lines) item(l.item_code).locked += l.qty;
      const obNo = `OB${boot}${String(outbound.size + 1).padStart(7, '0')}`;
      const to = b.ship_to as Record<string, unknown>;
      const text = (v: unknown) => (typeof v === 'string' ? v : '');
      const shipTo = {
        name: text(to.name),
        city: text(to.city),
        country: text(to.country),
        ...(text(to.postcode) ? { postcode: text(to.postcode) } : {}),
      };
      outbound.set(obNo, { obNo, clientRef: b.client_ref, items: lines, status: 'CREATED', shipTo });
      perChannel[channel].shipmentsCreated++;
      tick();
      return ok(reply, { ob_no: obNo, ob_status: 'CREATED' }, 201);
    });

    scope.get<{ Querystring: { client_ref?: string } }>(`${API}/outbound/orders`, async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      const ref = req.query.client_ref;
      if (typeof ref !== 'string' || ref.length === 0) {
        return fail(reply, 400, 'OWH-2000', 'client_ref is required');
      }
      const o = [...outbound.values()].find((x) => x.clientRef === ref);
      if (!o) return fail(reply, 404, 'OWH-4040', `no outbound order for client_ref ${ref}`);
      return ok(reply, outboundView(o));
    });

    scope.post(`${API}/inbound/asn`, async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      const b = json<{ asn_ref?: unknown; items?: unknown }>(req);
      if (typeof b.asn_ref !== 'string' || !Array.isArray(b.items) || b.items.length === 0) {
        return fail(reply, 400, 'OWH-2000', 'asn_ref and items[] are required');
      }
      const prior = [...asns.values()].find((a) => a.asnRef === b.asn_ref);
      if (prior) return ok(reply, { asn_no: prior.asnNo, asn_status: 'CREATED' });
      const expected = new Map<string, number>();
      for (const l of b.items as Array<{ item_code?: unknown; qty_expected?: unknown }>) {
        if (
          typeof l.item_code !== 'string' ||
          !Number.isInteger(l.qty_expected) ||
          (l.qty_expected as number) < 1
        ) {
          return fail(
            reply,
            400,
            'OWH-2000',
            'each item needs item_code and a positive integer qty_expected',
          );
        }
        expected.set(l.item_code, (expected.get(l.item_code) ?? 0) + (l.qty_expected as number));
      }
      const asnNo = `ASN${boot}${String(asns.size + 1).padStart(6, '0')}`;
      asns.set(asnNo, { asnNo, asnRef: b.asn_ref, expected, received: new Map() });
      return ok(reply, { asn_no: asnNo, asn_status: 'CREATED' }, 201);
    });

    returnsDesk.mount(scope, API, { authorized, ok, fail });

    scope.post(`${API}/notify/subscribe`, async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      const b = json<{ callback_url?: unknown }>(req);
      if (typeof b.callback_url !== 'string' || !/^https?:\/\//.test(b.callback_url)) {
        return fail(reply, 400, 'OWH-2000', 'callback_url must be an http(s) URL');
      }
      subscribers.add(b.callback_url);
      return ok(reply, { subscribed: true });
    });
  }

  return {
    id: ID,
    register(app) {
      for (const channel of CHANNELS) {
        void app.register(async (scope) => mount(scope, channel), { prefix: CHANNEL_PREFIX[channel] });
      }
    },
    seed(stock) {
      for (const [code, qty] of Object.entries(stock)) item(code).physical += qty;
      tick();
    },
    stock() {
      return Object.fromEntries(
        [...items].map(([code, it]) => [
          code,
          { physical: it.physical, locked: it.locked, available: it.physical - it.locked },
        ]),
      );
    },
    ship(clientRef) {
      const shipped: Array<{ clientRef: string; waybill: string; carrier: string }> = [];
      for (const o of outbound.values()) {
        if (o.status !== 'CREATED' || (clientRef !== undefined && o.clientRef !== clientRef)) continue;
        o.status = 'SHIPPED';
        // The carrier issues the waybill and tracks the parcel; a warehouse mounted without
        // carriers (a unit test of its own) numbers it itself.
        o.waybill =
          ctx.lastMile?.book(LAST_MILE_CARRIER, { reference: o.obNo, from: SITE, to: o.shipTo }) ??
          `LM${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
        o.carrier = LAST_MILE_CARRIER;
        for (const l of o.items) {
          const it = item(l.item_code);
          it.physical -= l.qty;
          it.locked -= l.qty;
          emit('STOCK_SHIPPED', l.item_code, -l.qty, o.clientRef, {
            ob_no: o.obNo,
            tracking_no: o.waybill,
            last_mile_carrier: o.carrier,
          });
        }
        shipped.push({ clientRef: o.clientRef, waybill: o.waybill, carrier: o.carrier });
      }
      return shipped;
    },
    receive(asnRef, lines) {
      const asn = [...asns.values()].find((a) => a.asnRef === asnRef);
      if (!asn) throw new RangeError(`no ASN ${asnRef}`);
      for (const [code, qty] of Object.entries(lines)) {
        asn.received.set(code, (asn.received.get(code) ?? 0) + qty);
        item(code).physical += qty;
        emit('STOCK_RECEIVED', code, qty, asnRef, { asn_no: asn.asnNo });
      }
    },
    adjust(itemCode, qtyChange, type = 'STOCK_ADJUSTED') {
      const change = type === 'STOCK_DAMAGED' ? -Math.abs(qtyChange) : qtyChange;
      item(itemCode).physical += change;
      emit(type, itemCode, change, `ADJ-${seq + 1}`);
    },
    receiveReturn(rmaRef, itemCode, qty, grade) {
      returnsDesk.received(rmaRef);
      const back = grade === 'RESELLABLE' ? qty : 0;
      item(itemCode).physical += back;
      emit('RETURN_RECEIVED', itemCode, back, rmaRef, { grade, qty_returned: grade === 'MISSING' ? 0 : qty });
    },
    undelivered: () => queue.length,
    returns: () => returnsDesk.announced(),
    dockReturn: (rmaRef) => returnsDesk.received(rmaRef),
    stats: () => ({ ...counters, items: items.size, channels: channelStats(ID, perChannel, ctx.faults) }),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await agent.close();
    },
  };
}
