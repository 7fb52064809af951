/**
 * How a job's failure is recorded (store/queue.ts, JobError). Partners echo personal data in
 * their error texts — "recipient Jane Doe, +1 415 555 0100: invalid address" — so what is kept in
 * plain text (the job's `last_error`, its attempt history, the order's history note, the logs)
 * holds none of the partner's words: for a partner error only its structured fields (partner,
 * code, HTTP status, retryable, the partner's own error code when it is a code) and a sentence
 * the hub writes; for other errors the hub's text with contact-like data masked. The error as it
 * was is sealed beside it, opened only for operators allowed to see personal data.
 */
import { PartnerCallError, type PartnerErrorCode } from '../connectors/errors.js';
import { maskFreeText, WaygateError } from '../domain/index.js';
import type { JobError } from '../store/queue.js';

const WHAT: Record<PartnerErrorCode, string> = {
  partner_unreachable: 'could not be reached',
  partner_timeout: 'did not answer in time',
  partner_server_error: 'answered with a server error',
  partner_rate_limited: 'rate-limited the call',
  partner_rejected: 'rejected the request',
  partner_auth_failed: 'refused our credentials',
  partner_bad_response: 'sent an answer the hub cannot use',
  partner_address_refused: 'was not called: the network policy refuses its address',
  partner_response_too_large: 'sent an answer larger than the hub reads',
  partner_value_refused: 'sent a value outside the canonical schema',
};

/** A partner's own error code is kept only when it looks like a code, not like prose. */
const CODE_LIKE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The error as it was: a partner error's JSON, a hub error's code, message and details. */
export function errorText(err: unknown): string {
  if (err instanceof PartnerCallError) return JSON.stringify(err.toJSON());
  if (err instanceof WaygateError)
    return JSON.stringify({ code: err.code, message: err.message, details: err.details });
  if (err instanceof Error) return err.message;
  return String(err);
}

function maskValues(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskFreeText(value, 300);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => maskValues(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValues(v, depth + 1)]));
}

/** The masked form to keep in plain text and log, and the full text to seal. */
export function recordJobError(err: unknown): JobError & { full: string } {
  const full = errorText(err);
  if (err instanceof PartnerCallError) {
    const partnerCode = err.partnerCode && CODE_LIKE.test(err.partnerCode) ? err.partnerCode : undefined;
    const shown = JSON.stringify({
      // First key partnerId: the dead-letter queue's partner filter matches on it (store/dlq.ts).
      partnerId: err.partnerId,
      code: err.code,
      message:
        `${err.partnerId} ${WHAT[err.code]}${err.status !== undefined ? ` (${err.status})` : ''}` +
        (err.partnerMessage || err.message ? '; its text is sealed' : ''),
      retryable: err.retryable,
      status: err.status,
      retryAfterMs: err.retryAfterMs,
      partnerCode,
    });
    return { shown, full };
  }
  if (err instanceof WaygateError) {
    const shown = JSON.stringify({
      code: err.code,
      message: maskFreeText(err.message),
      details: maskValues(err.details),
    });
    return { shown, full };
  }
  return { shown: maskFreeText(full), full };
}
