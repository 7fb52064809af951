/**
 * UPS's tracking vocabulary as data: an activity's `status.type` letter gives the broad state,
 * and for the in-transit and exception types the activity `status.code` refines it. Anything
 * neither table knows falls back to UNKNOWN (kept and shown, never moving the status).
 */
import type { TrackingCode } from '../../../domain/index.js';

/** `status.type` → canonical code when the code table below has no entry. */
export const UPS_TYPES = {
  M: 'LABEL_CREATED', // manifest: billing information received
  P: 'PICKED_UP',
  D: 'DELIVERED',
  O: 'OUT_FOR_DELIVERY',
  RS: 'RETURNED_TO_SENDER',
} as const satisfies Record<string, TrackingCode>;

/** `status.code` (activity code) → canonical code, for types I and X. */
export const UPS_ACTIVITY_CODES = {
  OR: 'ORIGIN_FACILITY_ARRIVED', // origin scan
  DP: 'ORIGIN_FACILITY_DEPARTED', // departure scan
  AR: 'DESTINATION_FACILITY_ARRIVED', // arrival scan
  IP: 'IMPORT_CUSTOMS_PROCESSING', // import scan
  CS: 'IMPORT_CUSTOMS_HELD', // clearance: held
  SR: 'IMPORT_CUSTOMS_RELEASED', // released by the customs agency
  DT: 'DUTIES_PAYMENT_REQUIRED', // duties and taxes due
  OT: 'OUT_FOR_DELIVERY', // out for delivery today
  DA: 'DELIVERY_ATTEMPT_FAILED', // delivery attempted
  AP: 'AVAILABLE_FOR_PICKUP', // at a UPS Access Point
  RT: 'RETURN_INITIATED', // returning to sender
  DM: 'DAMAGED',
  LS: 'LOST',
  WX: 'DELAYED', // weather delay
} as const satisfies Record<string, TrackingCode>;

export const STATUS_FALLBACK: TrackingCode = 'UNKNOWN';

export function trackingCodeFor(type: string, code: string | undefined): TrackingCode {
  if (code !== undefined && Object.hasOwn(UPS_ACTIVITY_CODES, code)) {
    return UPS_ACTIVITY_CODES[code as keyof typeof UPS_ACTIVITY_CODES];
  }
  if (Object.hasOwn(UPS_TYPES, type)) return UPS_TYPES[type as keyof typeof UPS_TYPES];
  return STATUS_FALLBACK;
}

/** UPS error codes that say "nothing to track yet", not "your request is wrong". */
export const UPS_NOT_FOUND_CODES: ReadonlySet<string> = new Set(['TW0001', 'TV1002']);
