/**
 * Carrier Beta's tracking vocabulary (Cainiao-like action codes) and exception reasons,
 * as data. Codes no table knows yet fall back to UNKNOWN (kept and shown, never moves the
 * status); unknown non-empty reasons fall back to 'other'.
 */
import type { ExceptionReason, TrackingCode } from '../../../domain/index.js';
import { PartnerCallError } from '../../errors.js';
import { manifest } from './manifest.js';
import type { BetaError } from './mapper.js';

const PARTNER = manifest.id;

export const BETA_ACTIONS = {
  ACCEPT: 'LABEL_CREATED',
  GOT: 'PICKED_UP',
  ARRIVAL: 'ORIGIN_FACILITY_ARRIVED',
  DEPART: 'ORIGIN_FACILITY_DEPARTED',
  CC_EX_START: 'EXPORT_CUSTOMS_PROCESSING',
  CC_EX_FAILED: 'EXPORT_CUSTOMS_HELD',
  CC_EX_SUCCESS: 'EXPORT_CUSTOMS_RELEASED',
  LH_HO_IN_SUCCESS: 'HANDOVER_TO_LINE_HAUL',
  LH_DEPART: 'LINE_HAUL_DEPARTED',
  LH_ARRIVE: 'LINE_HAUL_ARRIVED',
  CC_IM_START: 'IMPORT_CUSTOMS_PROCESSING',
  CC_IM_HOLD: 'IMPORT_CUSTOMS_HELD',
  CC_IM_TAX: 'DUTIES_PAYMENT_REQUIRED',
  CC_IM_SUCCESS: 'IMPORT_CUSTOMS_RELEASED',
  CPS_HO: 'HANDOVER_TO_LAST_MILE',
  CPS_ARRIVAL: 'DESTINATION_FACILITY_ARRIVED',
  DELIVERING: 'OUT_FOR_DELIVERY',
  FAILED_DELIVERY: 'DELIVERY_ATTEMPT_FAILED',
  WAIT_PICKUP: 'AVAILABLE_FOR_PICKUP',
  SIGNED: 'DELIVERED',
  RETURN: 'RETURN_INITIATED',
  RETURN_SIGNED: 'RETURNED_TO_SENDER',
  DELAY: 'DELAYED',
  DAMAGE: 'DAMAGED',
  LOST: 'LOST',
} as const satisfies Record<string, TrackingCode>;

export const ACTION_FALLBACK: TrackingCode = 'UNKNOWN';

export const BETA_REASONS = {
  NOBODY_HOME: 'recipient_absent',
  ADDR_ERROR: 'address_incorrect',
  REJECTED: 'refused',
  NO_ACCESS: 'access_restricted',
  CLOSED: 'business_closed',
  TAX_UNPAID: 'duties_unpaid',
  ID_REQUIRED: 'id_verification_required',
  DOC_REQUIRED: 'documents_required',
  INSPECTION: 'inspection',
  PROHIBITED: 'restricted_goods',
  WEATHER: 'weather',
} as const satisfies Record<string, ExceptionReason>;

export const REASON_FALLBACK: ExceptionReason = 'other';

export function trackingCodeFor(action: string): TrackingCode {
  return Object.hasOwn(BETA_ACTIONS, action)
    ? BETA_ACTIONS[action as keyof typeof BETA_ACTIONS]
    : ACTION_FALLBACK;
}

/** The canonical reason, or undefined when beta gave none. */
export function reasonFor(reason: string | undefined): ExceptionReason | undefined {
  if (reason === undefined || reason === '') return undefined;
  return Object.hasOwn(BETA_REASONS, reason)
    ? BETA_REASONS[reason as keyof typeof BETA_REASONS]
    : REASON_FALLBACK;
}

/** TOP platform codes that mean our credentials or signature are refused. */
const AUTH_CODES: ReadonlySet<number> = new Set([24, 25, 26, 27, 28, 29]);
/** TOP platform codes that mean "their side failed, try again later". */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([10, 15]);

/**
 * Beta's `<error_response>` as the error the queue acts on: the TOP platform codes as data above,
 * `isv.*` sub-codes (the request is wrong) and `isp.*` (beta's service failed); any other code
 * falls back to a non-retryable refusal.
 */
export function classifyBetaError(error: BetaError): PartnerCallError {
  const partnerCode = error.subCode ?? String(error.code);
  const partnerMessage = error.subMsg ?? error.msg;
  const base = { partnerId: PARTNER, status: 200, partnerCode, partnerMessage };
  if (error.code === 7) {
    return new PartnerCallError({
      ...base,
      code: 'partner_rate_limited',
      retryable: true,
      message: `${PARTNER} limited our calls (${error.code} ${error.msg})`,
    });
  }
  if (AUTH_CODES.has(error.code)) {
    return new PartnerCallError({
      ...base,
      code: 'partner_auth_failed',
      retryable: false,
      message: `${PARTNER} refused our app key or signature (${error.code} ${error.msg})`,
    });
  }
  if (error.subCode?.startsWith('isv.')) {
    return new PartnerCallError({
      ...base,
      code: 'partner_rejected',
      retryable: false,
      message: `${PARTNER} rejected the request (${error.subCode}): ${partnerMessage}`,
    });
  }
  if (TRANSIENT_CODES.has(error.code) || error.subCode?.startsWith('isp.')) {
    return new PartnerCallError({
      ...base,
      code: 'partner_server_error',
      retryable: true,
      message: `${PARTNER} had a service error (${error.code} ${error.msg})`,
    });
  }
  return new PartnerCallError({
    ...base,
    code: 'partner_rejected',
    retryable: false,
    message: `${PARTNER} rejected the request (${error.code} ${error.msg})`,
  });
}
