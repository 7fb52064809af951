/**
 * The connector contract: one small interface per partner kind, a manifest declaring what a
 * connector can do (capability flags) and what it needs (settings schema), and the result union
 * a partner's business answer comes back in. Everything crossing these interfaces is canonical;
 * partner field names stay inside each connector's folder. docs/connectors.md walks through it.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type {
  Address,
  OrderInput,
  OrderItem,
  ShipmentStatus,
  TrackingEvent,
  WaygateError,
} from '../domain/index.js';
import type { HttpClient } from './http.js';
import type { PartnerSigning } from '../security/certs/partner-signing.js';

export type Tier = 'A' | 'B' | 'C';

export const PARTNER_KINDS = ['carrier', 'platform', 'customs', 'warehouse', 'finance'] as const;
export type PartnerKind = (typeof PARTNER_KINDS)[number];

/**
 * What a connector of each kind may be able to do. A manifest lists the ones it does; the
 * methods each flag stands for (CAPABILITY_METHODS) are then present on the connector, and the
 * optional methods of the flags it does not list are absent (checked for every registered connector).
 */
export const CAPABILITIES = {
  carrier: [
    'shipment.create',
    'tracking.push',
    'tracking.poll',
    'probe',
    'shipment.cancel',
    'label.fetch',
    'bills.fetch',
    'return.label',
  ],
  platform: [
    'orders.webhook',
    'orders.subscribe',
    'orders.fetch',
    'orders.pull',
    'fulfilment.send',
    'stock.update',
    'returns.webhook',
    'returns.update',
  ],
  customs: ['declaration.submit', 'declaration.status', 'messages.exchange'],
  warehouse: [
    'outbound.create',
    'outbound.status',
    'stock.query',
    'stock.push',
    'inbound.create',
    'return.announce',
    'return.cancel',
  ],
  finance: ['payment.declare', 'payment.status', 'fx.rates'],
} as const satisfies Record<PartnerKind, readonly string[]>;

export type CapabilityOf<K extends PartnerKind> = (typeof CAPABILITIES)[K][number];

/** The connector methods each capability flag stands for. */
export const CAPABILITY_METHODS: { readonly [K in PartnerKind]: Record<CapabilityOf<K>, readonly string[]> } =
  {
    carrier: {
      'shipment.create': ['createShipment'],
      'tracking.push': ['registerTrackingWebhook', 'verifyCallback', 'parseCallback'],
      'tracking.poll': ['fetchTracking'],
      probe: ['probe'],
      'shipment.cancel': ['cancelShipment'],
      'label.fetch': ['fetchLabel'],
      'bills.fetch': ['fetchBill'],
      'return.label': ['createReturnLabel'],
    },
    platform: {
      'orders.webhook': ['verifyWebhook', 'parseOrderWebhook'],
      'orders.subscribe': ['subscribeOrderWebhook'],
      'orders.fetch': ['fetchOrder'],
      'orders.pull': ['pullOrders'],
      'fulfilment.send': ['sendFulfilment'],
      'stock.update': ['updateStock'],
      'returns.webhook': ['subscribeReturnWebhook', 'parseReturnWebhook'],
      'returns.update': ['updateReturn'],
    },
    customs: {
      'declaration.submit': ['submitDeclaration'],
      'declaration.status': ['declarationStatus'],
      'messages.exchange': ['sendMessage', 'nextReceipt', 'acknowledgeReceipt'],
    },
    warehouse: {
      'outbound.create': ['createOutbound'],
      'outbound.status': ['outboundStatus'],
      'stock.query': ['queryStock'],
      'stock.push': ['subscribeStockEvents', 'verifyStockPush', 'parseStockPush'],
      'inbound.create': ['createInbound'],
      'return.announce': ['announceReturn'],
      'return.cancel': ['cancelReturn'],
    },
    finance: {
      'payment.declare': ['declarePayment'],
      'payment.status': ['paymentStatus'],
      'fx.rates': ['fxRate'],
    },
  };

/**
 * What a connector needs from config, as JSON Schema (TypeBox): `credentials` (secrets, each a
 * non-empty string, filled from the environment) and `options` (partner settings that are not
 * secret). The hub checks a partner's config against it when the config is loaded and on every
 * hot reload (src/hub/connector-settings.ts), so a missing credential stops the start with its
 * file, line and field instead of failing on the first call.
 */
