/** TikTok Shop's envelope codes (`code`, 0 = success) sorted into what the hub does with them. */
export type TiktokErrorClass = 'rate_limited' | 'retry' | 'auth' | 'refused';

const CODE_CLASS: Record<string, TiktokErrorClass> = {
  '106001': 'auth', // the sign query parameter is invalid
  '105001': 'auth', // access token invalid
  '105002': 'auth', // access token expired
  '106011': 'auth', // shop_cipher invalid
  '36009004': 'refused', // invalid request parameters
  '21001001': 'refused', // order not found
  '21011001': 'refused', // package cannot be shipped in this status
  '429': 'rate_limited',
  '36009003': 'retry', // internal error, try again
};

/** Unknown codes are refusals for a human to read. */
export const CODE_FALLBACK: TiktokErrorClass = 'refused';

export function classifyTiktokError(code: string): TiktokErrorClass {
  return Object.hasOwn(CODE_CLASS, code) ? (CODE_CLASS[code] as TiktokErrorClass) : CODE_FALLBACK;
}

/** Paid and waiting for the seller to ship. */
export const SHIPPABLE_STATUS = 'AWAITING_SHIPMENT';
