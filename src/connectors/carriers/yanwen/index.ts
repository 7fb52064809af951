/**
 * Yanwen: composes the signed order API and the tracking API into a carrier — create (a retry
 * whose orderNumber already has a waybill reads it back with express.order.get), label (base64
 * PDF) and tracking poll. docs/partners/yanwen.md.
 */
import { defineCarrier } from '../../contract.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { CarrierConnector, PartnerEndpoint } from '../../types.js';
import { createYanwenClient, refusal } from './client.js';
import { errorClassOf } from './codes.js';
import { manifest } from './manifest.js';
import { buildCreateOrder, parseCreateOrder, parseLabel, parseTracking } from './mapper.js';
import { messages } from './messages.js';

export { manifest };

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): CarrierConnector {
  const client = createYanwenClient(endpoint, http);
  const { options } = readSettings(manifest, endpoint);
  const id = endpoint.partnerId;
  return {
    manifest,
    async createShipment(req) {
      const created = await client.order(
        'express.order.create',
        buildCreateOrder(req, options.channelId),
        parseCreateOrder,
        false,
      );
      if (created.ok) return created.value;
      if (errorClassOf(created.error.code) === 'duplicate') {
        const held = await client.order(
          'express.order.get',
          { orderNumber: req.idempotencyKey },
          parseCreateOrder,
          true,
        );
        if (held.ok) return held.value;
        throw refusal(id, held.error);
      }
      throw refusal(id, created.error);
    },
    async fetchTracking(waybillNos) {
      const nums = [...new Set(waybillNos)];
      if (nums.length === 0) return [];
      const res = await client.tracking(nums, parseTracking);
      if (!res.ok) throw refusal(id, res.error);
      return res.value;
    },
    async fetchLabel(waybillNo) {
      const res = await client.order(
        'express.order.label.get',
        { waybillNumber: waybillNo },
        parseLabel,
        true,
      );
      if (!res.ok) throw refusal(id, res.error);
      return res.value;
    },
  };
}

export const connector = defineCarrier(manifest, createConnector, messages);
