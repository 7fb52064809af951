/**
 * The one error catalogue. Every error the hub raises on purpose carries a stable `code`;
 * the gateway maps the code's kind to an HTTP status in one place.
 */

export type ErrorKind =
  | 'invalid_input'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export class WaygateError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: unknown;

  constructor(kind: ErrorKind, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'WaygateError';
    this.kind = kind;
    this.code = code;
    this.details = details ?? null;
  }
}

export const invalidInput = (code: string, message: string, details?: unknown) =>
  new WaygateError('invalid_input', code, message, details);
export const notFound = (code: string, message: string) => new WaygateError('not_found', code, message);
export const conflict = (code: string, message: string, details?: unknown) =>
  new WaygateError('conflict', code, message, details);
export const unauthenticated = (code: string, message: string) =>
  new WaygateError('unauthenticated', code, message);
export const forbidden = (code: string, message: string, details?: unknown) =>
  new WaygateError('forbidden', code, message, details);
