/**
 * Amazon SP-API error codes (`errors[].code`) sorted into what the hub does with them, the order
 * statuses the hub pulls, and the per-operation rate limits Amazon documents (requests per
 * second), used when a 429 names no wait of its own.
 */
export type AmazonErrorClass = 'rate_limited' | 'retry' | 'auth' | 'refused';

const CODE_CLASS: Record<string, AmazonErrorClass> = {
  InvalidInput: 'refused',
  InvalidParameterValue: 'refused',
  NotFound: 'refused',
  InvalidOrderState: 'refused',
  Unauthorized: 'auth',
  InvalidAccessToken: 'auth',
  AccessDenied: 'auth',
  Forbidden: 'auth',
  invalid_grant: 'auth',
  invalid_client: 'auth',
  unauthorized_client: 'auth',
  QuotaExceeded: 'rate_limited',
  TooManyRequests: 'rate_limited',
  InternalFailure: 'retry',
  InternalError: 'retry',
  ServiceUnavailable: 'retry',
  RequestTimeout: 'retry',
};

/** An unknown code is a refusal for a human to read (never retried blindly). */
export const ERROR_FALLBACK: AmazonErrorClass = 'refused';

export function classifyAmazonError(code: string): AmazonErrorClass {
  return Object.hasOwn(CODE_CLASS, code) ? (CODE_CLASS[code] as AmazonErrorClass) : ERROR_FALLBACK;
}

/** Paid, seller-fulfilled orders still to ship (getOrders OrderStatuses). */
export const SHIPPABLE_STATUSES = ['Unshipped', 'PartiallyShipped'] as const;
/** Merchant-fulfilled only: AFN orders are shipped by Amazon itself. */
export const FULFILMENT_CHANNEL = 'MFN';

/** Documented rate (requests per second) per operation, for a 429 without x-amzn-RateLimit-Limit. */
export const DOCUMENTED_RATE: Readonly<Record<string, number>> = {
  getOrders: 0.0167,
  getOrder: 0.5,
  getOrderItems: 0.5,
  confirmShipment: 2,
  createRestrictedDataToken: 1,
};

/** carrierCode sent when options.carrierCodes names none for the carrier (carrierName then required). */
export const CARRIER_CODE_FALLBACK = 'Other';