export interface SettingsSchema<C extends TSchema = TSchema, O extends TSchema = TSchema> {
  credentials: C;
  options: O;
}

export interface Settings<S extends SettingsSchema> {
  credentials: Static<S['credentials']>;
  options: Static<S['options']>;
}

export interface ManifestBase<
  K extends PartnerKind = PartnerKind,
  S extends SettingsSchema = SettingsSchema,
> {
  id: string;
  kind: K;
  name: string;
  dialect: 'rest-json' | 'xml-http' | 'soap' | 'edi-x12' | 'edifact' | 'ceb-xml';
  auth: string;
  defaultTier: Tier;
  /** The partner API version the connector speaks (e.g. `1.1.0`, `v2409`). */
  version?: string;
  capabilities: readonly CapabilityOf<K>[];
  settings: S;
  /** Names of the credentials the settings schema requires (derived from it by defineManifest). */
  credentials: readonly string[];
  /**
   * The header naming a push's topic, when the partner sends one outside its signature. The hub
   * de-duplicates pushes on the signed bytes plus this topic, and an operator may correct it on
   * a dead-lettered push before replaying it.
   */
  topicHeader?: string;
  /**
   * The header carrying the partner's own id of a push, the same on each of its re-deliveries
   * (Shopify's `X-Shopify-Webhook-Id`). When set, and present on a push, the hub de-duplicates
   * the partner's pushes on that id alone: a re-delivery is a duplicate even when its bytes
   * differ (re-serialised), and two pushes with equal bytes but their own ids (an
   * `orders/updated` sent twice) are each handled.
   */
  deliveryIdHeader?: string;
}

export interface CarrierManifest<S extends SettingsSchema = SettingsSchema> extends ManifestBase<
  'carrier',
  S
> {
  /** How tracking reaches the hub, derived from the capability flags. */
  tracking: 'push' | 'poll' | 'none';
  /** Largest batch the carrier's tracking query accepts (poll carriers). */
  trackingBatchSize?: number;
}

export type PlatformManifest<S extends SettingsSchema = SettingsSchema> = ManifestBase<'platform', S>;
export type CustomsManifest<S extends SettingsSchema = SettingsSchema> = ManifestBase<'customs', S>;
export type WarehouseManifest<S extends SettingsSchema = SettingsSchema> = ManifestBase<'warehouse', S>;
export type FinanceManifest<S extends SettingsSchema = SettingsSchema> = ManifestBase<'finance', S>;

export type AnyManifest =
  CarrierManifest | PlatformManifest | CustomsManifest | WarehouseManifest | FinanceManifest;

/** Where and how to reach one partner: base URL, credentials and options from config. */
export interface PartnerEndpoint {
  partnerId: string;
  baseUrl: string;
  credentials: Readonly<Record<string, string>>;
  options?: Readonly<Record<string, unknown>>;
  timeoutMs?: number;
}

/**
 * A partner's answer to one call, as data: its value, or its business refusal (a bad address, a
 * duplicate, a closed account). Infrastructure failures are not results: they are thrown as
 * PartnerCallErrors whose `retryable` tells the queue to retry or to dead-letter.
 */
export type PartnerResult<T, E = PartnerRejection> = { ok: true; value: T } | { ok: false; error: E };

/** A partner's business refusal, in canonical terms. */
export interface PartnerRejection {
  /** The partner's own error code (kept for the operator; mapped by the connector's codes.ts). */
  code: string;
  message: string;
  /** The canonical field the refusal is about, when the partner says. */
  field?: string;
  status?: number;
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

// ---------------------------------------------------------------------------------------------
// Carrier
// ---------------------------------------------------------------------------------------------

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
  /** The label itself, when the carrier returns it with the create (UPS); stored sealed by the hub. */
  label?: ShipmentLabel;
  estimatedDelivery?: string;
}

/** A shipping label as the carrier renders it, fetched once and kept by the hub. */
export interface ShipmentLabel {
  format: 'PDF' | 'ZPL' | 'PNG';
  /** The label's bytes (a PDF document, ZPL commands, a PNG image). */
  data: Buffer;
}

export interface TrackingPush {
  /** The partner's id for this delivery of the push, used to drop re-deliveries. */
  deliveryId: string;
  events: TrackingEvent[];
}

