/**
 * Carrier Alpha Express: REST/JSON with a bearer token; tracking is pushed to the hub as signed
 * webhooks. This file only composes: the client does the I/O, the mapper the translation.
 */
import { WaygateError } from '../../../domain/index.js';
import { defineCarrier, rejectionError, unwrap } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient, HttpResponse } from '../../http.js';
import type {
  CarrierConnector,
  InboundRequest,
  PartnerBillDocument,
  PartnerEndpoint,
  ShipmentCreated,
  ReturnLabelRequest,
  ShipmentRequest,
  TrackingPush,
} from '../../types.js';
import { createAlphaClient } from './client.js';
import { manifest } from './manifest.js';
import { fromAlphaPush, readShipmentAnswer, toAlphaReturnRequest, toAlphaShipmentRequest } from './mapper.js';
import { verifyAlphaSignature } from './signature.js';

export { manifest };

function badResponse(status: number, why: string): PartnerCallError {
  // Alpha honours the idempotency key, so asking again is safe and returns the same shipment.
  return new PartnerCallError({
    partnerId: manifest.id,
    code: 'partner_bad_response',
    retryable: true,
    status,
    message: `carrier-alpha answered ${status} with an unusable body: ${why}`,
  });
}

/** Anything but a 2xx to a call whose answer carries nothing else: alpha refused it. */
function accepted(res: HttpResponse): void {
  if (res.status >= 200 && res.status < 300) return;
  const answer = readShipmentAnswer(res.status, res.body);
  if (!answer.ok) throw rejectionError(manifest.id, answer.error);
}

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): CarrierConnector {
  const client = createAlphaClient(endpoint, http);
  return {
    manifest,

    async createShipment(req: ShipmentRequest): Promise<ShipmentCreated> {
      const res = await client.post('/alpha/v1/shipments', toAlphaShipmentRequest(req), {
        'idempotency-key': req.idempotencyKey,
      });
      let answer;
      try {
        answer = readShipmentAnswer(res.status, res.body);
      } catch (err) {
        if (!(err instanceof WaygateError)) throw err;
        throw badResponse(res.status, err.message);
      }
      return unwrap(manifest.id, answer);
    },

    async createReturnLabel(req: ReturnLabelRequest): Promise<ShipmentCreated> {
      // The return's id keys the call: a retry gets the same return waybill, never a second.
      const res = await client.post('/alpha/v1/shipments', toAlphaReturnRequest(req), {
        'idempotency-key': `return:${req.idempotencyKey}`,
      });
      let answer;
      try {
        answer = readShipmentAnswer(res.status, res.body);
      } catch (err) {
        if (!(err instanceof WaygateError)) throw err;
        throw badResponse(res.status, err.message);
      }
      return unwrap(manifest.id, answer);
    },

    async probe(): Promise<void> {
      // An unknown tracking number costs the carrier one lookup: 404 proves the channel answers.
      const res = await client.get('/alpha/v1/tracking/PROBE0000000');
      if (res.status !== 404) accepted(res);
    },

    async fetchBill(period: string): Promise<PartnerBillDocument> {
      // A month of parcels is a large answer, assembled by the carrier on request: more time.
      const res = await client.get(`/alpha/v1/bills?period=${encodeURIComponent(period)}`, 30_000);
      accepted(res);
      return { format: 'json', body: res.body };
    },

    async registerTrackingWebhook(url: string): Promise<void> {
      accepted(await client.post('/alpha/v1/webhooks', { url, events: ['tracking.updated'] }));
    },

    verifyCallback(req: InboundRequest): boolean {
      return verifyAlphaSignature(client.webhookSecret, req);
    },

    parseCallback(req: InboundRequest): TrackingPush {
      let body: unknown;
      try {
        body = JSON.parse(req.rawBody);
      } catch {
        body = undefined;
      }
      return fromAlphaPush(body);
    },
  };
}

export const connector = defineCarrier(manifest, createConnector);
