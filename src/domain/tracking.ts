/**
 * The normalised tracking taxonomy.
 *
 * Generic taxonomies (e.g. "in_transit / out_for_delivery / delivered") lose exactly what a
 * cross-border parcel's owner needs to know: which leg it is on (first mile, export customs,
 * line haul, import customs, last mile), who holds it after each handover, whether customs has
 * it and why it is held, and why a delivery attempt failed. Each normalised code therefore
 * carries a stage (the leg), the shipment status it implies, and a progress rank used to order
 * events that carry the same timestamp.
 */

export const TRACKING_STAGES = [
  'pre_transit',
  'first_mile',
  'export_customs',
  'line_haul',
  'import_customs',
  'last_mile',
  'delivery',
  'return',
  'exception',
] as const;
export type TrackingStage = (typeof TRACKING_STAGES)[number];

export const SHIPMENT_STATUSES = [
  'pending',
  'info_received',
  'in_transit',
  'customs_processing',
  'customs_held',
  'out_for_delivery',
  'delivery_failed',
  'available_for_pickup',
  'delivered',
  'returning',
  'returned',
  'exception',
] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

interface CodeInfo {
  stage: TrackingStage;
  status: ShipmentStatus;
  rank: number;
  terminal?: boolean;
  /** A handover moves custody from one carrier (or leg) to the next. */
  handover?: boolean;
}

export const TRACKING_CODES = {
  LABEL_CREATED: { stage: 'pre_transit', status: 'info_received', rank: 10 },
  PICKED_UP: { stage: 'first_mile', status: 'in_transit', rank: 20, handover: true },
  ORIGIN_FACILITY_ARRIVED: { stage: 'first_mile', status: 'in_transit', rank: 22 },
  ORIGIN_FACILITY_DEPARTED: { stage: 'first_mile', status: 'in_transit', rank: 24 },
  EXPORT_CUSTOMS_PROCESSING: { stage: 'export_customs', status: 'customs_processing', rank: 30 },
  EXPORT_CUSTOMS_HELD: { stage: 'export_customs', status: 'customs_held', rank: 32 },
  EXPORT_CUSTOMS_RELEASED: { stage: 'export_customs', status: 'in_transit', rank: 34 },
  HANDOVER_TO_LINE_HAUL: { stage: 'line_haul', status: 'in_transit', rank: 40, handover: true },
  LINE_HAUL_DEPARTED: { stage: 'line_haul', status: 'in_transit', rank: 42 },
  LINE_HAUL_ARRIVED: { stage: 'line_haul', status: 'in_transit', rank: 44 },
  IMPORT_CUSTOMS_PROCESSING: { stage: 'import_customs', status: 'customs_processing', rank: 50 },
  IMPORT_CUSTOMS_HELD: { stage: 'import_customs', status: 'customs_held', rank: 52 },
  DUTIES_PAYMENT_REQUIRED: { stage: 'import_customs', status: 'customs_held', rank: 53 },
  IMPORT_CUSTOMS_RELEASED: { stage: 'import_customs', status: 'in_transit', rank: 56 },
  HANDOVER_TO_LAST_MILE: { stage: 'last_mile', status: 'in_transit', rank: 60, handover: true },
  DESTINATION_FACILITY_ARRIVED: { stage: 'last_mile', status: 'in_transit', rank: 64 },
  OUT_FOR_DELIVERY: { stage: 'delivery', status: 'out_for_delivery', rank: 70 },
  DELIVERY_ATTEMPT_FAILED: { stage: 'delivery', status: 'delivery_failed', rank: 72 },
  AVAILABLE_FOR_PICKUP: { stage: 'delivery', status: 'available_for_pickup', rank: 74 },
  DELIVERED: { stage: 'delivery', status: 'delivered', rank: 100, terminal: true },
  RETURN_INITIATED: { stage: 'return', status: 'returning', rank: 80 },
  RETURNED_TO_SENDER: { stage: 'return', status: 'returned', rank: 101, terminal: true },
  DELAYED: { stage: 'exception', status: 'in_transit', rank: 5 },
  DAMAGED: { stage: 'exception', status: 'exception', rank: 85 },
  LOST: { stage: 'exception', status: 'exception', rank: 102, terminal: true },
  /** Declared fallback for partner codes no table knows yet: kept, shown, never moves the status. */
  UNKNOWN: { stage: 'exception', status: 'in_transit', rank: 0 },
} as const satisfies Record<string, CodeInfo>;

export type TrackingCode = keyof typeof TRACKING_CODES;
export const TRACKING_CODE_LIST = Object.keys(TRACKING_CODES) as TrackingCode[];

/** Why a delivery attempt failed or why customs holds a parcel. */
export const EXCEPTION_REASONS = [
  'recipient_absent',
  'address_incorrect',
  'refused',
  'access_restricted',
  'business_closed',
  'duties_unpaid',
  'id_verification_required',
  'documents_required',
  'inspection',
  'restricted_goods',
  'weather',
  'other',
] as const;
export type ExceptionReason = (typeof EXCEPTION_REASONS)[number];

export function codeInfo(code: TrackingCode): CodeInfo {
  return TRACKING_CODES[code];
}

export function isTrackingCode(value: string): value is TrackingCode {
  return Object.hasOwn(TRACKING_CODES, value);
}

export interface OrderableEvent {
  code: TrackingCode;
  occurredAt: string;
}

/** Orders events by the time they happened (not received); same instant → by progress rank. */
export function compareEvents(a: OrderableEvent, b: OrderableEvent): number {
  const ta = Date.parse(a.occurredAt);
  const tb = Date.parse(b.occurredAt);
  if (ta !== tb) return ta - tb;
  return TRACKING_CODES[a.code].rank - TRACKING_CODES[b.code].rank;
}

/**
 * The shipment status implied by a set of events, whatever order they arrived in.
 * The newest known event decides, except that a terminal event (delivered, returned, lost)
 * is not undone by a later non-terminal scan: last-mile partners' clocks drift, and a
 * "delivered" parcel does not go back out for delivery unless a return starts.
 */
export function resolveShipmentStatus(
  events: readonly OrderableEvent[],
  fallback: ShipmentStatus = 'pending',
): ShipmentStatus {
  const known = events.filter((e) => e.code !== 'UNKNOWN' && e.code !== 'DELAYED').sort(compareEvents);
  const newest = known.at(-1);
  if (!newest) return fallback;
  const newestInfo = codeInfo(newest.code);
  if (newestInfo.terminal || newestInfo.stage === 'return') return newestInfo.status;
  const terminal = known.filter((e) => codeInfo(e.code).terminal).at(-1);
  return terminal ? TRACKING_CODES[terminal.code].status : newestInfo.status;
}

export function isTerminalStatus(status: ShipmentStatus): boolean {
  return status === 'delivered' || status === 'returned' || status === 'exception';
}
