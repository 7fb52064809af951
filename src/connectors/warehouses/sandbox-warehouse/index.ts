/**
 * Sandbox Overseas Warehouse (OWH): stock counts, stock events pushed with an HMAC over
 * `timestamp.body`, outbound orders and inbound receipts (ASN), each call signed with the app
 * key's HMAC over the canonical request. This file composes: client does the I/O, mapper maps.
 */
import { WaygateError } from '../../../domain/index.js';
import { PartnerCallError } from '../../errors.js';
import { defineWarehouse } from '../../contract.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import {
  bodyBytes,
  headerValue,
  type InboundRequest,
  type PartnerEndpoint,
  type StockReport,
  type WarehouseConnector,
} from '../../types.js';
import { createOwhClient } from './client.js';
import { manifest } from './manifest.js';
import { asnBody, inventoryPage, outboundBody, outboundOrder, stockEvent } from './mapper.js';
import { returnAnswer, returnBody } from './returns.js';
import { verifyPush } from './signature.js';

export { manifest };

const PAGE_SIZE = 200;
const MAX_PAGES = 500;

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): Required<WarehouseConnector> {
  const send = createOwhClient(endpoint, http);
  const { pushSecret } = readSettings(manifest, endpoint).credentials;
  const partnerId = endpoint.partnerId;
  const malformed = (what: string, status = 200) =>
    new PartnerCallError({
      partnerId,
      code: 'partner_bad_response',
      retryable: false,
      status,
      message: `${partnerId} answered without ${what}`,
    });

  return {
    manifest,

    async queryStock(): Promise<StockReport> {
      const levels: StockReport['levels'] = [];
      let asOf = 0;
      for (let page = 1; page <= MAX_PAGES; page++) {
        let data;
        try {
          data = inventoryPage(await send('GET', `/inventory?page_no=${page}&page_size=${PAGE_SIZE}`));
        } catch (err) {
          if (err instanceof PartnerCallError) throw err;
          throw malformed(`a readable inventory page (${(err as Error).message})`);
        }
        // Each page is a count of its own moment: its SKUs carry that time, so a change made
        // between two pages is counted exactly once whichever page its SKU is on.
        if (page === 1) asOf = data.asOf;
        for (const l of data.levels) levels.push({ ...l, asOf: data.asOf });
        if (page >= data.totalPages) return { asOf, levels };
      }
      throw malformed(`an inventory of at most ${MAX_PAGES} pages`);
    },

    async subscribeStockEvents(url) {
      await send('POST', '/notify/subscribe', { callback_url: url });
    },

    verifyStockPush(req: InboundRequest) {
      return verifyPush(
        pushSecret,
        bodyBytes(req),
        headerValue(req, 'x-owh-timestamp'),
        headerValue(req, 'x-owh-sign'),
        req.nowMs,
      );
    },

    parseStockPush(req: InboundRequest) {
      let body: unknown;
      try {
        body = JSON.parse(req.rawBody);
      } catch {
        throw new WaygateError('stock_event_invalid', 'the warehouse stock event is not JSON', {
          field: '/',
          errors: [{ field: '/', message: 'is not valid JSON' }],
        });
      }
      return stockEvent(body);
    },

    async createOutbound(req) {
      const data = await send('POST', '/outbound/orders', outboundBody(req));
      try {
        return outboundOrder(data);
      } catch (err) {
        throw malformed(`a readable outbound order (${(err as Error).message})`);
      }
    },

    async outboundStatus(orderId) {
      const data = await send('GET', `/outbound/orders?client_ref=${encodeURIComponent(orderId)}`);
      try {
        return outboundOrder(data);
      } catch (err) {
        throw malformed(`a readable outbound order (${(err as Error).message})`);
      }
    },

    async createInbound(req) {
      const data = (await send('POST', '/inbound/asn', asnBody(req))) as { asn_no?: unknown };
      if (typeof data?.asn_no !== 'string') throw malformed('an ASN number');
      return { asnNo: data.asn_no };
    },

    async announceReturn(req) {
      const data = await send('POST', '/returns', returnBody(req));
      try {
        return returnAnswer(data);
      } catch (err) {
        throw malformed(`a readable return answer (${(err as Error).message})`);
      }
    },

    async cancelReturn(req) {
      await send('POST', `/returns/${encodeURIComponent(req.warehouseReturnNo)}/cancel`, {
        rma_ref: req.returnId,
        cancel_reason: req.reason.slice(0, 200),
      });
    },
  };
}

export const connector = defineWarehouse(manifest, createConnector);
