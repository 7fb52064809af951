/**
 * Helpers every connector folder uses to declare itself: its manifest (capability flags and
 * settings schema, with the derived fields filled in once here) and its registration entry; and
 * `unwrap`, where a partner's business refusal (data, see PartnerResult) becomes the error the
 * queue dead-letters.
 */
import { errorForStatus, PartnerCallError } from './errors.js';
import { retryAfterMs, type HttpResponse } from './http.js';
import { requiredCredentials } from './settings.js';
import type {
  CarrierConnector,
  CarrierDefinition,
  CarrierManifest,
  ConnectorFactory,
  CustomsConnector,
  CustomsDefinition,
  CustomsManifest,
  FinanceConnector,
  FinanceDefinition,
  FinanceManifest,
  ManifestBase,
  PartnerKind,
  PartnerRejection,
  PartnerResult,
  PlatformConnector,
  PlatformDefinition,
  PlatformManifest,
  SettingsSchema,
  WarehouseConnector,
  WarehouseDefinition,
  WarehouseManifest,
} from './types.js';

type Declared<M> = Omit<M, 'credentials' | 'tracking'>;

function base<K extends PartnerKind, S extends SettingsSchema>(
  m: Declared<ManifestBase<K, S>>,
): ManifestBase<K, S> {
  return Object.freeze({ ...m, credentials: Object.freeze(requiredCredentials(m.settings)) });
}

export function carrierManifest<S extends SettingsSchema>(
  m: Declared<CarrierManifest<S>>,
): CarrierManifest<S> {
  const caps = m.capabilities;
  const tracking = caps.includes('tracking.poll') ? 'poll' : caps.includes('tracking.push') ? 'push' : 'none';
  return Object.freeze({
    ...base<'carrier', S>(m),
    tracking,
    ...(m.trackingBatchSize ? { trackingBatchSize: m.trackingBatchSize } : {}),
  });
}
export const platformManifest = <S extends SettingsSchema>(
  m: Declared<PlatformManifest<S>>,
): PlatformManifest<S> => base(m);
export const customsManifest = <S extends SettingsSchema>(
  m: Declared<CustomsManifest<S>>,
): CustomsManifest<S> => base(m);
export const warehouseManifest = <S extends SettingsSchema>(
  m: Declared<WarehouseManifest<S>>,
): WarehouseManifest<S> => base(m);
export const financeManifest = <S extends SettingsSchema>(
  m: Declared<FinanceManifest<S>>,
): FinanceManifest<S> => base(m);

export const defineCarrier = (
  manifest: CarrierManifest,
  create: ConnectorFactory<CarrierConnector>,
  messages?: CarrierDefinition['messages'],
): CarrierDefinition => ({ kind: 'carrier', manifest, create, ...(messages ? { messages } : {}) });
export const definePlatform = (
  manifest: PlatformManifest,
  create: ConnectorFactory<PlatformConnector>,
): PlatformDefinition => ({ kind: 'platform', manifest, create });
export const defineCustoms = (
  manifest: CustomsManifest,
  create: ConnectorFactory<CustomsConnector>,
): CustomsDefinition => ({ kind: 'customs', manifest, create });
export const defineWarehouse = (
  manifest: WarehouseManifest,
  create: ConnectorFactory<WarehouseConnector>,
): WarehouseDefinition => ({ kind: 'warehouse', manifest, create });
export const defineFinance = (
  manifest: FinanceManifest,
  create: ConnectorFactory<FinanceConnector>,
): FinanceDefinition => ({ kind: 'finance', manifest, create });

/** The error the queue acts on for a business refusal: not retryable, the partner's code kept. */
export function rejectionError(partnerId: string, rejection: PartnerRejection): PartnerCallError {
  return new PartnerCallError({
    partnerId,
    code: 'partner_rejected',
    retryable: false,
    ...(rejection.status !== undefined ? { status: rejection.status } : {}),
    partnerCode: rejection.code,
    partnerMessage: rejection.message,
    // Worded as errorForStatus words a 4xx, so an operator reads every refusal alike.
    message: `${partnerId} rejected the request (${rejection.status ?? rejection.code}): ${rejection.message}`,
  });
}

/** The value of a result, or its refusal thrown as a non-retryable PartnerCallError. */
export function unwrap<T>(partnerId: string, result: PartnerResult<T>): T {
  if (result.ok) return result.value;
  throw rejectionError(partnerId, result.error);
}

/**
 * The answers that say nothing about the request itself — credentials refused (401/403), a
 * timeout (408), rate limiting (429), the partner's own failure (5xx) — as the typed error the
 * queue acts on; undefined for any other status, which the capability's parser reads as data.
 */
export function infrastructureError(
  partnerId: string,
  res: HttpResponse,
  details: (body: string) => { message: string; code?: string },
): PartnerCallError | undefined {
  const s = res.status;
  if (s !== 401 && s !== 403 && s !== 408 && s !== 429 && s < 500) return undefined;
  const wait = retryAfterMs(res.headers);
  const { message, code } = details(res.body);
  return errorForStatus(partnerId, s, message, {
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    ...(code !== undefined ? { partnerCode: code } : {}),
  });
}

/**
 * A partner answer whose body is not what the partner documents (a success without its id, an
 * error body that is not JSON): thrown by a pure parser, turned by callOperation into a typed
 * partner_bad_response.
 */
export class MalformedAnswer extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedAnswer';
  }
}

/**
 * One capability of a JSON connector, Karrio style: where it is called, the pure builder of the
 * partner request from the canonical input, and the pure parser of the partner answer into the
 * canonical output or the partner's refusal (PartnerResult). No I/O here: callOperation sends.
 */
export interface JsonOperation<I, O> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path(input: I): string;
  /** The partner request body, or undefined for none (GET). */
  build(input: I): unknown;
  /** Reads any answer the client did not turn into an infrastructure error; may throw MalformedAnswer. */
  parse(status: number, rawBody: string): PartnerResult<O>;
  /** Asking again cannot do anything twice (a read, or a create with an idempotency key). */
  safeToRepeat: boolean;
}

/** How a connector's client sends one JSON request (I/O only; infrastructure errors thrown). */
export type JsonSend = (req: {
  method: JsonOperation<unknown, unknown>['method'];
  path: string;
  body?: string;
}) => Promise<HttpResponse>;

/** Builds, sends, parses: the canonical output, or the refusal / malformed answer as a typed error. */
export async function callOperation<I, O>(
  partnerId: string,
  send: JsonSend,
  op: JsonOperation<I, O>,
  input: I,
): Promise<O> {
  const body = op.build(input);
  const res = await send({
    method: op.method,
    path: op.path(input),
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  let result: PartnerResult<O>;
  try {
    result = op.parse(res.status, res.body);
  } catch (err) {
    if (!(err instanceof MalformedAnswer)) throw err;
    throw new PartnerCallError({
      partnerId,
      code: 'partner_bad_response',
      retryable: op.safeToRepeat,
      status: res.status,
      message: `${partnerId} answered ${res.status} with an unusable body: ${err.message}`,
    });
  }
  return unwrap(partnerId, result);
}
