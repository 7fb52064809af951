/**
 * Taobao / Tmall Open Platform (TOP): paid trades pulled with taobao.trades.sold.increment.get
 * (a window of at most a day, paged with has_next), and the shipment sent back with
 * taobao.logistics.offline.send. Requests are signed with TOP's md5, hmac or hmac-sha256
 * scheme (signature.ts). docs/partners/taobao-top.md.
 */
import { definePlatform } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type {
  FulfilmentRequest,
  FulfilmentSent,
  OrderPage,
  PartnerEndpoint,
  PlatformConnector,
} from '../../types.js';
import { createTopClient } from './client.js';
import { manifest } from './manifest.js';
import {
  offlineSendParams,
  offlineSendSucceeded,
  soldIncrementParams,
  topTradeToCanonical,
  tradesOf,
} from './mapper.js';

export { manifest } from './manifest.js';

/** TOP's increment query spans at most one day. */
const WINDOW_MS = 24 * 3600_000;

export interface TopConnector extends PlatformConnector {
  pullOrders(since: string, cursor?: string): Promise<OrderPage>;
  sendFulfilment(req: FulfilmentRequest): Promise<FulfilmentSent>;
}

/** The cursor: window start and end (ms) and the page within it. */
function readCursor(since: string, cursor: string | undefined, nowMs: number) {
  const m = cursor ? /^(\d{1,15})-(\d{1,15})-(\d{1,6})$/.exec(cursor) : null;
  if (m) return { from: Number(m[1]), to: Number(m[2]), page: Number(m[3]) };
  const from = Date.parse(since);
  const start = Number.isFinite(from) ? from : nowMs - WINDOW_MS;
  return { from: start, to: Math.min(start + WINDOW_MS, nowMs), page: 1 };
}

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): TopConnector {
  const top = createTopClient(endpoint, http);
  const { options } = readSettings(manifest, endpoint);
  const source = endpoint.partnerId;
  const pageSize = options.pageSize ?? 50;

  return {
    manifest,

    async pullOrders(since, cursor) {
      const nowMs = Date.now();
      const w = readCursor(since, cursor, nowMs);
      const value = await top.call(soldIncrementParams(w.from, w.to, w.page, pageSize), nowMs);
      const page = tradesOf(value);
      if (!page) {
        throw new PartnerCallError({
          partnerId: source,
          code: 'partner_bad_response',
          retryable: false,
          message: `${source} answered without trades`,
        });
      }
      const orders = page.trades.map((t) => topTradeToCanonical(t, source));
      // A window cut short by TOP's one-day limit goes on with the next day; one that reached
      // the present (when it was opened) ends the feed, and the job's next run starts from its
      // `since`. Going on from every window whose end is now past would never end: each call's
      // present is past by the next one (the pull read TOP without pause).
      const cutShort = w.to - w.from >= WINDOW_MS && w.to < nowMs;
      const next = page.hasNext
        ? `${w.from}-${w.to}-${w.page + 1}`
        : cutShort
          ? `${w.to}-${Math.min(w.to + WINDOW_MS, nowMs)}-1`
          : undefined;
      return { orders, ...(next ? { next } : {}) };
    },

    async sendFulfilment(req) {
      // Shipped already (the hub holds the ref of the first send): TOP takes no tracking updates.
      if (req.partnerRef) return { partnerRef: req.partnerRef };
      const codes = options.companyCodes ?? {};
      const code = codes[req.carrierId ?? req.carrierName] ?? codes[req.carrierName] ?? 'OTHER';
      const value = await top.call(offlineSendParams(req.externalOrderId, req.waybillNo, code));
      if (!offlineSendSucceeded(value)) {
        throw new PartnerCallError({
          partnerId: source,
          code: 'partner_rejected',
          retryable: false,
          message: `${source} did not confirm the shipment of trade ${req.externalOrderId}`,
        });
      }
      // TOP has no fulfilment id: the trade is shipped once; later tracking is the carrier's.
      return { partnerRef: req.externalOrderId };
    },
  };
}

export const connector = definePlatform(manifest, createConnector);
