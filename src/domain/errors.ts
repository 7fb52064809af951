/**
 * The hub's one error class. A `WaygateError` names a code of the catalogue
 * (`error-catalogue.ts`); its HTTP status and default message come from there, so no caller
 * decides a status of its own and the same code always answers the same way.
 */
import { ERROR_CATALOGUE, type ErrorCode } from './error-catalogue.js';

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

/** The broad class of a status, for code that only needs to know "the caller's fault" etc. */
export function kindOfStatus(status: number): ErrorKind {
  switch (status) {
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
    case 423:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    case 503:
      return 'unavailable';
  }
  return status >= 500 ? 'internal' : 'invalid_input';
}

/** Fills `{name}` placeholders of a catalogue template; a missing value leaves the name visible. */
export function renderMessage(template: string, params: unknown): string {
  const values = typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
  return template.replace(/\{([a-zA-Z]+)\}/g, (m, name: string) => {
    const v = values[name];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : m;
  });
}

export class WaygateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  /** `message` defaults to the catalogue's template filled from `details`. */
  constructor(code: ErrorCode, message?: string, details?: unknown) {
    const spec = ERROR_CATALOGUE[code];
    super(message ?? renderMessage(spec.message, details));
    this.name = 'WaygateError';
    this.code = code;
    this.status = spec.status;
    this.details = details ?? null;
  }

  get kind(): ErrorKind {
    return kindOfStatus(this.status);
  }
}
