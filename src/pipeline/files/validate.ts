/** Schema checks for file imports: the canonical schemas, with the gateway's Ajv settings. */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { OrderInput, TrackingEvent } from '../../domain/index.js';
import { fieldPath } from '../../domain/validation.js';
import { ajv } from '../validation.js';

export const validateOrderInput: ValidateFunction<OrderInput> = ajv.compile<OrderInput>(OrderInput);
export const validateTrackingEvent: ValidateFunction<TrackingEvent> =
  ajv.compile<TrackingEvent>(TrackingEvent);

export interface FieldError {
  /** JSON pointer of the offending value, e.g. `/items/0/hsCode`. */
  pointer: string;
  message: string;
}

/** One error per offending value (Ajv may report several keywords for one value). */
export function fieldErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  const seen = new Map<string, FieldError>();
  for (const e of errors ?? []) {
    const pointer = fieldPath(e);
    if (seen.has(pointer)) continue;
    let message = e.keyword === 'required' ? 'is required' : (e.message ?? 'is invalid');
    if (e.keyword === 'enum') message = 'is not a known code';
    seen.set(pointer, { pointer, message });
  }
  return [...seen.values()];
}
