/**
 * Carrier Alpha transport: bearer-token REST calls through the shared HttpClient, and the
 * verification and parsing of its signed tracking pushes. Partner errors become PartnerCallErrors.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { errorForStatus, PartnerCallError } from '../../errors.js';
import { retryAfterMs, type HttpClient, type HttpResponse } from '../../http.js';
import {
  bodyBytes,
  headerValue,
  type CarrierConnector,
  type InboundRequest,
  type PartnerEndpoint,
  type ShipmentCreated,
  type ShipmentRequest,
  type TrackingPush,
} from '../../types.js';
import { manifest } from './manifest.js';
import {
  alphaErrorDetails,
  fromAlphaPush,
  fromAlphaShipmentResponse,
  toAlphaShipmentRequest,
} from './mapper.js';

/** Pushes signed further than this from our clock are refused (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
export const SIGNATURE_HEADER = 'alpha-signature';

export interface AlphaSignature {
  timestamp: number;
  signatures: string[];
}

/** Parses `t=<unix>,v1=<hex>[,v1=<hex>…]`; undefined when malformed. */
export function parseSignatureHeader(header: string | undefined): AlphaSignature | undefined {
  if (!header || header.length > 1024) return undefined;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return undefined;
      signatures.push(value);
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

/** HMAC over `timestamp.` and the exact body bytes (a string is taken as its UTF-8 bytes). */
export function signAlphaPayload(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** Checks an `Alpha-Signature` header against the raw body, in constant time per candidate. */
export function verifyAlphaSignature(secret: string, req: InboundRequest): boolean {
  const parsed = parseSignatureHeader(headerValue(req, SIGNATURE_HEADER));
  if (!parsed || secret.length === 0) return false;
  if (Math.abs(req.nowMs / 1000 - parsed.timestamp) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(signAlphaPayload(secret, parsed.timestamp, bodyBytes(req)), 'hex');
  let ok = false;
  for (const candidate of parsed.signatures) {
    const got = Buffer.from(candidate, 'hex');
    if (got.length === expected.length && timingSafeEqual(got, expected)) ok = true;
  }
  return ok;
}

function partnerError(res: HttpResponse): PartnerCallError {
  const { message, code } = alphaErrorDetails(res.body);
  const wait = retryAfterMs(res.headers);
  return errorForStatus(manifest.id, res.status, message, {
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    ...(code !== undefined ? { partnerCode: code } : {}),
  });
}

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

export function createAlphaClient(endpoint: PartnerEndpoint, http: HttpClient): CarrierConnector {
  const base = endpoint.baseUrl.replace(/\/+$/, '');
  const token = endpoint.credentials.apiToken ?? '';
  const webhookSecret = endpoint.credentials.webhookSecret ?? '';
  const headers = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json',
    ...extra,
  });
  const send = (path: string, body: unknown, extra?: Record<string, string>) =>
    http.send({
      partnerId: manifest.id,
      method: 'POST',
      url: `${base}${path}`,
      headers: headers(extra),
      body: JSON.stringify(body),
      ...(endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {}),
    });

  return {
    manifest,

    async createShipment(req: ShipmentRequest): Promise<ShipmentCreated> {
      const res = await send('/alpha/v1/shipments', toAlphaShipmentRequest(req), {
        'idempotency-key': req.idempotencyKey,
      });
      // 201 created, 200 idempotent replay of the shipment this key already created.
      if (res.status !== 200 && res.status !== 201) throw partnerError(res);
      let body: unknown;
      try {
        body = JSON.parse(res.body);
      } catch {
        throw badResponse(res.status, 'not JSON');
      }
      try {
        return fromAlphaShipmentResponse(body);
      } catch (err) {
        throw badResponse(res.status, err instanceof Error ? err.message : 'unexpected shape');
      }
    },

    async probe(): Promise<void> {
      // An unknown tracking number costs the carrier one lookup: 404 proves the channel answers.
      const res = await http.send({
        partnerId: manifest.id,
        method: 'GET',
        url: `${base}/alpha/v1/tracking/PROBE0000000`,
        headers: headers(),
        timeoutMs: endpoint.timeoutMs ?? 5000,
      });
      if (res.status !== 200 && res.status !== 404) throw partnerError(res);
    },

    async registerTrackingWebhook(url: string): Promise<void> {
      const res = await send('/alpha/v1/webhooks', { url, events: ['tracking.updated'] });
      if (res.status !== 200 && res.status !== 201) throw partnerError(res);
    },

    verifyCallback(req: InboundRequest): boolean {
      return verifyAlphaSignature(webhookSecret, req);
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