/**
 * A carrier. Business refusals reach the pipeline as non-retryable PartnerCallErrors carrying
 * the partner's code (see result.ts `unwrap`); every method but createShipment is optional and
 * present exactly when the manifest lists its capability.
 */
export interface CarrierConnector {
  readonly manifest: CarrierManifest;
  /** 'shipment.create' */
  createShipment(req: ShipmentRequest): Promise<ShipmentCreated>;
  /** 'tracking.poll': events for up to `manifest.trackingBatchSize` waybills. */
  fetchTracking?(waybillNos: readonly string[]): Promise<TrackingEvent[]>;
  /** 'tracking.push': tell the carrier where to push tracking updates. */
  registerTrackingWebhook?(url: string): Promise<void>;
  verifyCallback?(req: InboundRequest): boolean;
  parseCallback?(req: InboundRequest): TrackingPush;
  /** 'probe': a cheap call that proves the channel answers; throws a PartnerCallError when it does not. */
  probe?(): Promise<void>;
  /** 'shipment.cancel': voids a waybill not yet handed over; a refusal is a partner_rejected error. */
  cancelShipment?(waybillNo: string): Promise<void>;
  /** 'label.fetch': the label of a waybill this carrier issued, in the format the carrier renders. */
  fetchLabel?(waybillNo: string): Promise<ShipmentLabel>;
  /**
   * 'bills.fetch': the carrier's bill of a month (YYYY-MM) exactly as it sent it — the hub keeps
   * it raw before reading it with the partner's column mapping (docs/settlement.md).
   */
  fetchBill?(period: string): Promise<PartnerBillDocument>;
  /**
   * 'return.label': a return waybill and label for a parcel the buyer sends back to a warehouse
   * (the carrier collects from `sender`); stable `idempotencyKey`, as for createShipment.
   */
  createReturnLabel?(req: ReturnLabelRequest): Promise<ShipmentCreated>;
}

/** A return parcel: from the buyer (`sender`) to the warehouse's returns dock (`recipient`). */
export interface ReturnLabelRequest {
  /** The hub's return id (RMA), printed on the label. */
  returnId: string;
  /** The original order's seller reference. */
  reference: string;
  idempotencyKey: string;
  sender: Address;
  recipient: Address;
  items: readonly OrderItem[];
  currency: string;
  declaredValue: string;
  totalWeightGrams: number;
}

/** A partner's bill as received: JSON or CSV text, read later through its column mapping. */
export interface PartnerBillDocument {
  format: 'json' | 'csv';
  body: string;
}

// ---------------------------------------------------------------------------------------------
// Platform
// ---------------------------------------------------------------------------------------------

export interface OrderWebhook {
  deliveryId: string;
  topic: string;
  order: OrderInput;
}

/**
 * A push that names an order without carrying it (TikTok Shop's ORDER_STATUS_CHANGE): the hub
 * reads the order back with `fetchOrder` (job `orders.fetch`) when `fetch` is true — the order
 * reached a status the hub takes orders in — and otherwise only acknowledges it.
 */
export interface OrderNotice {
  deliveryId: string;
  topic: string;
  notice: {
    /** The platform's order id (the canonical order's externalId). */
    externalId: string;
    /** The order's status at the platform, as the push says it. */
    status: string;
    fetch: boolean;
  };
}

/** A shipment reported back to the sales platform (its fulfilment / shipping confirmation). */
export interface FulfilmentRequest {
  /** The platform's own order id: the canonical order's externalId. */
  externalOrderId: string;
  waybillNo: string;
  /** The carrier as the platform's buyers should see it (e.g. "4PX", "UPS"). */
  carrierName: string;
  /** The hub's id of the carrier (`fourpx`): the key of a platform's per-carrier settings. */
  carrierId?: string;
  trackingUrl?: string;
  /** The canonical shipment status now (the platform may show it to the buyer). */
  status: ShipmentStatus;
  /** The platform's id of a fulfilment sent before: update it rather than create another. */
  partnerRef?: string;
}

export interface FulfilmentSent {
  /** The platform's fulfilment id (kept to update it as tracking moves). */
  partnerRef: string;
}

