/**
 * The dead-letter queue: jobs that need a human, with their payload, every attempt and the
 * partner's last error. An operator lists and inspects them, replays one (optionally after an
 * edit, as the job's kind allows in the job registry) or discards it. A job that works on an
 * order moves the order with it: a replay makes a failed order `accepted` again, a discard keeps
 * it `failed` with the reason. Every action is audited (store/dlq.ts).
 */
import type { OrderRecord } from '../store/orders.js';
import { appendHistory, getOrderRow, readOrder, setOrderStatus } from '../store/orders.js';
import type { KeyRing } from '../store/data-keys.js';
import type { Store } from '../store/db.js';
import { JOB_ERROR_CONTEXT, type AttemptRecord } from '../store/queue.js';
import type { Executor } from '../store/transaction.js';
import { scrubFreeText } from '../store/audit.js';
import {
  audited,
  deleteDeadJob,
  findDeadJobs,
  loadDeadJob,
  parseJobError,
  requeueDeadJob,
  type DeadError,
  type DeadFilter,
  type DeadJobRecord,
} from '../store/dlq.js';
import { WaygateError, type OrderStatus } from '../domain/index.js';
import { jobKind } from './jobs/index.js';
import { editNotSupported, payloadMismatch } from './jobs/kind.js';

export type { DeadError, DeadFilter };

export interface DeadJobSummary {
  id: string;
  kind: string;
  /** The job's partner, or else the partner whose error dead-lettered it. */
  partnerId: string | null;
  /** The order the job works on (for kinds that work on one). */
  orderId: string | null;
  attempts: number;
  maxAttempts: number;
  error: DeadError | null;
  createdAt: string;
  deadAt: string;
}

export interface DeadHistoryEntry {
  at: string;
  attempt: number;
  outcome: AttemptRecord['outcome'];
  error: DeadError | null;
  by?: string;
  edited?: string[];
}

export interface DeadJobOrder {
  id: string;
  status: OrderStatus;
  destinationCountry: string;
  currency: string;
  totalValue: string;
  recipient: OrderRecord['recipient'];
  items: OrderRecord['items'];
}

export interface DeadJobDetail extends DeadJobSummary {
  payload: unknown;
  history: DeadHistoryEntry[];
  /** The job's order as it is now (null without one, or when it no longer exists). */
  order: DeadJobOrder | null;
}

export interface ReplayResult {
  id: string;
  kind: string;
  status: 'ready';
  orderId: string | null;
  orderStatus: OrderStatus | null;
  /** JSON pointers of the fields the edit changed (empty without an edit). */
  edited: string[];
}

export interface DiscardResult {
  id: string;
  kind: string;
  status: 'discarded';
  orderId: string | null;
  orderStatus: OrderStatus | null;
}

const orderIdOf = (job: DeadJobRecord) => jobKind(job.kind)?.orderOf(job.payload) ?? null;

function toSummary(job: DeadJobRecord): DeadJobSummary {
  const error = parseJobError(job.lastError);
  return {
    id: job.id,
    kind: job.kind,
    partnerId: job.partnerId ?? error?.partnerId ?? null,
    orderId: orderIdOf(job),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    error,
    createdAt: new Date(job.createdAt).toISOString(),
    deadAt: new Date(job.deadAt).toISOString(),
  };
}

/** Dead jobs, newest first. */
export async function listDead(ex: Executor, f: DeadFilter): Promise<DeadJobSummary[]> {
  return (await findDeadJobs(ex, f)).map(toSummary);
}

/** One dead job with its payload, every attempt, the last error and its order. */
export async function getDead(
  ex: Executor,
  keys: KeyRing,
  id: string,
  /** Whether the viewer may see personal data: then the partner's own error text is unsealed. */
  opts: { personal?: boolean } = {},
): Promise<DeadJobDetail> {
  const job = await loadDeadJob(ex, id);
  const summary = toSummary(job);
  if (opts.personal !== false && job.sealedError !== null) {
    summary.error = parseJobError(await keys.open(job.sealedError, JOB_ERROR_CONTEXT));
  }
  let order: DeadJobOrder | null = null;
  if (summary.orderId) {
    const orderRow = await getOrderRow(ex, summary.orderId);
    if (orderRow) {
      const o = await readOrder(keys, orderRow);
      order = {
        id: o.id,
        status: o.status,
        destinationCountry: o.destinationCountry,
        currency: o.currency,
        totalValue: o.totalValue,
        recipient: o.recipient,
        items: o.items,
      };
    }
  }
  return {
    ...summary,
    payload: job.payload,
    history: job.history.map((h) => ({
      at: new Date(h.at).toISOString(),
      attempt: h.attempt,
      outcome: h.outcome,
      error: parseJobError(h.error),
      ...(h.by !== undefined ? { by: h.by } : {}),
      ...(h.edited !== undefined ? { edited: h.edited } : {}),
    })),
    order,
  };
}

