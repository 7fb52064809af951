/**
 * How a partner call failed, as the queue needs to know it: retry later, or stop and hand the
 * job to a human (dead letter). Partner business errors are data on this error, not strings.
 */

export type PartnerErrorCode =
  | 'partner_unreachable'
  | 'partner_timeout'
  | 'partner_server_error'
  | 'partner_rate_limited'
  | 'partner_rejected'
  | 'partner_auth_failed'
  | 'partner_bad_response'
  /** The partner's address is refused by the network policy (SSRF); a config change is needed. */
  | 'partner_address_refused'
  /** The answer passed the partner's response size limit and was not read further. */
  | 'partner_response_too_large'
  /** The answer carried a value outside the canonical bounds (src/domain/partner-values.ts). */
  | 'partner_value_refused';

export interface PartnerErrorInit {
  partnerId: string;
  code: PartnerErrorCode;
  message: string;
  retryable: boolean;
  status?: number;
  /** Milliseconds the partner asked us to wait (Retry-After / X-RateLimit-Reset). */
  retryAfterMs?: number;
  partnerCode?: string;
  partnerMessage?: string;
}

export class PartnerCallError extends Error {
  readonly partnerId: string;
  readonly code: PartnerErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly partnerCode: string | undefined;
  readonly partnerMessage: string | undefined;

  constructor(init: PartnerErrorInit) {
    super(init.message);
    this.name = 'PartnerCallError';
    this.partnerId = init.partnerId;
    this.code = init.code;
    this.retryable = init.retryable;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.partnerCode = init.partnerCode;
    this.partnerMessage = init.partnerMessage;
  }

  toJSON(): Record<string, unknown> {
    return {
      partnerId: this.partnerId,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      partnerCode: this.partnerCode,
      partnerMessage: this.partnerMessage,
    };
  }
}

/**
 * Classifies an HTTP status the usual way: 408, 429 and 5xx are worth retrying; any other 4xx
 * means the request itself is wrong and retrying it can only repeat the rejection.
 */
export function errorForStatus(
  partnerId: string,
  status: number,
  partnerMessage: string,
  extra: { retryAfterMs?: number; partnerCode?: string } = {},
): PartnerCallError {
  const base = { partnerId, status, partnerMessage, ...extra };
  if (status === 429) {
    return new PartnerCallError({
      ...base,
      code: 'partner_rate_limited',
      retryable: true,
      message: `${partnerId} rate-limited the call (429)`,
    });
  }
  if (status === 408 || status >= 500) {
    return new PartnerCallError({
      ...base,
      code: 'partner_server_error',
      retryable: true,
      message: `${partnerId} answered ${status}`,
    });
  }
  if (status === 401 || status === 403) {
    return new PartnerCallError({
      ...base,
      code: 'partner_auth_failed',
      retryable: false,
      message: `${partnerId} refused our credentials (${status})`,
    });
  }
  return new PartnerCallError({
    ...base,
    code: 'partner_rejected',
    retryable: false,
    message: `${partnerId} rejected the request (${status}): ${partnerMessage}`,
  });
}
