/**
 * JSON Schema validation, set up once. Every validator of ours (the gateway's bodies and query
 * strings, job payloads, dead-letter edits, file imports, the hub's config) is compiled by an Ajv from
 * `createAjv`, so they agree on what a valid date, e-mail or URI is; and every validation error
 * names its field the same way (`fieldPath`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Marks a code list by the standard that defines it (`'ISO 4217'`), so a value outside it is
 * reported as "is not an ISO 4217 code" instead of a list of hundreds of values.
 */
export const CODE_STANDARD = 'x-code-standard';

/** Lists up to this many values are spelt out in the message; longer ones are counted. */
const LISTED_VALUES = 20;

export interface ValidatorOptions {
  /** Coerce text to the schema's types: for query strings, which arrive as text. Bodies never. */
  coerceTypes?: boolean;
  /** Fill in the schema's defaults (the gateway's requests). */
  useDefaults?: boolean;
}

/**
 * An Ajv reporting every error, adding and removing nothing unless asked, with our formats.
 * Its validators say what is allowed where Ajv's own messages do not (`explainErrors`).
 */
export function createAjv(opts: ValidatorOptions = {}): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    removeAdditional: false,
    coerceTypes: opts.coerceTypes ?? false,
    useDefaults: opts.useDefaults ?? false,
    // The failing keyword's schema is needed to name the allowed values; explainErrors drops it
    // (and the offending value) again before anyone sees the errors.
    verbose: true,
  });
  addFormats.default(ajv, ['date-time', 'email', 'uri']);
  const compile = ajv.compile.bind(ajv);
  ajv.compile = ((schema: object, meta?: boolean) => explaining(compile(schema, meta))) as Ajv['compile'];
  return ajv;
}

/** The validator with its errors passed through `explainErrors` after every run. */
function explaining<T>(validate: ValidateFunction<T>): ValidateFunction<T> {
  const run = function (this: unknown, data: unknown, ctx?: Parameters<ValidateFunction<T>>[1]) {
    const ok = validate.call(this, data, ctx);
    run.errors = ok ? null : explainErrors(validate.errors ?? []);
    return ok;
  } as ValidateFunction<T>;
  run.schema = validate.schema;
  run.schemaEnv = validate.schemaEnv;
  if (validate.source) run.source = validate.source;
  if (validate.evaluated) run.evaluated = validate.evaluated;
  return run;
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function oneOf(values: readonly unknown[]): string {
  return values.length <= LISTED_VALUES
    ? `must be one of ${values.map(show).join(', ')}`
    : `must be one of the ${values.length} allowed values`;
}

const isConstBranch = (b: unknown): b is { const: unknown } =>
  typeof b === 'object' && b !== null && 'const' in b;

/**
 * Ajv's messages rewritten by keyword to name what is allowed: `enum` lists its values (or
 * names the standard of a code list), a choice of constants (`anyOf` of `const`, TypeBox's
 * union of literals) becomes one error listing them instead of one "must be equal to
 * constant" per branch, and a lone `const` names its value. Verbose fields are dropped.
 */
export function explainErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  // A union of literals fails once per branch plus once for the anyOf: fold them into one.
  const folded = new Map<ErrorObject, ErrorObject>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf' || !Array.isArray(e.schema) || !e.schema.every(isConstBranch)) continue;
    const values = e.schema.map((b) => b.const);
    const one: ErrorObject = {
      ...e,
      keyword: 'enum',
      params: { allowedValues: values },
      message: oneOf(values),
    };
    folded.set(e, one);
    // Each branch's own failures (`const`, and `type` for a value of another type).
    for (const c of errors)
      if (c.instancePath === e.instancePath && c.schemaPath.startsWith(`${e.schemaPath}/`))
        folded.set(c, one);
  }
  const out: ErrorObject[] = [];
  const emitted = new Set<ErrorObject>();
  for (const e of errors) {
    let next = folded.get(e) ?? e;
    if (emitted.has(next)) continue;
    emitted.add(next);
    if (next === e) {
      if (e.keyword === 'enum') {
        const standard = (e.parentSchema as Record<string, unknown> | undefined)?.[CODE_STANDARD];
        const values = (e.params as { allowedValues?: unknown[] }).allowedValues ?? [];
        next = { ...e, message: typeof standard === 'string' ? `is not an ${standard} code` : oneOf(values) };
      } else if (e.keyword === 'const') {
        next = { ...e, message: `must be ${show((e.params as { allowedValue?: unknown }).allowedValue)}` };
      }
    }
    const { schema: _schema, parentSchema: _parent, data: _data, ...lean } = next;
    void _schema;
    void _parent;
    void _data;
    out.push(lean);
  }
  return out;
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
