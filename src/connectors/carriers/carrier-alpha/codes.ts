/**
 * Alpha's tracking scan codes and exception reason codes, as data, with the canonical code each
 * one means. A code no table knows yet falls back to UNKNOWN (kept and shown, never moves the
 * shipment status) and an unknown reason to 'other'.
 */
import type { ExceptionReason, TrackingCode } from '../../../domain/index.js';

export const ALPHA_EVENT_CODES: Readonly<Record<string, TrackingCode>> = {
  LC: 'LABEL_CREATED',
  PU: 'PICKED_UP',
  AR: 'ORIGIN_FACILITY_ARRIVED',
  OF: 'ORIGIN_FACILITY_DEPARTED',
  EC: 'EXPORT_CUSTOMS_PROCESSING',
  EH: 'EXPORT_CUSTOMS_HELD',
  ER: 'EXPORT_CUSTOMS_RELEASED',
  HO: 'HANDOVER_TO_LINE_HAUL',
  DP: 'LINE_HAUL_DEPARTED',
  AA: 'LINE_HAUL_ARRIVED',
  CC: 'IMPORT_CUSTOMS_PROCESSING',
  CH: 'IMPORT_CUSTOMS_HELD',
  DD: 'DUTIES_PAYMENT_REQUIRED',
  CR: 'IMPORT_CUSTOMS_RELEASED',
  HL: 'HANDOVER_TO_LAST_MILE',
  AD: 'DESTINATION_FACILITY_ARRIVED',
  OD: 'OUT_FOR_DELIVERY',
  DF: 'DELIVERY_ATTEMPT_FAILED',
  PA: 'AVAILABLE_FOR_PICKUP',
  DL: 'DELIVERED',
  RS: 'RETURN_INITIATED',
  RD: 'RETURNED_TO_SENDER',
  DY: 'DELAYED',
  DM: 'DAMAGED',
  LS: 'LOST',
};

export const ALPHA_EVENT_FALLBACK: TrackingCode = 'UNKNOWN';

/** Reason codes alpha puts on DF (failed attempt) and CH/EH/DD (customs hold) scans. */
export const ALPHA_EXCEPTION_CODES: Readonly<Record<string, ExceptionReason>> = {
  NH: 'recipient_absent',
  BA: 'address_incorrect',
  RF: 'refused',
  NA: 'access_restricted',
  BC: 'business_closed',
  WX: 'weather',
  DU: 'duties_unpaid',
  IV: 'id_verification_required',
  DC: 'documents_required',
  IN: 'inspection',
  RG: 'restricted_goods',
};

export const ALPHA_EXCEPTION_FALLBACK: ExceptionReason = 'other';

export function canonicalTrackingCode(alphaCode: string): TrackingCode {
  return Object.hasOwn(ALPHA_EVENT_CODES, alphaCode)
    ? (ALPHA_EVENT_CODES[alphaCode] as TrackingCode)
    : ALPHA_EVENT_FALLBACK;
}

export function canonicalExceptionReason(alphaCode: string): ExceptionReason {
  return Object.hasOwn(ALPHA_EXCEPTION_CODES, alphaCode)
    ? (ALPHA_EXCEPTION_CODES[alphaCode] as ExceptionReason)
    : ALPHA_EXCEPTION_FALLBACK;
}
