/**
 * TOP's error codes (error_response.code / sub_code) sorted into what the hub does with them,
 * and the trade statuses the hub ships. Sources: TOP 平台错误码 (open.taobao.com, docId 114).
 */
export type TopErrorClass = 'rate_limited' | 'retry' | 'auth' | 'refused';

const CODE_CLASS: Record<string, TopErrorClass> = {
  '7': 'rate_limited', // App Call Limited (the sub_msg says how many seconds the ban lasts)
  '8': 'rate_limited', // API Call Limited
  '10': 'retry', // Service currently unavailable
  '11': 'auth', // Insufficient ISV permissions
  '12': 'auth', // Insufficient user permissions
  '25': 'auth', // Invalid signature
  '26': 'auth', // Missing session
  '27': 'auth', // Invalid session
  '28': 'auth', // Missing app key
  '29': 'auth', // Invalid app key
  '40': 'refused', // Missing required arguments
  '41': 'refused', // Invalid arguments
};

/** An unknown code is a refusal for a human to read: retrying cannot make it pass. */
export const CODE_FALLBACK: TopErrorClass = 'refused';

/** Code 15 ("Remote service error") depends on its sub_code: isp.* is TOP's side, isv.* ours. */
export function classifyTopError(code: string, subCode: string | undefined): TopErrorClass {
  if (code === '15') return subCode?.startsWith('isp.') ? 'retry' : 'refused';
  return Object.hasOwn(CODE_CLASS, code) ? (CODE_CLASS[code] as TopErrorClass) : CODE_FALLBACK;
}

/** "This ban will last for 29 more seconds" → 29 000 ms. */
export function banMs(subMsg: string | undefined): number | undefined {
  const m = /last for (\d{1,6}) more seconds/.exec(subMsg ?? '');
  return m ? Number(m[1]) * 1000 : undefined;
}

/** Paid and waiting for the seller to ship: the only trade status the hub takes in. */
export const SHIPPABLE_STATUS = 'WAIT_SELLER_SEND_GOODS';