/** One page of orders pulled from a platform, and where the next page starts. */
export interface OrderPage {
  orders: OrderInput[];
  /** Opaque cursor of the next page; absent on the last one. */
  next?: string;
  /**
   * Orders of the page the connector could not map (one bad order does not fail its page): the
   * hub keeps each, raw and sealed, for replay through the dead letters (`readPulledOrder`).
   */
  refused?: RefusedOrder[];
}

/** A pulled order its connector could not make canonical, as the platform served it. */
export interface RefusedOrder {
  /** The platform's order id (as far as it could be read; `?` when not at all). */
  externalId: string;
  /** The partner's payload for the order, as the connector's `readPulledOrder` takes it back. */
  raw: string;
  /** The mapping's refusal (order_payload_invalid, its fields named). */
  error: WaygateError;
}

export interface PlatformConnector {
  readonly manifest: PlatformManifest;
  /** 'orders.pull': orders updated since `since` (ISO 8601), one page at a time. */
  pullOrders?(since: string, cursor?: string): Promise<OrderPage>;
  /** 'fulfilment.send': tell the platform the order shipped (and, later, how it moves). */
  sendFulfilment?(req: FulfilmentRequest): Promise<FulfilmentSent>;
  /**
   * A refused pulled order's raw payload (`OrderPage.refused[].raw`) read again, for its replay
   * from the dead letters; throws WaygateError('order_payload_invalid') when it still cannot be.
   */
  readPulledOrder?(raw: string): OrderInput;
  /** 'orders.subscribe': tell the platform where to push new orders. */
  subscribeOrderWebhook?(url: string): Promise<void>;
  /** 'orders.webhook' */
  /** 'orders.webhook' (a platform whose orders are pulled has neither method). */
  verifyWebhook?(req: InboundRequest): boolean;
  /**
   * Throws a WaygateError('invalid_input') when the payload cannot become a canonical order. A
   * platform whose pushes carry no order (needs `orders.fetch`) answers an OrderNotice.
   */
  parseOrderWebhook?(req: InboundRequest): OrderWebhook | OrderNotice;
  /** 'orders.fetch': reads one order back from the platform, as a canonical order. */
  fetchOrder?(externalId: string): Promise<OrderInput>;
  /** 'stock.update': sets the sellable quantity of one SKU (absolute: a repeat is harmless). */
  updateStock?(update: StockUpdate): Promise<void>;
  /** 'returns.webhook': tell the platform where to push buyers' return requests. */
  subscribeReturnWebhook?(url: string): Promise<void>;
  /**
   * 'returns.webhook': a verified push (verifyWebhook) read as a canonical return request;
   * throws a WaygateError('invalid_input'-class) when it cannot be one.
   */
  parseReturnWebhook?(req: InboundRequest): ReturnRequestWebhook;
  /** 'returns.update': tells the platform where a return stands (absolute: a repeat is harmless). */
  updateReturn?(update: ReturnStatusUpdate): Promise<void>;
}

/** A buyer's return request as a platform pushes it, in canonical terms. */
export interface ReturnRequestWebhook {
  deliveryId: string;
  /** The platform's id of the return request. */
  returnId: string;
  /** The platform's order id (the canonical order's externalId). */
  externalOrderId: string;
  kind: 'refund' | 'exchange';
  reason: string;
  lines: Array<{ sku: string; quantity: number; exchangeSku?: string }>;
}

/** Where a return stands, as told to the platform it belongs to. */
export interface ReturnStatusUpdate {
  externalOrderId: string;
  /** The hub's return id (RMA). */
  returnId: string;
  /** The platform's own return id, when the request came from it. */
  platformReturnId?: string;
  status: string;
  carrier?: string;
  waybillNo?: string;
  /** Set once refunded: the amount, in `currency`. */
  refundAmount?: string;
  currency: string;
  /** Set once an exchange's replacement order exists. */
  replacementOrderId?: string;
}

/** The sellable stock of one SKU as pushed to a sales platform. */
export interface StockUpdate {
  sku: string;
  available: number;
  /** `snapshot` while a warehouse is down and its last snapshot serves [004-3.2]. */
  source: 'warehouse' | 'snapshot';
  /** The snapshot's age when `source` is `snapshot`. */
  snapshotAgeSeconds?: number;
}

// ---------------------------------------------------------------------------------------------
// Customs, warehouse, finance (the next issues' partners)
// ---------------------------------------------------------------------------------------------