/**
 * Puts a dead job back in the queue: ready now, with a fresh attempt budget and its history kept
 * (plus a `replayed` marker); its failed order goes back to `accepted`. With `edit`, the job's
 * kind applies it first, in the same transaction, by its own edit rules (the job registry): an
 * edit the kind does not allow, or whose result is invalid, is refused with every field named.
 * A job whose stored payload misses its kind's schema is refused: it could only fail again.
 */
export async function replayDead(
  store: Store,
  id: string,
  actor: string,
  edit?: unknown,
  nowMs = Date.now(),
): Promise<ReplayResult> {
  const action = edit === undefined ? 'dlq.replay' : 'dlq.edit_replay';
  return audited(store, { actor, action, target: id, detail: {} }, nowMs, async (trx) => {
    const job = await loadDeadJob(trx, id);
    const kind = jobKind(job.kind);
    const issues = kind?.payloadIssues(job.payload) ?? [];
    if (issues.length > 0) throw payloadMismatch(job.kind, issues);
    const orderId = orderIdOf(job);
    const lastError = parseJobError(job.lastError);
    let edited: string[] = [];
    let payload: { next: unknown } | undefined;
    if (edit !== undefined) {
      if (!kind) throw editNotSupported(job.kind, edit);
      const ctx = { trx, keys: store.keys, nowMs, replacePayload: (next: unknown) => (payload = { next }) };
      edited = await kind.applyEdit(ctx, job.payload, edit);
    }
    const marker: AttemptRecord = {
      at: nowMs,
      attempt: job.attempts,
      outcome: 'replayed',
      error: job.lastError ?? '',
      by: actor,
      ...(edit !== undefined ? { edited } : {}),
    };
    await requeueDeadJob(trx, job, marker, nowMs, payload?.next);

    let orderStatus: OrderStatus | null = null;
    let orderTransition: string | undefined;
    if (orderId) {
      const orderRow = await getOrderRow(trx, orderId);
      if (orderRow) {
        orderStatus = orderRow.status as OrderStatus;
        const note =
          `${job.kind} job replayed from the dead-letter queue` +
          (edited.length > 0 ? ` after editing ${edited.join(', ')}` : '');
        if (orderStatus === 'failed') {
          await setOrderStatus(trx, orderId, 'accepted', note, nowMs);
          orderTransition = 'failed→accepted';
          orderStatus = 'accepted';
        } else if (edit !== undefined) {
          await appendHistory(trx, orderId, orderStatus, note, nowMs);
        }
      }
    }
    return {
      result: { id, kind: job.kind, status: 'ready', orderId, orderStatus, edited },
      detail: {
        kind: job.kind,
        orderId,
        attemptsBefore: job.attempts,
        lastError: lastError?.code ?? null,
        lastErrorPartner: lastError?.partnerId ?? null,
        ...(orderTransition ? { orderStatus: orderTransition } : {}),
        ...(edit !== undefined ? { changed: edited } : {}),
      },
    };
  });
}

/** Deletes a dead job for good; its order stays `failed`, with the reason in its history. */
export async function discardDead(
  store: Store,
  id: string,
  actor: string,
  reason: string,
  nowMs = Date.now(),
): Promise<DiscardResult> {
  const why = typeof reason === 'string' ? reason.trim() : '';
  const base = { actor, action: 'dlq.discard', target: id, detail: { reason: scrubFreeText(why) } };
  return audited(store, base, nowMs, async (trx) => {
    if (why.length === 0 || why.length > 500) {
      throw new WaygateError('invalid_reason', 'a discard needs a reason of 1 to 500 characters', [
        { field: '/reason', message: 'must be 1 to 500 characters' },
      ]);
    }
    const job = await loadDeadJob(trx, id);
    const orderId = orderIdOf(job);
    await deleteDeadJob(trx, id);
    let orderStatus: OrderStatus | null = null;
    if (orderId) {
      const orderRow = await getOrderRow(trx, orderId);
      if (orderRow) {
        orderStatus = orderRow.status as OrderStatus;
        const note = `discarded: ${why}`;
        // `accepted` only when the worker has not marked the order yet (it does so just after).
        if (orderStatus === 'accepted') {
          await setOrderStatus(trx, orderId, 'failed', note, nowMs);
          orderStatus = 'failed';
        } else {
          await appendHistory(trx, orderId, orderStatus, note, nowMs);
        }
      }
    }
    return {
      result: { id, kind: job.kind, status: 'discarded', orderId, orderStatus },
      detail: {
        kind: job.kind,
        orderId,
        attempts: job.attempts,
        lastError: parseJobError(job.lastError)?.code ?? null,
      },
    };
  });
}
