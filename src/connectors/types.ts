/**
 * The small interfaces a connector implements, one per partner kind. Everything crossing these
 * interfaces is canonical; partner field names stay inside each connector's folder.
 */
import type { Address, OrderInput, OrderItem, TrackingEvent } from '../domain/index.js';

export type Tier = 'A' | 'B' | 'C';

export interface ManifestBase {
  id: string;
  name: string;
  dialect: 'rest-json' | 'xml-http' | 'soap' | 'edi-x12' | 'edifact' | 'ceb-xml';
  auth: string;
  defaultTier: Tier;
  /** Names of the credential fields the connector needs (values come from config, never code). */
  credentials: readonly string[];
  /**
   * The header naming a push's topic, when the partner sends one outside its signature. The hub
   * de-duplicates pushes on the signed bytes plus this topic, and an operator may correct it on
   * a dead-lettered push before replaying it.
   */
  topicHeader?: string;
}

export interface CarrierManifest extends ManifestBase {
  kind: 'carrier';
  tracking: 'push' | 'poll';
  /** Largest batch the carrier's tracking query accepts (poll carriers). */
  trackingBatchSize?: number;
}

export interface PlatformManifest extends ManifestBase {
  kind: 'platform';
}

/** Where and how to reach one partner: base URL and credentials from config. */
export interface PartnerEndpoint {
  partnerId: string;
  baseUrl: string;
  credentials: Readonly<Record<string, string>>;
  timeoutMs?: number;
}

/** An inbound HTTP request as a connector needs it to verify and parse a partner push. */
export interface InboundRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as text (the bytes decoded as strict UTF-8, a leading byte-order mark dropped). */
  rawBody: string;
  /** The exact bytes received, when known (the gateway); signatures are verified over these. */
  rawBytes?: Buffer;
  nowMs: number;
}

/**
 * The bytes a partner signed: those received, never a re-encoding of the decoded text (two
 * different byte strings can decode to the same text).
 */
export function bodyBytes(req: InboundRequest): Buffer {
  return req.rawBytes ?? Buffer.from(req.rawBody, 'utf8');
}

export interface ShipmentRequest {
  orderId: string;
  /** The seller's order number, printed on the label. */
  reference: string;
  /** Stable per order: a retried create must be recognised by the carrier as the same one. */
  idempotencyKey: string;
  recipient: Address;
  items: readonly OrderItem[];
  currency: string;
  declaredValue: string;
  totalWeightGrams: number;
}

export interface ShipmentCreated {
  waybillNo: string;
  partnerShipmentId?: string;
  labelUrl?: string;
  labelFormat?: 'PDF' | 'ZPL' | 'PNG';
  estimatedDelivery?: string;
}

export interface TrackingPush {
  /** The partner's id for this delivery of the push, used to drop re-deliveries. */
  deliveryId: string;
  events: TrackingEvent[];
}

export interface CarrierConnector {
  readonly manifest: CarrierManifest;
  createShipment(req: ShipmentRequest): Promise<ShipmentCreated>;
  /** Poll carriers: events for up to `manifest.trackingBatchSize` waybills. */
  fetchTracking?(waybillNos: readonly string[]): Promise<TrackingEvent[]>;
  /** Push carriers: tell the carrier where to push tracking updates. */
  registerTrackingWebhook?(url: string): Promise<void>;
  verifyCallback?(req: InboundRequest): boolean;
  parseCallback?(req: InboundRequest): TrackingPush;
  /** A cheap call that proves the channel answers; throws a PartnerCallError when it does not. */
  probe?(): Promise<void>;
}

export interface OrderWebhook {
  deliveryId: string;
  topic: string;
  order: OrderInput;
}

export interface PlatformConnector {
  readonly manifest: PlatformManifest;
  /** Tell the platform where to push new orders. */
  subscribeOrderWebhook?(url: string): Promise<void>;
  verifyWebhook(req: InboundRequest): boolean;
  /** Throws a WaygateError('invalid_input') when the payload cannot become a canonical order. */
  parseOrderWebhook(req: InboundRequest): OrderWebhook;
}

export function headerValue(req: InboundRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
