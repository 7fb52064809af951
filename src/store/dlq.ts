/**
 * The dead-letter queue's storage: jobs with status `dead`, read back with their payload, every
 * attempt and the partner's last error; put back in the queue or deleted. What a kind's payload
 * means, what an operator may edit and what a replay does to the order are the pipeline's
 * (`pipeline/dead-letters.ts`, reading the job registry); this module only persists.
 *
 * Every action is one transaction that also writes its audit row; a refused action is audited
 * too (in its own small transaction, since the action's own one rolled back).
 */
import { sql, type SqlBool } from 'kysely';
import { WaygateError } from '../domain/index.js';
import type { Store } from './db.js';
import { parseHistory, parsePayload, type AttemptRecord } from './queue.js';
import type { Executor } from './transaction.js';
import type { JobsTable } from './schema.js';
import { recordAudit } from './audit.js';

const HISTORY_KEEP = 50;

/** A job's error as stored in `last_error`: a partner error (PartnerCallError JSON) or plain text. */
export interface DeadError {
  code: string;
  message: string;
  partnerId?: string;
  status?: number;
  retryable?: boolean;
  partnerCode?: string;
  partnerMessage?: string;
}

/** A dead job as stored. */
export interface DeadJobRecord {
  id: string;
  kind: string;
  /** The partner stored with the job (see DeadError.partnerId for the one that refused it). */
  partnerId: string | null;
  /** The payload; the stored text itself when it is not JSON (a damaged row). */
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  /** `last_error` as stored (masked: no partner text). */
  lastError: string | null;
  /** The last error in full, sealed (`error_sealed`); null when the masked form is all there is. */
  sealedError: string | null;
  history: AttemptRecord[];
  createdAt: number;
  deadAt: number;
}

export interface DeadFilter {
  kind?: string;
  partnerId?: string;
  limit: number;
  /** Return jobs with ids below this one (newest first). */
  beforeId?: string;
}

export function parseJobError(text: string | null): DeadError | null {
  if (text === null || text === '') return null;
  try {
    const v: unknown = JSON.parse(text);
    if (isPlainObject(v) && typeof v.code === 'string' && typeof v.message === 'string') {
      const e: DeadError = { code: v.code, message: v.message };
      if (typeof v.partnerId === 'string') e.partnerId = v.partnerId;
      if (typeof v.status === 'number') e.status = v.status;
      if (typeof v.retryable === 'boolean') e.retryable = v.retryable;
      if (typeof v.partnerCode === 'string') e.partnerCode = v.partnerCode;
      if (typeof v.partnerMessage === 'string') e.partnerMessage = v.partnerMessage;
      return e;
    }
  } catch {
    // plain text
  }
  return { code: 'error', message: text };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toRecord(row: JobsTable): DeadJobRecord {
  const { payload, payloadError } = parsePayload(row.payload);
  return {
    id: row.id,
    kind: row.kind,
    partnerId: row.partner_id,
    payload: payloadError === undefined ? payload : row.payload,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    sealedError: row.error_sealed,
    history: parseHistory(row.history),
    createdAt: row.created_at,
    deadAt: row.updated_at,
  };
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Dead jobs, newest first. */
export async function findDeadJobs(ex: Executor, f: DeadFilter): Promise<DeadJobRecord[]> {
  let q = ex.selectFrom('jobs').selectAll().where('status', '=', 'dead');
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.partnerId) {
    const partnerId = f.partnerId;
    // A partner error is stored as PartnerCallError.toJSON(), whose first key is partnerId.
    const prefix = `${escapeLike(`{"partnerId":${JSON.stringify(partnerId)},`)}%`;
    q = q.where((eb) =>
      eb.or([eb('partner_id', '=', partnerId), sql<SqlBool>`last_error like ${prefix} escape '\\'`]),
    );
  }
  if (f.beforeId) q = q.where('id', '<', f.beforeId);
  const rows = await q.orderBy('id', 'desc').limit(f.limit).execute();
  return rows.map(toRecord);
}

/** Every dead job of these kinds (an order's dead jobs are among the few of its kinds). */
export async function deadJobsOfKinds(ex: Executor, kinds: readonly string[]): Promise<DeadJobRecord[]> {
  if (kinds.length === 0) return [];
  const rows = await ex
    .selectFrom('jobs')
    .selectAll()
    .where('status', '=', 'dead')
    .where('kind', 'in', [...kinds])
    .execute();
  return rows.map(toRecord);
}

/** One dead job; not found, or not dead (any more), is refused. */
export async function loadDeadJob(ex: Executor, id: string): Promise<DeadJobRecord> {
  const row = await ex.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new WaygateError('dlq_job_not_found', `no job ${id} in the dead-letter queue`);
  if (row.status !== 'dead') {
    throw new WaygateError('dlq_job_not_dead', `job ${id} is ${row.status}, not dead`, {
      status: row.status,
    });
  }
  return toRecord(row);
}

/**
 * Puts a dead job back in the queue: ready now, with a fresh attempt budget and its history kept
 * plus `marker`. Refused when another action took the job first.
 */
export async function requeueDeadJob(
  trx: Executor,
  job: DeadJobRecord,
  marker: AttemptRecord,
  nowMs: number,
  /** A new payload, when the replay's edit changed what the job itself carries. */
  payload?: unknown,
): Promise<void> {
  const res = await trx
    .updateTable('jobs')
    .set({
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
      status: 'ready',
      run_at: nowMs,
      attempts: 0,
      lease_owner: null,
      lease_until: null,
      last_error: null,
      error_sealed: null,
      history: JSON.stringify([...job.history, marker].slice(-HISTORY_KEEP)),
      updated_at: nowMs,
    })
    .where('id', '=', job.id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  if (res.numUpdatedRows === 0n)
    throw new WaygateError('dlq_job_not_dead', `job ${job.id} is no longer dead`);
}

/** Deletes a dead job for good. Refused when another action took the job first. */
export async function deleteDeadJob(trx: Executor, id: string): Promise<void> {
  const res = await trx
    .deleteFrom('jobs')
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  if (res.numDeletedRows === 0n) throw new WaygateError('dlq_job_not_dead', `job ${id} is no longer dead`);
}

export interface Done<T> {
  result: T;
  detail: Record<string, unknown>;
}

/**
 * Runs an action in one write transaction together with its audit row. A refused or failed
 * action rolls back, so its audit row is written afterwards on its own, naming the refused
 * fields (never their values).
 */
export async function audited<T>(
  store: Store,
  audit: { actor: string; action: string; target: string; detail: Record<string, unknown> },
  nowMs: number,
  fn: (trx: Executor) => Promise<Done<T>>,
): Promise<T> {
  try {
    return await store.write(async (trx) => {
      const { result, detail } = await fn(trx);
      await recordAudit(trx, { ...audit, detail: { ...audit.detail, ...detail }, outcome: 'ok' }, nowMs);
      return result;
    });
  } catch (err) {
    const refused = err instanceof WaygateError;
    const fields =
      refused && Array.isArray(err.details)
        ? (err.details as unknown[]).flatMap((d) =>
            isPlainObject(d) && typeof d.field === 'string' ? [d.field] : [],
          )
        : [];
    const detail = {
      ...audit.detail,
      error: refused ? err.code : 'internal_error',
      ...(fields.length > 0 ? { fields } : {}),
    };
    try {
      await store.write((trx) =>
        recordAudit(trx, { ...audit, detail, outcome: refused ? 'rejected' : 'failed' }, nowMs),
      );
    } catch {
      // The store itself is failing: the action did not happen either.
    }
    throw err;
  }
}
