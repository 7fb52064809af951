/**
 * JSON Schema validation, set up once. Every validator of ours (the gateway's bodies and query
 * strings, job payloads, dead-letter edits, file imports, the hub's config) is compiled by an Ajv from
 * `createAjv`, so they agree on what a valid date, e-mail or URI is; and every validation error
 * names its field the same way (`fieldPath`).
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

export interface ValidatorOptions {
  /** Coerce text to the schema's types: for query strings, which arrive as text. Bodies never. */
  coerceTypes?: boolean;
  /** Fill in the schema's defaults (the gateway's requests). */
  useDefaults?: boolean;
}

/** An Ajv reporting every error, adding and removing nothing unless asked, with our formats. */
export function createAjv(opts: ValidatorOptions = {}): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    removeAdditional: false,
    coerceTypes: opts.coerceTypes ?? false,
    useDefaults: opts.useDefaults ?? false,
  });
  addFormats.default(ajv, ['date-time', 'email', 'uri']);
  return ajv;
}

/** The part of an Ajv error (or of Fastify's validation error) that locates it. */
export interface LocatedIssue {
  instancePath: string;
  params?: Record<string, unknown>;
}

/**
 * The JSON pointer of the value an error is about: a missing or unknown property is named
 * itself (`/recipient/phone`), not the object that lacks or has it. `''` is the whole document.
 */
export function fieldPath(issue: LocatedIssue): string {
  const missing = issue.params?.missingProperty;
  const extra = issue.params?.additionalProperty;
  if (typeof missing === 'string') return `${issue.instancePath}/${missing}`;
  if (typeof extra === 'string') return `${issue.instancePath}/${extra}`;
  return issue.instancePath;
}
