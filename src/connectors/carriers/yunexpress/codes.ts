/**
 * YunExpress's vocabularies as data: the per-event numeric `TrackingStatus` mapped to the
 * canonical tracking codes (unknown values fall back to UNKNOWN), and the envelope `Code`s
 * sorted into what the queue does with them.
 */
import type { TrackingCode } from '../../../domain/index.js';
import { PartnerCallError } from '../../errors.js';
import { manifest } from './manifest.js';

export const YUN_TRACKING_STATUS = {
  '10': 'LABEL_CREATED',
  '20': 'PICKED_UP',
  '30': 'ORIGIN_FACILITY_ARRIVED',
  '35': 'ORIGIN_FACILITY_DEPARTED',
  '40': 'EXPORT_CUSTOMS_PROCESSING',
  '42': 'EXPORT_CUSTOMS_HELD',
  '45': 'EXPORT_CUSTOMS_RELEASED',
  '50': 'HANDOVER_TO_LINE_HAUL',
  '52': 'LINE_HAUL_DEPARTED',
  '55': 'LINE_HAUL_ARRIVED',
  '60': 'IMPORT_CUSTOMS_PROCESSING',
  '62': 'IMPORT_CUSTOMS_HELD',
  '63': 'DUTIES_PAYMENT_REQUIRED',
  '65': 'IMPORT_CUSTOMS_RELEASED',
  '70': 'HANDOVER_TO_LAST_MILE',
  '72': 'DESTINATION_FACILITY_ARRIVED',
  '75': 'OUT_FOR_DELIVERY',
  '80': 'DELIVERY_ATTEMPT_FAILED',
  '85': 'AVAILABLE_FOR_PICKUP',
  '90': 'DELIVERED',
  '95': 'RETURN_INITIATED',
  '96': 'RETURNED_TO_SENDER',
  '97': 'DAMAGED',
  '98': 'LOST',
} as const satisfies Record<string, TrackingCode>;

export const STATUS_FALLBACK: TrackingCode = 'UNKNOWN';

export function trackingCodeFor(status: string): TrackingCode {
  return Object.hasOwn(YUN_TRACKING_STATUS, status)
    ? YUN_TRACKING_STATUS[status as keyof typeof YUN_TRACKING_STATUS]
    : STATUS_FALLBACK;
}

/** A refusal in YunExpress's words: its envelope Code (or the order's) and message. */
export interface YunError {
  code: string;
  message: string;
}

type ErrorClass = 'auth' | 'rate_limited' | 'retry' | 'duplicate' | 'rejected';

/** Envelope codes: 0000 is success; these are the ones that are not "the request is wrong". */
export const YUN_ERROR_CLASSES: Readonly<Record<string, ErrorClass>> = {
  '1001': 'auth', // token missing or not recognised
  '1002': 'auth', // account frozen
  '1006': 'rate_limited', // too many requests
  '9999': 'retry', // system error
  ORDER_EXISTS: 'duplicate', // the order's CustomerOrderNumber already has a waybill
};
export const ERROR_FALLBACK: ErrorClass = 'rejected';

export function errorClassOf(code: string): ErrorClass {
  return Object.hasOwn(YUN_ERROR_CLASSES, code) ? (YUN_ERROR_CLASSES[code] as ErrorClass) : ERROR_FALLBACK;
}

export function classifyYunError(error: YunError): PartnerCallError {
  const partnerId = manifest.id;
  const base = { partnerId, status: 200, partnerCode: error.code, partnerMessage: error.message };
  switch (errorClassOf(error.code)) {
    case 'auth':
      return new PartnerCallError({
        ...base,
        code: 'partner_auth_failed',
        retryable: false,
        message: `${partnerId} refused our credentials (${error.code})`,
      });
    case 'rate_limited':
      return new PartnerCallError({
        ...base,
        code: 'partner_rate_limited',
        retryable: true,
        message: `${partnerId} limited our calls (${error.code})`,
      });
    case 'retry':
      return new PartnerCallError({
        ...base,
        code: 'partner_server_error',
        retryable: true,
        message: `${partnerId} had a system error (${error.code})`,
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
