/**
 * The shop's admin API, transport only: subscribe the hub to order webhooks and read an order
 * back. Shop errors become PartnerCallErrors; the access token never appears in one.
 */
import { errorForStatus, PartnerCallError } from '../../errors.js';
import { retryAfterMs, type HttpClient, type HttpResponse } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { manifest } from './manifest.js';

export const SHOP_API_VERSION = '2025-01';

export interface ShopWebhookSubscription {
  id: number;
  topic: string;
  address: string;
  /** false when the shop already had this topic + address (the call is idempotent). */
  created: boolean;
}

export interface ShopAdminClient {
  subscribeWebhook(topic: string, address: string): Promise<ShopWebhookSubscription>;
  listWebhooks(): Promise<Array<Omit<ShopWebhookSubscription, 'created'>>>;
  /** The raw shop order (partner dialect); the caller maps it. */
  getOrder(id: string): Promise<unknown>;
  /** Sets a SKU's sellable quantity (the shop's inventory_level, partner dialect). */
  setInventoryLevel(level: Record<string, unknown>): Promise<void>;
  /** Tells the shop where a return of one of its orders stands (partner dialect). */
  setReturnStatus(orderId: string, ret: Record<string, unknown>): Promise<void>;
}

/** The shop's `errors` field is a string or a map of field -> messages; flatten it for humans. */
export function shopErrorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    const e = parsed.errors;
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object') {
      return Object.entries(e as Record<string, unknown>)
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
        .join('; ');
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.slice(0, 200);
}

export function createShopAdminClient(endpoint: PartnerEndpoint, http: HttpClient): ShopAdminClient {
  const partnerId = endpoint.partnerId;
  const base = `${endpoint.baseUrl.replace(/\/+$/, '')}/shop/admin/api/${SHOP_API_VERSION}`;
  const token = readSettings(manifest, endpoint).credentials.adminToken;

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpResponse> {
    const res = await http.send({
      partnerId,
      method,
      url: `${base}${path}`,
      headers: {
        accept: 'application/json',
        'x-shop-access-token': token,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {}),
    });
    if (res.status < 200 || res.status >= 300) {
      const wait = retryAfterMs(res.headers);
      throw errorForStatus(
        partnerId,
        res.status,
        shopErrorMessage(res.body),
        wait !== undefined ? { retryAfterMs: wait } : {},
      );
    }
    return res;
  }

  function badResponse(what: string, status: number): PartnerCallError {
    return new PartnerCallError({
      partnerId,
      code: 'partner_bad_response',
      retryable: false,
      status,
      message: `${partnerId} answered ${status} without ${what}`,
    });
  }

  function parse(res: HttpResponse): unknown {
    try {
      return JSON.parse(res.body);
    } catch {
      throw badResponse('a JSON body', res.status);
    }
  }

  function readWebhook(v: unknown): Omit<ShopWebhookSubscription, 'created'> | undefined {
    if (!v || typeof v !== 'object') return undefined;
    const w = v as Record<string, unknown>;
    if (typeof w.id !== 'number' || typeof w.topic !== 'string' || typeof w.address !== 'string')
      return undefined;
    return { id: w.id, topic: w.topic, address: w.address };
  }

  return {
    async subscribeWebhook(topic, address) {
      const res = await call('POST', '/webhooks.json', { webhook: { topic, address, format: 'json' } });
      const hook = readWebhook((parse(res) as { webhook?: unknown }).webhook);
      if (!hook) throw badResponse('a webhook', res.status);
      return { ...hook, created: res.status === 201 };
    },

    async listWebhooks() {
      const res = await call('GET', '/webhooks.json');
      const list = (parse(res) as { webhooks?: unknown }).webhooks;
      if (!Array.isArray(list)) throw badResponse('a webhook list', res.status);
      return list.map((w) => {
        const hook = readWebhook(w);
        if (!hook) throw badResponse('well-formed webhooks', res.status);
        return hook;
      });
    },

    async setInventoryLevel(level) {
      const res = await call('POST', '/inventory_levels/set.json', { inventory_level: level });
      const echoed = (parse(res) as { inventory_level?: { sku?: unknown } }).inventory_level;
      if (!echoed || echoed.sku !== level.sku) throw badResponse('the inventory level it set', res.status);
    },

    async setReturnStatus(orderId, ret) {
      if (!/^\d{1,20}$/.test(orderId)) {
        throw new PartnerCallError({
          partnerId,
          code: 'partner_rejected',
          retryable: false,
          message: `${partnerId} order ids are numeric`,
        });
      }
      const res = await call('POST', `/orders/${orderId}/returns.json`, { return: ret });
      const echoed = (parse(res) as { return?: { rma?: unknown } }).return;
      if (!echoed || echoed.rma !== ret.rma) throw badResponse('the return it updated', res.status);
    },

    async getOrder(id) {
      if (!/^\d{1,20}$/.test(id)) {
        throw new PartnerCallError({
          partnerId,
          code: 'partner_rejected',
          retryable: false,
          message: `${partnerId} order ids are numeric`,
        });
      }
      const res = await call('GET', `/orders/${id}.json`);
      const order = (parse(res) as { order?: unknown }).order;
      if (!order || typeof order !== 'object') throw badResponse('an order', res.status);
      return order;
    },
  };
}
