/**
 * YunExpress: composes the client (Basic-auth JSON calls) and the mapper into a carrier: create
 * (replaying the waybill YunExpress already holds for our CustomerOrderNumber), tracking poll,
 * label and a probe.
 */
import type { TrackingEvent } from '../../../domain/index.js';
import { defineCarrier } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { labelFormatOf } from '../../labels.js';
import { readSettings } from '../../settings.js';
import type { CarrierConnector, PartnerEndpoint } from '../../types.js';
import { createYunClient, refusal } from './client.js';
import { errorClassOf } from './codes.js';
import {
  buildCreateOrder,
  parseCreateOrder,
  parseLabelPrint,
  parseTrackInfo,
  parseTrackingNumber,
} from './mapper.js';
import { manifest } from './manifest.js';
import { messages } from './messages.js';

export { manifest };

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): CarrierConnector {
  const client = createYunClient(endpoint, http);
  const { options } = readSettings(manifest, endpoint);
  const q = encodeURIComponent;
  return {
    manifest,
    async createShipment(req) {
      const created = await client.call(
        'POST',
        '/WayBill/CreateOrder',
        buildCreateOrder(req, options.shippingMethod),
        parseCreateOrder,
      );
      if (created.ok) return created.value;
      if (errorClassOf(created.error.code) === 'duplicate') {
        const held = await client.call(
          'GET',
          `/Waybill/GetTrackingNumber?CustomerOrderNumber=${q(req.idempotencyKey)}`,
          undefined,
          parseTrackingNumber,
        );
        if (held.ok && held.value) return { waybillNo: held.value };
        if (!held.ok) throw refusal(held.error);
      }
      throw refusal(created.error);
    },
    async fetchTracking(waybillNos) {
      const events: TrackingEvent[] = [];
      for (const no of new Set(waybillNos)) {
        const res = await client.call(
          'GET',
          `/Tracking/GetTrackInfo?OrderNumber=${q(no)}`,
          undefined,
          parseTrackInfo,
        );
        if (!res.ok) throw refusal(res.error);
        events.push(...res.value);
      }
      return events;
    },
    async fetchLabel(waybillNo) {
      const res = await client.call('POST', '/Label/Print', [waybillNo], parseLabelPrint);
      if (!res.ok) throw refusal(res.error);
      const file = await client.download(res.value);
      const data = file.bytes ?? Buffer.from(file.body, 'utf8');
      const format = labelFormatOf(data);
      if (!format) {
        throw new PartnerCallError({
          partnerId: endpoint.partnerId,
          code: 'partner_bad_response',
          retryable: true,
          message: `${endpoint.partnerId} label for ${waybillNo} is neither PDF, PNG nor ZPL`,
        });
      }
      return { format, data };
    },
    async probe() {
      // The country list is read-only and authenticated: it proves the token and the host.
      const res = await client.call('GET', '/Common/GetCountry', undefined, (raw) => {
        const env = parseTrackingNumber(raw);
        return env.ok ? { ok: true, value: null } : env;
      });
      if (!res.ok) throw refusal(res.error);
    },
  };
}

export const connector = defineCarrier(manifest, createConnector, messages);
