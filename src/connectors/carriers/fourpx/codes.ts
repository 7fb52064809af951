/**
 * 4PX's vocabularies as data: the tracking `businessLinkCode`s mapped to the canonical tracking
 * codes (unknown ones fall back to UNKNOWN, kept and shown, never moving the status), the
 * `consignment_status` letters of ds.xms.order.get, and the `error_code`s of its envelope sorted
 * into what the queue does with them.
 */
import type { TrackingCode } from '../../../domain/index.js';
import { PartnerCallError } from '../../errors.js';
import { manifest } from './manifest.js';

/** businessLinkCode → canonical code. FPX_<leg>_<event>: C collection, E export, M main line, I import, D delivery. */
export const FOURPX_EVENT_CODES = {
  FPX_L_RPIF: 'LABEL_CREATED',
  FPX_C_SPLS: 'PICKED_UP',
  FPX_C_AAF: 'ORIGIN_FACILITY_ARRIVED',
  FPX_C_ADFF: 'ORIGIN_FACILITY_DEPARTED',
  FPX_E_ECCS: 'EXPORT_CUSTOMS_PROCESSING',
  FPX_E_ECCF: 'EXPORT_CUSTOMS_HELD',
  FPX_E_ECCC: 'EXPORT_CUSTOMS_RELEASED',
  FPX_M_LHHO: 'HANDOVER_TO_LINE_HAUL',
  FPX_M_LHDP: 'LINE_HAUL_DEPARTED',
  FPX_M_LHAR: 'LINE_HAUL_ARRIVED',
  FPX_I_ICCS: 'IMPORT_CUSTOMS_PROCESSING',
  FPX_I_ICCH: 'IMPORT_CUSTOMS_HELD',
  FPX_I_ICTX: 'DUTIES_PAYMENT_REQUIRED',
  FPX_I_ICCC: 'IMPORT_CUSTOMS_RELEASED',
  FPX_D_LMHO: 'HANDOVER_TO_LAST_MILE',
  FPX_D_ARDC: 'DESTINATION_FACILITY_ARRIVED',
  FPX_D_OFD: 'OUT_FOR_DELIVERY',
  FPX_D_DAF: 'DELIVERY_ATTEMPT_FAILED',
  FPX_D_AFP: 'AVAILABLE_FOR_PICKUP',
  FPX_S_OK: 'DELIVERED',
  FPX_R_RTS: 'RETURN_INITIATED',
  FPX_R_RTD: 'RETURNED_TO_SENDER',
  FPX_X_DLY: 'DELAYED',
  FPX_X_DMG: 'DAMAGED',
  FPX_X_LOST: 'LOST',
} as const satisfies Record<string, TrackingCode>;

export const EVENT_FALLBACK: TrackingCode = 'UNKNOWN';

export function trackingCodeFor(businessLinkCode: string): TrackingCode {
  return Object.hasOwn(FOURPX_EVENT_CODES, businessLinkCode)
    ? FOURPX_EVENT_CODES[businessLinkCode as keyof typeof FOURPX_EVENT_CODES]
    : EVENT_FALLBACK;
}

/** ds.xms.order.get `consignment_status`: whether the consignment can still be cancelled. */
export const CONSIGNMENT_STATUSES = {
  P: 'predicted',
  V: 'handed_over',
  H: 'in_warehouse',
  C: 'outbound',
  F: 'completed',
  R: 'returned',
  X: 'closed',
} as const;

/** One entry of the envelope's `errors`. */
export interface FourpxError {
  code: string;
  message: string;
  referenceCode?: string;
}

/** What the queue does with an envelope error code. */
export type ErrorClass = 'auth' | 'rate_limited' | 'retry' | 'duplicate' | 'rejected';

/**
 * Generic FOP codes and the DS business codes whose meaning is not "the request is wrong".
 * Anything else (a missing field, an unknown product, an unknown order) is a refusal.
 */
export const FOURPX_ERROR_CLASSES: Readonly<Record<string, ErrorClass>> = {
  '000012': 'auth', // signature error
  '000013': 'auth', // app_key invalid
  '000014': 'auth', // access_token invalid or expired
  '000017': 'rate_limited', // call frequency limited (one minute)
  '000001': 'retry', // system busy
  DS000007: 'retry', // ref_no is still being processed: ask again shortly
  DS000009: 'duplicate', // ref_no already has a consignment
};
export const ERROR_FALLBACK: ErrorClass = 'rejected';

export function errorClassOf(code: string): ErrorClass {
  return Object.hasOwn(FOURPX_ERROR_CLASSES, code)
    ? (FOURPX_ERROR_CLASSES[code] as ErrorClass)
    : ERROR_FALLBACK;
}

/** 4PX asks a rate-limited caller to wait a minute. */
const RATE_LIMIT_WAIT_MS = 60_000;

/** An envelope with result "0" as the error the queue acts on (duplicates are handled by the caller). */
export function classifyFourpxError(error: FourpxError): PartnerCallError {
  const partnerId = manifest.id;
  const base = { partnerId, status: 200, partnerCode: error.code, partnerMessage: error.message };
  switch (errorClassOf(error.code)) {
    case 'auth':
      return new PartnerCallError({
        ...base,
        code: 'partner_auth_failed',
        retryable: false,
        message: `${partnerId} refused our app key or signature (${error.code} ${error.message})`,
      });
    case 'rate_limited':
      return new PartnerCallError({
        ...base,
        code: 'partner_rate_limited',
        retryable: true,
        retryAfterMs: RATE_LIMIT_WAIT_MS,
        message: `${partnerId} limited our calls (${error.code})`,
      });
    case 'retry':
      return new PartnerCallError({
        ...base,
        code: 'partner_server_error',
        retryable: true,
        message: `${partnerId} asked us to try again (${error.code} ${error.message})`,
      });
    default:
      return new PartnerCallError({
        ...base,
        code: 'partner_rejected',
        retryable: false,
        message: `${partnerId} rejected the request (${error.code}): ${error.message}`,
      });
  }
}
