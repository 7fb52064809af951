/**
 * Carrier Beta: a Cainiao-like TOP router speaking signed XML; tracking is polled in batches.
 * This file only composes: the client does the I/O, the mapper the translation.
 */
import type { TrackingEvent } from '../../../domain/index.js';
import { defineCarrier } from '../../contract.js';
import { errorForStatus } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { CarrierConnector, PartnerEndpoint } from '../../types.js';
import { createBetaClient, type BetaClientOptions } from './client.js';
import {
  buildCreateContent,
  buildTraceContent,
  DEFAULT_SERVICE_CODE,
  parseCreateResponse,
  parseTraceResponse,
} from './mapper.js';
import { manifest } from './manifest.js';

export { manifest };

const BATCH = manifest.trackingBatchSize ?? 50;

export function createConnector(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  opts: BetaClientOptions = {},
): CarrierConnector {
  const client = createBetaClient(endpoint, http, opts);
  const serviceCode = readSettings(manifest, endpoint).options.serviceCode ?? DEFAULT_SERVICE_CODE;
  return {
    manifest,
    createShipment: (req) =>
      client.call('beta.waybill.create', buildCreateContent(req, serviceCode), parseCreateResponse),
    async fetchTracking(waybillNos) {
      const unique = [...new Set(waybillNos)];
      const events: TrackingEvent[] = [];
      for (let i = 0; i < unique.length; i += BATCH) {
        const chunk = unique.slice(i, i + BATCH);
        events.push(...(await client.call('beta.trace.query', buildTraceContent(chunk), parseTraceResponse)));
      }
      return events;
    },
    async fetchBill(period) {
      // Beta publishes its monthly bill as a CSV download beside the router, not through it.
      const res = await http.send({
        partnerId: manifest.id,
        method: 'GET',
        url: `${endpoint.baseUrl.replace(/\/+$/, '')}/beta/bills.csv?period=${encodeURIComponent(period)}`,
        headers: { accept: 'text/csv' },
        timeoutMs: 30_000,
      });
      if (res.status !== 200) throw errorForStatus(manifest.id, res.status, res.body.slice(0, 200));
      return { format: 'csv', body: res.body };
    },
    async probe() {
      // A trace query for a waybill that cannot exist: a signed, parsed answer proves the router.
      await client.call('beta.trace.query', buildTraceContent(['PR000000000CN']), parseTraceResponse);
    },
  };
}

export const connector = defineCarrier(manifest, createConnector);
