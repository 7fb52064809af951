/**
 * A connector's settings, checked against the schema its manifest declares. The hub runs the
 * same check when it loads or hot-reloads its config (src/hub/connector-settings.ts), with the
 * file and line of the offending field; a connector runs it again when it is built, so one
 * built by hand (a test, a script) can no more start without a credential than the hub can.
 */
import { Type, type Static, type TObject, type TProperties, type TString } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import { createAjv, fieldPath } from '../domain/validation.js';
import type { PartnerEndpoint, Settings, SettingsSchema } from './types.js';

/** A credential: a non-empty string, so an unset `${VAR}` that expanded to '' is refused. */
export function Secret(description: string): TString {
  return Type.String({ minLength: 1, description });
}

/**
 * A settings schema: credentials and options are closed objects, so a misspelt key in the config
 * is reported instead of silently ignored.
 */
export function defineSettings<C extends TProperties, O extends TProperties = Record<never, never>>(spec: {
  credentials: C;
  options?: O;
}): SettingsSchema<TObject<C>, TObject<O>> {
  return {
    credentials: Type.Object(spec.credentials, { additionalProperties: false }),
    options: Type.Object(spec.options ?? ({} as O), { additionalProperties: false }),
  };
}

/** The names of the credentials a schema requires. */
export function requiredCredentials(schema: SettingsSchema): string[] {
  return [...((schema.credentials as Partial<TObject>).required ?? [])];
}

/** One offending setting: a JSON pointer under the partner (`/credentials/apiToken`). */
export interface SettingIssue {
  pointer: string;
  message: string;
}

const ajv = createAjv();
const compiled = new WeakMap<SettingsSchema, ValidateFunction>();

function validatorFor(schema: SettingsSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(
      Type.Object(
        { credentials: schema.credentials, options: schema.options },
        { additionalProperties: false },
      ),
    );
    compiled.set(schema, validate);
  }
  return validate;
}

/** Every offending setting, one per field; empty when the settings match the schema. */
export function settingsIssues(
  schema: SettingsSchema,
  value: { credentials?: unknown; options?: unknown },
): SettingIssue[] {
  const validate = validatorFor(schema);
  if (validate({ credentials: value.credentials ?? {}, options: value.options ?? {} })) return [];
  const seen = new Map<string, SettingIssue>();
  for (const e of validate.errors ?? []) {
    const pointer = fieldPath(e);
    if (seen.has(pointer)) continue;
    // Values are never echoed: a credential's value is a secret.
    const message =
      e.keyword === 'required'
        ? 'is required'
        : e.keyword === 'additionalProperties'
          ? 'is not a setting of this connector'
          : e.keyword === 'minLength' && e.params.limit === 1
            ? 'must not be empty'
            : (e.message ?? 'is invalid');
    seen.set(pointer, { pointer, message });
  }
  return [...seen.values()];
}

/** A connector built with settings its schema refuses; a configuration error, never retried. */
export class ConnectorSettingsError extends Error {
  readonly issues: readonly SettingIssue[];
  constructor(connectorId: string, partnerId: string, issues: readonly SettingIssue[]) {
    const list = issues.map((i) => `${i.pointer.slice(1).replaceAll('/', '.')} ${i.message}`).join('; ');
    super(`${partnerId} (connector ${connectorId}): ${list}`);
    this.name = 'ConnectorSettingsError';
    this.issues = issues;
  }
}

/** The endpoint's settings, typed by the schema; throws ConnectorSettingsError when they do not match it. */
export function readSettings<S extends SettingsSchema>(
  manifest: { id: string; settings: S },
  endpoint: PartnerEndpoint,
): Settings<S> {
  const value = { credentials: endpoint.credentials, options: endpoint.options ?? {} };
  const issues = settingsIssues(manifest.settings, value);
  if (issues.length > 0) throw new ConnectorSettingsError(manifest.id, endpoint.partnerId, issues);
  return value as { credentials: Static<S['credentials']>; options: Static<S['options']> };
}
