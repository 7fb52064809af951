/**
 * Cainiao's vocabularies as data: global logistics `actionCode`s mapped to the canonical
 * tracking codes (unknown ones fall back to UNKNOWN), and LINK's gateway error codes sorted into
 * what the queue does with them.
 */
import type { TrackingCode } from '../../../domain/index.js';
import { PartnerCallError } from '../../errors.js';
import { manifest } from './manifest.js';

export const CAINIAO_ACTIONS = {
  GWMS_ACCEPT: 'LABEL_CREATED',
  PU_PICKUP_SUCCESS: 'PICKED_UP',
  SC_INBOUND_SUCCESS: 'ORIGIN_FACILITY_ARRIVED',
  SC_OUTBOUND_SUCCESS: 'ORIGIN_FACILITY_DEPARTED',
  CC_EX_START: 'EXPORT_CUSTOMS_PROCESSING',
  CC_EX_FAILED: 'EXPORT_CUSTOMS_HELD',
  CC_EX_SUCCESS: 'EXPORT_CUSTOMS_RELEASED',
  LH_HO_AIRLINE: 'HANDOVER_TO_LINE_HAUL',
  LH_DEPART: 'LINE_HAUL_DEPARTED',
  LH_ARRIVE: 'LINE_HAUL_ARRIVED',
  CC_IM_START: 'IMPORT_CUSTOMS_PROCESSING',
  CC_IM_HOLD: 'IMPORT_CUSTOMS_HELD',
  CC_IM_TAX: 'DUTIES_PAYMENT_REQUIRED',
  CC_IM_SUCCESS: 'IMPORT_CUSTOMS_RELEASED',
  GTMS_ACCEPT: 'HANDOVER_TO_LAST_MILE',
  GTMS_STA_ARRIVE: 'DESTINATION_FACILITY_ARRIVED',
  GTMS_DO_DEPART: 'OUT_FOR_DELIVERY',
  GTMS_DELIVERY_FAILED: 'DELIVERY_ATTEMPT_FAILED',
  GTMS_WAIT_PICKUP: 'AVAILABLE_FOR_PICKUP',
  GTMS_SIGNED: 'DELIVERED',
  RETURN_START: 'RETURN_INITIATED',
  RETURN_SIGNED: 'RETURNED_TO_SENDER',
  LOST: 'LOST',
} as const satisfies Record<string, TrackingCode>;

export const ACTION_FALLBACK: TrackingCode = 'UNKNOWN';

export function trackingCodeFor(action: string): TrackingCode {
  return Object.hasOwn(CAINIAO_ACTIONS, action)
    ? CAINIAO_ACTIONS[action as keyof typeof CAINIAO_ACTIONS]
    : ACTION_FALLBACK;
}

export interface CainiaoError {
  code: string;
  message: string;
}

type ErrorClass = 'auth' | 'rate_limited' | 'retry' | 'rejected';

/** LINK gateway codes (S…) and the ones of its services that are not "the request is wrong". */
export const CAINIAO_ERROR_CLASSES: Readonly<Record<string, ErrorClass>> = {
  S01: 'auth', // logistic_provider_id unknown or not authorised for msg_type
  S02: 'auth', // data_digest check failed
  S04: 'rate_limited', // flow control
  S05: 'retry', // gateway timeout calling the service
  S99: 'retry', // system error
};
export const ERROR_FALLBACK: ErrorClass = 'rejected';

export function classifyCainiaoError(error: CainiaoError): PartnerCallError {
  const partnerId = manifest.id;
  const cls = Object.hasOwn(CAINIAO_ERROR_CLASSES, error.code)
    ? (CAINIAO_ERROR_CLASSES[error.code] as ErrorClass)
    : ERROR_FALLBACK;
  const base = { partnerId, status: 200, partnerCode: error.code, partnerMessage: error.message };
  if (cls === 'auth')
    return new PartnerCallError({
      ...base,
      code: 'partner_auth_failed',
      retryable: false,
      message: `${partnerId} refused our resource code or digest (${error.code})`,
    });
  if (cls === 'rate_limited')
    return new PartnerCallError({
      ...base,
      code: 'partner_rate_limited',
      retryable: true,
      message: `${partnerId} limited our calls (${error.code})`,
    });
  if (cls === 'retry')
    return new PartnerCallError({
      ...base,
      code: 'partner_server_error',
      retryable: true,
      message: `${partnerId} had a system error (${error.code})`,
    });
  return new PartnerCallError({
    ...base,
    code: 'partner_rejected',
    retryable: false,
    message: `${partnerId} rejected the request (${error.code}): ${error.message}`,
  });
}
