/**
 * UPS: composes the OAuth client and the mapper into a carrier: a shipment through the Shipping
 * API (its label comes back in the answer), tracking through the Tracking API, and a probe.
 */
import type { TrackingEvent } from '../../../domain/index.js';
import { defineCarrier, MalformedAnswer, unwrap } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient, HttpResponse } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { CarrierConnector, PartnerEndpoint, PartnerResult } from '../../types.js';
import { createUpsClient, type UpsClientOptions } from './client.js';
import { UPS_NOT_FOUND_CODES } from './codes.js';
import { buildShipRequest, parseShipResponse, parseTrackResponse } from './mapper.js';
import { manifest } from './manifest.js';
import { messages } from './messages.js';

export { manifest };

export function createConnector(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  opts: UpsClientOptions = {},
): CarrierConnector {
  const client = createUpsClient(endpoint, http, opts);
  const { credentials, options } = readSettings(manifest, endpoint);
  const partnerId = endpoint.partnerId;

  function read<T>(
    res: HttpResponse,
    parse: (status: number, body: string) => PartnerResult<T>,
    safe: boolean,
  ): PartnerResult<T> {
    try {
      return parse(res.status, res.body);
    } catch (err) {
      if (!(err instanceof MalformedAnswer)) throw err;
      throw new PartnerCallError({
        partnerId,
        code: 'partner_bad_response',
        retryable: safe,
        status: res.status,
        message: `${partnerId} answered ${res.status} with an unusable body: ${err.message}`,
      });
    }
  }

  return {
    manifest,
    async createShipment(req) {
      const body = buildShipRequest(req, {
        accountNumber: credentials.accountNumber,
        ...(options.serviceCode ? { serviceCode: options.serviceCode } : {}),
        ...(options.labelFormat ? { labelFormat: options.labelFormat } : {}),
        ...(options.shipper ? { shipper: options.shipper } : {}),
      });
      const res = await client.send('POST', '/api/shipments/v2409/ship', body);
      // UPS has no idempotency key on Ship: a lost reply must not be blindly re-sent.
      return unwrap(partnerId, read(res, parseShipResponse, false));
    },
    async fetchTracking(waybillNos) {
      const events: TrackingEvent[] = [];
      for (const no of new Set(waybillNos)) {
        const res = await client.send(
          'GET',
          `/api/track/v1/details/${encodeURIComponent(no)}?locale=en_US&returnSignature=false`,
        );
        const result = read(res, parseTrackResponse, true);
        if (result.ok) events.push(...result.value);
        else if (!(res.status === 404 && UPS_NOT_FOUND_CODES.has(result.error.code)))
          unwrap(partnerId, result);
      }
      return events;
    },
    async probe() {
      // A token fetch plus a track call for UPS's own test number: proves credentials and host.
      const res = await client.send('GET', '/api/track/v1/details/1Z023E2X0214323462?locale=en_US');
      if (res.status !== 200 && res.status !== 404) unwrap(partnerId, read(res, parseTrackResponse, true));
    },
  };
}

export const connector = defineCarrier(
  manifest,
  (endpoint, http) => createConnector(endpoint, http),
  messages,
);
