/**
 * 4PX: composes the client (signed router calls) and the mapper (envelopes and payloads) into
 * a carrier: create (replaying a consignment 4PX already holds for our ref_no), tracking poll,
 * label, cancel and a probe.
 */
import type { TrackingEvent } from '../../../domain/index.js';
import { defineCarrier } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { CarrierConnector, PartnerEndpoint, ShipmentLabel } from '../../types.js';
import { createFourpxClient, refusal, type FourpxClientOptions } from './client.js';
import { errorClassOf } from './codes.js';
import {
  buildCancel,
  buildCreateOrder,
  buildLabelGet,
  buildOrderGet,
  buildTracking,
  parseCancel,
  parseCreateOrder,
  parseLabelGet,
  parseOrderGet,
  parseTracking,
} from './mapper.js';
import { manifest } from './manifest.js';
import { messages } from './messages.js';
import { labelFormatOf } from '../../labels.js';

export { manifest };

export function createConnector(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  opts: FourpxClientOptions = {},
): CarrierConnector {
  const client = createFourpxClient(endpoint, http, opts);
  const { options } = readSettings(manifest, endpoint);
  const labelFormat = options.labelFormat ?? 'PDF';
  return {
    manifest,
    async createShipment(req) {
      const body = buildCreateOrder(req, {
        ...(options.productCode ? { productCode: options.productCode } : {}),
        labelFormat,
      });
      // ref_no makes the create idempotent: a retry after a lost reply is refused as a
      // duplicate, and the consignment 4PX already holds is read back instead.
      const created = await client.call('ds.xms.order.create', '1.1.0', body, parseCreateOrder, true);
      if (created.ok) return created.value;
      if (created.error.some((e) => errorClassOf(e.code) === 'duplicate')) {
        const existing = await client.call(
          'ds.xms.order.get',
          '1.0.0',
          buildOrderGet(req.idempotencyKey),
          parseOrderGet,
          true,
        );
        if (existing.ok)
          return {
            waybillNo: existing.value.waybillNo,
            ...(existing.value.partnerShipmentId
              ? { partnerShipmentId: existing.value.partnerShipmentId }
              : {}),
          };
        throw refusal(existing.error);
      }
      throw refusal(created.error);
    },
    async fetchTracking(waybillNos) {
      const events: TrackingEvent[] = [];
      for (const no of new Set(waybillNos)) {
        const res = await client.call(
          'tr.order.tracking.get',
          '1.0.0',
          buildTracking(no),
          parseTracking,
          true,
        );
        if (res.ok) events.push(...res.value);
        // A waybill 4PX does not know (yet) is not an error of the batch: it has no events.
        else if (errorClassOf(res.error[0]?.code ?? '') !== 'rejected') throw refusal(res.error);
      }
      return events;
    },
    async cancelShipment(waybillNo) {
      const res = await client.call(
        'ds.xms.order.cancel',
        '1.0.0',
        buildCancel(waybillNo),
        parseCancel,
        true,
      );
      if (!res.ok) throw refusal(res.error);
    },
    async fetchLabel(waybillNo): Promise<ShipmentLabel> {
      const res = await client.call(
        'ds.xms.label.get',
        '1.1.0',
        buildLabelGet(waybillNo, labelFormat),
        parseLabelGet,
        true,
      );
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
      // A logistics product list is cheap, read-only and signed: it proves key, secret and router.
      const res = await client.call(
        'ds.xms.logistics_product.getlist',
        '1.0.0',
        { transport_mode: '1' },
        (raw) => parseCancel(raw),
        true,
      );
      if (!res.ok) throw refusal(res.error);
    },
  };
}

export const connector = defineCarrier(
  manifest,
  (endpoint, http) => createConnector(endpoint, http),
  messages,
);
