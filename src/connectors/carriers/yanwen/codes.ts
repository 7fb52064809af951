/**
 * Yanwen's vocabularies as data: tracking `tracking_status` codes (two letters for the leg, two
 * digits for the step) mapped to the canonical tracking codes, unknown ones falling back to
 * UNKNOWN; and the order API's `code`s sorted into what the queue does with them.
 */
import type { TrackingCode } from '../../../domain/index.js';

export const YANWEN_TRACKING_STATUS = {
  OR10: 'LABEL_CREATED', // order received
  PU10: 'PICKED_UP',
  SC10: 'ORIGIN_FACILITY_ARRIVED', // Yanwen sorting centre
  SC20: 'ORIGIN_FACILITY_DEPARTED',
  EC10: 'EXPORT_CUSTOMS_PROCESSING',
  EC20: 'EXPORT_CUSTOMS_RELEASED',
  EC30: 'EXPORT_CUSTOMS_HELD',
  LH10: 'HANDOVER_TO_LINE_HAUL',
  LH20: 'LINE_HAUL_DEPARTED',
  LH30: 'LINE_HAUL_ARRIVED',
  IC10: 'IMPORT_CUSTOMS_PROCESSING',
  IC20: 'IMPORT_CUSTOMS_HELD',
  IC30: 'IMPORT_CUSTOMS_RELEASED',
  LM10: 'HANDOVER_TO_LAST_MILE',
  LM20: 'DESTINATION_FACILITY_ARRIVED',
  LM25: 'OUT_FOR_DELIVERY',
  LM30: 'AVAILABLE_FOR_PICKUP',
  LM35: 'DELIVERY_ATTEMPT_FAILED',
  LM40: 'DELIVERED',
  LM50: 'RETURN_INITIATED',
  LM60: 'RETURNED_TO_SENDER',
} as const satisfies Record<string, TrackingCode>;

export const STATUS_FALLBACK: TrackingCode = 'UNKNOWN';

export function trackingCodeFor(status: string): TrackingCode {
  return Object.hasOwn(YANWEN_TRACKING_STATUS, status)
    ? YANWEN_TRACKING_STATUS[status as keyof typeof YANWEN_TRACKING_STATUS]
    : STATUS_FALLBACK;
}

export type YanwenErrorClass = 'auth' | 'rate_limited' | 'retry' | 'duplicate' | 'rejected';

/** Order API codes other than "0" that are not "the request is wrong". */
const ERROR_CLASSES: Readonly<Record<string, YanwenErrorClass>> = {
  '100': 'auth', // sign mismatch
  '101': 'auth', // user_id unknown or disabled
  '102': 'rejected', // timestamp too far from Yanwen's clock
  '103': 'duplicate', // the orderNumber already has a waybill
  '429': 'rate_limited',
  '500': 'retry',
};

/** Any other code is a refusal of this request for a human to read. */
export const ERROR_FALLBACK: YanwenErrorClass = 'rejected';

export function errorClassOf(code: string): YanwenErrorClass {
  return Object.hasOwn(ERROR_CLASSES, code) ? (ERROR_CLASSES[code] as YanwenErrorClass) : ERROR_FALLBACK;
}
