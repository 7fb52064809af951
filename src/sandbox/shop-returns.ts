/**
 * The sandbox shop's returns: a buyer asks to return (or exchange) items of an order, and the
 * shop pushes a `returns/request` webhook, HMAC-signed like its order webhooks, to every
 * subscriber, at least once (retried with backoff for ten minutes until acknowledged). The
 * seller tells the shop where each return stands over the admin API
 * (`POST /orders/{order_id}/returns.json`, upsert by the seller's RMA), and the shop keeps every
 * status it was told, in order. Written from the shop's dialect, not from the hub's connector.
 */
import { createHmac, randomInt, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Agent } from 'undici';
import { deliverOnce } from './deliver.js';

export const RETURN_REQUEST_TOPIC = 'returns/request';
const BACKOFF_START_MS = 200;
const BACKOFF_CAP_MS = 2_000;
const GIVE_UP_AFTER_MS = 10 * 60_000;
const STATUSES = new Set([
  'requested',
  'announced',
  'label_issued',
  'in_transit',
  'received_by_carrier',
  'inspected',
  'completed',
  'cancelled',
]);

export interface ShopReturnLine {
  sku: string;
  quantity: number;
  exchangeSku?: string;
}

/** What the seller last told the shop about one return, and every status before it. */
export interface ShopReturnState {
  rma: string;
  orderId: string;
  shopReturnId: string | null;
  status: string;
  statuses: string[];
  carrier: string | null;
  trackingNumber: string | null;
  refundAmount: string | null;
  currency: string | null;
  replacementOrderId: string | null;
}

export interface ShopReturns {
  /** A buyer's return request on an order (the shop's order id): pushed to every subscriber. */
  request(orderId: string, lines: ShopReturnLine[], kind?: 'refund' | 'exchange', reason?: string): string;
  /** The returns the seller reported on, by RMA. */
  states(): Record<string, ShopReturnState>;
  subscribe(address: string): { id: number; created: boolean };
  register(
    app: FastifyInstance,
    admin: string,
    requireToken: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  ): void;
  undelivered(): number;
  close(): Promise<void>;
}

interface Pending {
  url: string;
  body: string;
  webhookId: string;
  firstAtMs: number;
  attempt: number;
  nextAtMs: number;
}

export function createShopReturns(opts: {
  secret: () => string;
  shopDomain: string;
  apiVersion: string;
}): ShopReturns {
  const subscribers = new Map<string, number>();
  const states = new Map<string, ShopReturnState>();
  const queue: Pending[] = [];
  const agent = new Agent({ connections: 4, keepAliveTimeout: 4_000 });
  let seq = 0;
  // Return ids never repeat across sandbox restarts, as the shop's own would not (the hub keeps them).
  const idBase = 7_000_000_000_000 + randomInt(0, 900_000) * 1_000_000;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function schedule(ms: number) {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
    timer.unref();
  }

  async function flush() {
    const now = Date.now();
    await Promise.all(
      queue
        .filter((p) => p.nextAtMs <= now)
        .map(async (p) => {
          p.attempt++;
          const ok = await deliverOnce(
            agent,
            p.url,
            {
              'content-type': 'application/json',
              'x-shop-topic': RETURN_REQUEST_TOPIC,
              'x-shop-hmac-sha256': createHmac('sha256', opts.secret())
                .update(p.body, 'utf8')
                .digest('base64'),
              'x-shop-webhook-id': p.webhookId,
              'x-shop-shop-domain': opts.shopDomain,
              'x-shop-api-version': opts.apiVersion,
            },
            p.body,
            10_000,
          );
          if (ok || Date.now() - p.firstAtMs > GIVE_UP_AFTER_MS) queue.splice(queue.indexOf(p), 1);
          else p.nextAtMs = Date.now() + Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** (p.attempt - 1));
        }),
    );
    if (queue.length > 0 && !closed)
      schedule(Math.max(0, Math.min(...queue.map((p) => p.nextAtMs)) - Date.now()));
  }

  const isMoney = (v: unknown) => typeof v === 'string' && /^\d{1,12}(\.\d{1,4})?$/.test(v);
  const optText = (v: unknown, re: RegExp) =>
    v === undefined || v === null || (typeof v === 'string' && re.test(v));

  return {
    request(orderId, lines, kind = 'refund', reason = 'does not fit') {
      const id = String(idBase + ++seq);
      const body = JSON.stringify({
        id,
        order_id: orderId,
        kind,
        reason,
        requested_at: new Date().toISOString(),
        return_line_items: lines.map((l) => ({
          sku: l.sku,
          quantity: l.quantity,
          ...(l.exchangeSku ? { exchange_sku: l.exchangeSku } : {}),
        })),
      });
      for (const url of subscribers.keys()) {
        queue.push({
          url,
          body,
          webhookId: randomUUID(),
          firstAtMs: Date.now(),
          attempt: 0,
          nextAtMs: Date.now(),
        });
      }
      schedule(0);
      return id;
    },
    states: () => Object.fromEntries(states),
    subscribe(address) {
      const existing = subscribers.get(address);
      if (existing !== undefined) return { id: existing, created: false };
      const id = 2_000_000_000 + subscribers.size;
      subscribers.set(address, id);
      return { id, created: true };
    },
    register(app, admin, requireToken) {
      app.post<{ Params: { orderId: string }; Body: unknown }>(
        `${admin}/orders/:orderId/returns.json`,
        { onRequest: requireToken },
        async (req, reply) => {
          const r = (req.body as { return?: Record<string, unknown> } | null)?.return;
          const errors: Record<string, string[]> = {};
          if (!r || typeof r !== 'object')
            return reply.code(400).send({ errors: { return: 'Required parameter missing' } });
          if (typeof r.rma !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(r.rma)) errors.rma = ['is invalid'];
          if (typeof r.status !== 'string' || !STATUSES.has(r.status))
            errors.status = ['is not included in the list'];
          if (r.refund_amount !== undefined && r.refund_amount !== null && !isMoney(r.refund_amount))
            errors.refund_amount = ['is not a decimal amount'];
          if (!optText(r.tracking_number, /^[A-Za-z0-9-]{4,64}$/)) errors.tracking_number = ['is invalid'];
          if (!/^\d{1,16}$/.test(req.params.orderId)) errors.order_id = ['is invalid'];
          if (Object.keys(errors).length > 0) return reply.code(422).send({ errors });
          const rma = r.rma as string;
          const prior = states.get(rma);
          const status = r.status as string;
          const str = (v: unknown) => (typeof v === 'string' ? v : null);
          const next: ShopReturnState = {
            rma,
            orderId: req.params.orderId,
            shopReturnId: str(r.shop_return_id) ?? prior?.shopReturnId ?? null,
            status,
            statuses:
              prior?.statuses.at(-1) === status ? prior.statuses : [...(prior?.statuses ?? []), status],
            carrier: str(r.carrier),
            trackingNumber: str(r.tracking_number),
            refundAmount: str(r.refund_amount),
            currency: str(r.currency),
            replacementOrderId: str(r.replacement_order_id),
          };
          states.set(rma, next);
          return {
            return: { rma, status, order_id: req.params.orderId, updated_at: new Date().toISOString() },
          };
        },
      );
    },
    undelivered: () => queue.length,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await agent.destroy();
    },
  };
}
