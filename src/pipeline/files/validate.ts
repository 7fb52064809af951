/** Schema checks for file imports: the canonical schemas, with the gateway's Ajv settings. */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { OrderInput, TrackingEvent } from '../../domain/index.js';
import { ajv, fieldIssues } from '../validation.js';

export const validateOrderInput: ValidateFunction<OrderInput> = ajv.compile<OrderInput>(OrderInput);
export const validateTrackingEvent: ValidateFunction<TrackingEvent> =
  ajv.compile<TrackingEvent>(TrackingEvent);

export interface FieldError {
  /** JSON pointer of the offending value, e.g. `/items/0/hsCode` (`''` for the whole row). */
  pointer: string;
  message: string;
}

/** One error per offending value, worded as every other validation error of the pipeline. */
export function fieldErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  return fieldIssues('', errors).map(({ field, message }) => ({
    pointer: field === '/' ? '' : field,
    message,
  }));
}
