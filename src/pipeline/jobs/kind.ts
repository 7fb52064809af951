/**
 * What a job kind declares, once: its name, its payload's schema, the lane whose workers run it,
 * its handler, and what an operator may change before replaying a dead one.
 *
 * The queue below stores any JSON; a payload is checked here, when it is enqueued and again when
 * it is leased. A handler therefore only ever receives a payload of its own schema, typed, and a
 * row damaged in the database goes to the dead letters with the reason instead of reaching it.
 */
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import type { KeyRing } from '../../store/data-keys.js';
import type { Store } from '../../store/db.js';
import { enqueue, type Job, type JobQueue } from '../../store/queue.js';
import type { Executor } from '../../store/transaction.js';
import type { PartnerDirectory } from '../partners.js';
import type { HubSigningKey } from '../../security/certs/index.js';
import type { RateCardBook } from '../settlement/cards.js';
import { checker, type FieldIssue } from '../validation.js';

/**
 * The two worker pools [004-2]: partner pushes are turned into canonical records in one, partner
 * calls are made in the other, so neither waits on the other.
 */
export type Lane = 'inbound' | 'outbound';
export const LANES: readonly Lane[] = ['inbound', 'outbound'];

/** What handlers may use; the hub builds it once. */
export interface JobDeps {
  store: Store;
  queue: JobQueue;
  partners: () => PartnerDirectory;
  /**
   * The rate cards in force, when the hub has them: a shipment's expected charge is stored with
   * its waybill, and re-priced when a tracking event carries the carrier's measured weight.
   */
  rateCards?: () => RateCardBook | undefined;
  /** The hub's certificate store: the key and certificate customs messages are signed with. */
  certificates?: { signingKey(name: string): HubSigningKey };
  /** The time business rules see (outage clocks, snapshot ages); tests inject one. Default Date.now. */
  clock?: () => number;
}

/** A leased job whose payload matched its kind's schema. */
export type TypedJob<P> = Omit<Job, 'payload'> & {
  readonly payload: P;
  /** Names the partner this run goes to when the job was queued without one (routing). */
  routeTo?(partnerId: string): void;
};

export interface JobHandler<P> {
  /** Does the work and completes the job (usually inside its own business transaction). */
  run(job: TypedJob<P>): Promise<void>;
  /** Called once the job is dead-lettered, to mark the business record (never to roll it back). */
  onDead?(job: TypedJob<P>, error: string): Promise<void>;
}

/** Where a dead-letter edit is applied: inside the replay's own transaction. */
export interface EditContext {
  trx: Executor;
  keys: KeyRing;
  nowMs: number;
  /**
   * Replaces the job's own payload for the replay (an edit of what the job carries, e.g. the
   * topic of a stored push, rather than of the business record it works on). The new payload
   * must match the kind's schema; it is written with the replay, in the same transaction.
   */
  replacePayload(next: unknown): void;
}

/** What `dlq replay --edit` may change for a kind, and how the edit is checked and applied. */
export interface EditRule<P> {
  /** Each field an edit may carry, with what it changes (docs, API description, errors). */
  readonly fields: Readonly<Record<string, string>>;
  /**
   * Checks the edit — an invalid one throws `invalid_edit` naming every offending field — and
   * applies it; returns the JSON pointers of what changed.
   */
  apply(ctx: EditContext, payload: P, edit: unknown): Promise<string[]>;
}

export interface DeadLetterRules<P> {
  /**
   * The order a job of this kind works on: shown with the dead job, moved back to `accepted` when
   * it is replayed, kept `failed` (with the reason) when it is discarded.
   */
  orderOf?(payload: P): string;
  /** What an operator may edit before a replay; null when jobs of this kind replay as they are. */
  edit: EditRule<P> | null;
}