export interface DeclarationRequest {
  orderId: string;
  reference: string;
  idempotencyKey: string;
  recipient: Address;
  items: readonly OrderItem[];
  currency: string;
  declaredValue: string;
}

export type DeclarationState = 'submitted' | 'accepted' | 'held' | 'released' | 'rejected' | 'unknown';

export interface DeclarationStatus {
  declarationNo: string;
  state: DeclarationState;
  /** The customs office's own status code, kept for the operator. */
  partnerCode: string;
}

export interface CustomsConnector {
  readonly manifest: CustomsManifest;
  /** 'declaration.submit' */
  submitDeclaration?(req: DeclarationRequest): Promise<DeclarationStatus>;
  /** 'declaration.status' */
  declarationStatus?(declarationNo: string): Promise<DeclarationStatus>;
  /**
   * 'messages.exchange': the partner takes signed messages as files and answers with receipt
   * files (the customs transfer client). Sending the same name twice replaces the file whole.
   */
  sendMessage?(name: string, content: string): Promise<void>;
  /** The next receipt not yet acknowledged; one read but never acknowledged is offered again. */
  nextReceipt?(): Promise<ReceiptFile | undefined>;
  /** The receipt is applied: it is not offered again. */
  acknowledgeReceipt?(file: ReceiptFile): Promise<void>;
}

/** A receipt file as the partner left it (its name is the partner's; its content is sealed on storing). */
export interface ReceiptFile {
  name: string;
  content: string;
}

export interface OutboundRequest {
  orderId: string;
  idempotencyKey: string;
  recipient: Address;
  items: readonly OrderItem[];
}

export type OutboundState = 'received' | 'picking' | 'packed' | 'shipped' | 'cancelled' | 'unknown';

export interface OutboundStatus {
  outboundNo: string;
  state: OutboundState;
  partnerCode: string;
  /** Once shipped: the last-mile waybill and the carrier (a hub carrier id) that has the parcel. */
  waybillNo?: string;
  lastMileCarrier?: string;
}

export interface StockLevel {
  sku: string;
  /** Units on the warehouse's shelf (its truth for on-hand). */
  onHand: number;
  /** Units the warehouse has allocated to open outbound orders (informational). */
  allocated?: number;
  /** The warehouse's time of this SKU's count, when it differs from the report's (paged counts). */
  asOf?: number;
}

/** A warehouse's full stock count: every SKU it holds, as of its own clock. */
export interface StockReport {
  /** The warehouse's time of the count (epoch ms). */
  asOf: number;
  levels: StockLevel[];
}

export type StockEventKind =
  'inbound_received' | 'outbound_shipped' | 'adjustment' | 'damage' | 'return_received';

/** One stock change a warehouse pushed, in canonical terms. */
export interface StockEvent {
  /** The warehouse's id of the change (a re-delivery carries the same one). */
  eventId: string;
  kind: StockEventKind;
  sku: string;
  /** Signed change of the on-hand count. */
  delta: number;
  /** When it happened on the warehouse's clock (epoch ms). */
  occurredAt: number;
  /** The hub's reference it concerns: order id (shipped), ASN reference (received), RMA (return). */
  reference?: string;
  /** Shipped: the last-mile waybill and carrier the warehouse handed the parcel to. */
  waybillNo?: string;
  lastMileCarrier?: string;
  /** Returns: the inspection result. */
  inspection?: 'resellable' | 'damaged' | 'missing';
  /** Returns: the units the parcel held for this SKU (in any state; 0 when missing). */
  quantity?: number;
}

export interface InboundReceiptRequest {
  /** The hub's ASN reference, stable: a retried create is recognised as the same one. */
  reference: string;
  lines: ReadonlyArray<{ sku: string; quantity: number }>;
}

export interface InboundReceiptCreated {
  asnNo: string;
}

/** A return announced to a warehouse (RMA pre-advice), so its returns dock expects the parcel. */
export interface ReturnAnnouncement {
  /** The hub's return id: stable, a retried announcement is recognised as the same one. */
  returnId: string;
  orderId: string;
  lines: ReadonlyArray<{ sku: string; quantity: number }>;
}

export interface ReturnAnnounced {
  /** The warehouse's number of the return. */
  warehouseReturnNo: string;
  /** Where the buyer's parcel must go (the return label's recipient). */
  address: Address;
}

