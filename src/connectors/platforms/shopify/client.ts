/**
 * Shopify Admin REST API, transport only: webhooks, orders, fulfilment orders and fulfilments.
 * Answers are read with lossless-json (ids beyond 2^53 stay exact). Errors become
 * PartnerCallErrors (429 and 5xx retryable, with Retry-After); the access token never appears
 * in one.
 */
import { errorForStatus, PartnerCallError } from '../../errors.js';
import { retryAfterMs, type HttpClient, type HttpResponse } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { manifest } from './manifest.js';
import { parseShopifyJson, shopifyErrorMessage } from './mapper.js';

export const DEFAULT_API_VERSION = '2025-01';

export interface ShopifyClient {
  subscribeWebhook(topic: string, address: string): Promise<void>;
  getOrder(id: string): Promise<unknown>;
  fulfillmentOrders(orderId: string): Promise<unknown>;
  createFulfillment(body: string): Promise<unknown>;
  updateTracking(fulfillmentId: string, body: string): Promise<unknown>;
  postEvent(orderId: string, fulfillmentId: string, body: string): Promise<void>;
}

export function createShopifyClient(endpoint: PartnerEndpoint, http: HttpClient): ShopifyClient {
  const partnerId = endpoint.partnerId;
  const { credentials, options } = readSettings(manifest, endpoint);
  const base = `${endpoint.baseUrl.replace(/\/+$/, '')}/admin/api/${options.apiVersion ?? DEFAULT_API_VERSION}`;

  async function call(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpResponse> {
    const res = await http.send({
      partnerId,
      method,
      url: `${base}${path}`,
      headers: {
        accept: 'application/json',
        'x-shopify-access-token': credentials.accessToken,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
      ...(endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {}),
    });
    if (res.status < 200 || res.status >= 300) {
      const wait = retryAfterMs(res.headers);
      throw errorForStatus(partnerId, res.status, shopifyErrorMessage(res.body), {
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      });
    }
    return res;
  }

  function json(res: HttpResponse): unknown {
    try {
      return parseShopifyJson(res.body);
    } catch {
      throw new PartnerCallError({
        partnerId,
        code: 'partner_bad_response',
        retryable: false,
        status: res.status,
        message: `${partnerId} answered ${res.status} without a JSON body`,
      });
    }
  }

  return {
    async subscribeWebhook(topic, address) {
      try {
        await call('POST', '/webhooks.json', JSON.stringify({ webhook: { topic, address, format: 'json' } }));
      } catch (err) {
        // Shopify answers 422 "address for this topic has already been taken": already subscribed.
        if (
          err instanceof PartnerCallError &&
          err.status === 422 &&
          /already been taken/.test(err.partnerMessage ?? '')
        )
          return;
        throw err;
      }
    },
    async getOrder(id) {
      const body = json(await call('GET', `/orders/${encodeURIComponent(id)}.json`));
      return (body as { order?: unknown }).order;
    },
    async fulfillmentOrders(orderId) {
      return json(await call('GET', `/orders/${encodeURIComponent(orderId)}/fulfillment_orders.json`));
    },
    async createFulfillment(body) {
      return json(await call('POST', '/fulfillments.json', body));
    },
    async updateTracking(fulfillmentId, body) {
      return json(
        await call('POST', `/fulfillments/${encodeURIComponent(fulfillmentId)}/update_tracking.json`, body),
      );
    },
    async postEvent(orderId, fulfillmentId, body) {
      await call(
        'POST',
        `/orders/${encodeURIComponent(orderId)}/fulfillments/${encodeURIComponent(fulfillmentId)}/events.json`,
        body,
      );
    },
  };
}