export interface JobKindDeclaration<N extends string, S extends TSchema> {
  name: N;
  /** One line for the docs: what a job of this kind does. */
  description: string;
  lane: Lane;
  payload: S;
  /** The partner the job concerns (stored with it: the DLQ's partner filter reads it). */
  partnerOf?(payload: Static<S>): string;
  /** At most one queued job per key: enqueueing a second with the same key does nothing. */
  dedupeKey?(payload: Static<S>): string;
  /** Attempts before the job is dead-lettered (the queue's default when absent). */
  maxAttempts?: number;
  handler(deps: JobDeps): JobHandler<Static<S>>;
  deadLetter: DeadLetterRules<Static<S>>;
}

/** A leased job bound to its handler, its payload checked. */
export interface PreparedJob {
  run(): Promise<void>;
  onDead(error: string): Promise<void>;
}

/** A kind's handler as the worker sees it. */
export interface JobRunner {
  readonly kind: string;
  /** The job bound to its handler, or the error saying why it cannot run at all. */
  prepare(job: Job): PreparedJob | WaygateError;
}

/** A job kind as the registry holds it: every kind behind one type, whatever its payload. */
export interface RegisteredJobKind {
  readonly name: string;
  readonly description: string;
  readonly lane: Lane;
  readonly payloadSchema: TSchema;
  readonly maxAttempts: number | undefined;
  /** The edit's fields and what each changes; null when jobs of this kind replay as they are. */
  readonly editFields: Readonly<Record<string, string>> | null;
  /** Whether a job of this kind works on an order (see DeadLetterRules.orderOf). */
  readonly hasOrder: boolean;
  /** Every way `payload` misses this kind's schema; empty when it matches. */
  payloadIssues(payload: unknown): FieldIssue[];
  /** The order the job works on, or null (no order, or a payload that misses the schema). */
  orderOf(payload: unknown): string | null;
  /** Checks and applies an edit of a dead job before its replay (see EditRule.apply). */
  applyEdit(ctx: EditContext, payload: unknown, edit: unknown): Promise<string[]>;
  runner(deps: JobDeps): JobRunner;
}

export interface JobKind<N extends string, S extends TSchema> extends RegisteredJobKind {
  readonly name: N;
  /**
   * Queues a job of this kind in `ex` (the caller's business transaction, so the job commits with
   * the change it follows, or not at all). A payload that misses the schema is refused: nothing
   * is written. Returns the job id (a new one even when the dedupe key already had a job).
   */
  enqueue(ex: Executor, payload: Static<S>, nowMs?: number): Promise<string>;
}

export function defineJobKind<const N extends string, S extends TSchema>(
  decl: JobKindDeclaration<N, S>,
): JobKind<N, S> {
  const payload = checker(decl.payload);
  const rules = decl.deadLetter;
  return Object.freeze({
    name: decl.name,
    description: decl.description,
    lane: decl.lane,
    payloadSchema: decl.payload,
    maxAttempts: decl.maxAttempts,
    editFields: rules.edit?.fields ?? null,
    hasOrder: rules.orderOf !== undefined,
    payloadIssues: (value: unknown) => payload.issues(value),
    orderOf: (value: unknown) => (rules.orderOf && payload.is(value) ? rules.orderOf(value) : null),
    async applyEdit(ctx: EditContext, value: unknown, edit: unknown) {
      if (!rules.edit) throw editNotSupported(decl.name, edit);
      if (!payload.is(value)) throw payloadMismatch(decl.name, payload.issues(value));
      const checked: EditContext = {
        ...ctx,
        replacePayload(next) {
          if (!payload.is(next)) throw payloadMismatch(decl.name, payload.issues(next));
          ctx.replacePayload(next);
        },
      };
      return rules.edit.apply(checked, value, edit);
    },
    async enqueue(ex: Executor, value: Static<S>, nowMs = Date.now()) {
      const issues = payload.issues(value);
      const first = issues[0];
      if (first) {
        throw new WaygateError(
          'invalid_job_payload',
          `refused to queue a ${decl.name} job: its payload does not match the schema (${first.field} ${first.message})`,
          issues,
        );
      }
      return enqueue(
        ex,
        {
          kind: decl.name,
          payload: value,
          partnerId: decl.partnerOf?.(value) ?? null,
          dedupeKey: decl.dedupeKey?.(value) ?? null,
          ...(decl.maxAttempts !== undefined ? { maxAttempts: decl.maxAttempts } : {}),
        },
        nowMs,
      );
    },
    runner(deps: JobDeps): JobRunner {
      const handler = decl.handler(deps);
      return {
        kind: decl.name,
        prepare(job: Job): PreparedJob | WaygateError {
          if (job.payloadError !== undefined) {
            return new WaygateError(
              'unreadable_job_payload',
              `this ${decl.name} job was dead-lettered without running: ${job.payloadError}`,
            );
          }
          const value = job.payload;
          if (!payload.is(value)) {
            const issues = payload.issues(value);
            return new WaygateError(
              'invalid_job_payload',
              `this ${decl.name} job was dead-lettered without running: its payload does not match ` +
                `the schema (${issues.map((i) => `${i.field} ${i.message}`).join('; ')})`,
              issues,
            );
          }
          const typed: TypedJob<Static<S>> = {
            ...job,
            payload: value,
            routeTo: (partnerId) => {
              job.routedTo = partnerId;
            },
          };
          return {
            run: () => handler.run(typed),
            onDead: async (error) => {
              await handler.onDead?.(typed, error);
            },
          };
        },
      };
    },
  });
}