export interface WarehouseConnector {
  readonly manifest: WarehouseManifest;
  /** 'outbound.create' */
  createOutbound?(req: OutboundRequest): Promise<OutboundStatus>;
  /** 'outbound.status': the outbound order of the hub's order id (the pull beside the shipped push). */
  outboundStatus?(orderId: string): Promise<OutboundStatus>;
  /** 'stock.query': the full count (every SKU the warehouse holds). */
  queryStock?(): Promise<StockReport>;
  /** 'stock.push': tell the warehouse where to push stock changes. */
  subscribeStockEvents?(url: string): Promise<void>;
  verifyStockPush?(req: InboundRequest): boolean;
  parseStockPush?(req: InboundRequest): StockEvent;
  /** 'inbound.create': announce an inbound receipt (ASN). */
  createInbound?(req: InboundReceiptRequest): Promise<InboundReceiptCreated>;
  /** 'return.announce': announce a return (RMA); the warehouse answers with its returns address. */
  announceReturn?(req: ReturnAnnouncement): Promise<ReturnAnnounced>;
  /**
   * 'return.cancel': the warehouse stops expecting an announced return (the seller cancelled
   * it); cancelling one already cancelled succeeds. A refusal (already received) is partner_rejected.
   */
  cancelReturn?(req: ReturnCancellation): Promise<void>;
}

/** A return the hub cancelled, as the warehouse that expects it knows it. */
export interface ReturnCancellation {
  returnId: string;
  /** The warehouse's number of the return (its answer to the announcement). */
  warehouseReturnNo: string;
  reason: string;
}

export interface PaymentDeclarationRequest {
  orderId: string;
  idempotencyKey: string;
  currency: string;
  amount: string;
  payerName: string;
  payerIdNumber?: string;
}

export type PaymentState = 'submitted' | 'accepted' | 'rejected' | 'unknown';

export interface PaymentStatus {
  paymentNo: string;
  state: PaymentState;
  partnerCode: string;
}

export interface FinanceConnector {
  readonly manifest: FinanceManifest;
  /** 'payment.declare' */
  declarePayment?(req: PaymentDeclarationRequest): Promise<PaymentStatus>;
  /** 'payment.status' */
  paymentStatus?(paymentNo: string): Promise<PaymentStatus>;
  /**
   * 'fx.rates': the partner's rate `base` → `quote` for `day` (YYYY-MM-DD) as a decimal string,
   * or undefined when it publishes none for that pair and day.
   */
  fxRate?(base: string, quote: string, day: string): Promise<string | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

export interface ConnectorOptions {
  /** Given to connectors whose partner signs messages with certificates [003-7.2]. */
  signing?: PartnerSigning;
}

export type ConnectorFactory<T> = (endpoint: PartnerEndpoint, http: HttpClient, opts?: ConnectorOptions) => T;

/**
 * One partner message a connector can translate on its own, for `waygate connectors map`: `in`
 * reads a partner payload into the canonical result (a PartnerResult for answers), `out` builds
 * the partner payload from a canonical value. Both pure; a payload that is not the partner's
 * format throws (MalformedAnswer) with a message naming the partner field.
 */
export interface MessageMapping {
  description: string;
  in?: (raw: string) => unknown;
  out?: (canonical: unknown) => unknown;
}

interface Definition<K extends PartnerKind, M, C> {
  kind: K;
  manifest: M;
  create: ConnectorFactory<C>;
  /** The messages `waygate connectors map` can translate, by kind (e.g. `tracking`). */
  messages?: Readonly<Record<string, MessageMapping>>;
}

export type CarrierDefinition = Definition<'carrier', CarrierManifest, CarrierConnector>;
export type PlatformDefinition = Definition<'platform', PlatformManifest, PlatformConnector>;
export type CustomsDefinition = Definition<'customs', CustomsManifest, CustomsConnector>;
export type WarehouseDefinition = Definition<'warehouse', WarehouseManifest, WarehouseConnector>;
export type FinanceDefinition = Definition<'finance', FinanceManifest, FinanceConnector>;

/** What each connector's index.ts exports as `connector`, and registry.ts lists. */
export type ConnectorDefinition =
  CarrierDefinition | PlatformDefinition | CustomsDefinition | WarehouseDefinition | FinanceDefinition;

export function headerValue(req: InboundRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
