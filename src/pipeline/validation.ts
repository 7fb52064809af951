/**
 * Schema checks inside the pipeline (job payloads, dead-letter edits, file imports): canonical
 * TypeBox schemas compiled by one Ajv with the gateway's body settings — no type coercion, no
 * defaults filled in, every error reported — so a value passes here exactly when it would pass
 * as a request body.
 */
import type { ErrorObject } from 'ajv';
import type { Static, TSchema } from '@sinclair/typebox';
import { createAjv, fieldPath } from '../domain/validation.js';

export const ajv = createAjv();

/** One offending value: its JSON pointer and what is wrong with it. */
export interface FieldIssue {
  field: string;
  message: string;
}

export interface Checker<T> {
  /** True when `value` matches the schema; a type guard, so no cast is needed after it. */
  is(value: unknown): value is T;
  /** Every offending value, as pointers under `prefix` (`/` for the root); empty when it matches. */
  issues(value: unknown, prefix?: string): FieldIssue[];
}

export function checker<S extends TSchema>(schema: S): Checker<Static<S>> {
  const validate = ajv.compile<Static<S>>(schema);
  return {
    is: (value: unknown): value is Static<S> => validate(value),
    issues: (value, prefix = '') => (validate(value) ? [] : fieldIssues(prefix, validate.errors)),
  };
}

/** One issue per offending value (Ajv may report several keywords for one value). */
export function fieldIssues(prefix: string, errors: readonly ErrorObject[] | null | undefined): FieldIssue[] {
  const seen = new Map<string, FieldIssue>();
  for (const e of errors ?? []) {
    const field = `${prefix}${fieldPath(e)}` || '/';
    if (seen.has(field)) continue;
    const message =
      e.keyword === 'required'
        ? 'is required'
        : e.keyword === 'additionalProperties'
          ? 'is not a known field'
          : e.keyword === 'enum'
            ? 'is not a known code'
            : (e.message ?? 'is invalid');
    seen.set(field, { field, message });
  }
  return [...seen.values()];
}