/** A dead job whose stored payload misses its kind's schema: replaying it would only fail again. */
export function payloadMismatch(kind: string, issues: FieldIssue[]): WaygateError {
  const first = issues[0];
  return new WaygateError(
    'dlq_payload_invalid',
    `this ${kind} job's stored payload does not match its schema` +
      (first ? ` (${first.field} ${first.message})` : '') +
      '; it would fail again: discard it',
    issues,
  );
}

/** Refuses an edit, naming every offending field (the 400 the API and the CLI show). */
export function invalidEdit(details: FieldIssue[]): never {
  const first = details[0];
  throw new WaygateError(
    'invalid_edit',
    first ? `the edit is invalid: ${first.field} ${first.message}` : 'the edit is invalid',
    details,
  );
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Refuses any edit of a kind that has no edit rule, naming each field the edit tried to change. */
export function editNotSupported(kind: string, edit: unknown): WaygateError {
  const keys = isPlainObject(edit) ? Object.keys(edit) : [];
  const fields = keys.length > 0 ? keys.map((k) => `/${k}`) : ['/'];
  return new WaygateError(
    'edit_not_supported',
    `jobs of kind ${kind} cannot be edited, only replayed`,
    fields.map((field) => ({ field, message: `${kind} jobs cannot be edited` })),
  );
}

/**
 * An edit rule whose fields are the properties of `schema` (their descriptions say what each
 * changes). An edit is refused, naming the field, when it is not an object, carries a field
 * `schema` does not list, changes nothing, or misses the schema; `apply` gets it typed.
 */
export function defineEdit<P, E extends TObject>(
  schema: E,
  apply: (ctx: EditContext, payload: P, edit: Static<E>) => Promise<string[]>,
): EditRule<P> {
  const fields: Record<string, string> = {};
  for (const [name, field] of Object.entries(schema.properties)) fields[name] = field.description ?? '';
  const names = Object.keys(fields);
  const check = checker(schema);
  return {
    fields: Object.freeze(fields),
    async apply(ctx, payload, edit) {
      if (!isPlainObject(edit))
        invalidEdit([{ field: '/', message: `must be an object with ${names.join(' and/or ')}` }]);
      const unknown = Object.keys(edit).filter((k) => !Object.hasOwn(fields, k));
      if (unknown.length > 0) {
        invalidEdit(
          unknown.map((k) => ({ field: `/${k}`, message: `cannot be edited (only ${names.join(' and ')})` })),
        );
      }
      if (Object.keys(edit).length === 0)
        invalidEdit([{ field: '/', message: `must change ${names.join(' and/or ')}` }]);
      if (!check.is(edit)) invalidEdit(check.issues(edit));
      return apply(ctx, payload, edit);
    },
  };
}
