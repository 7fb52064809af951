/**
 * The dead-letter queue: jobs with status `dead` wait here for a human, with their payload, the
 * history of every attempt and the partner's last error. An operator lists and inspects them,
 * replays one (optionally after fixing the order data that made the partner refuse it), or
 * discards it. Every action is one transaction that also writes its audit row; a refused action
 * is audited too (in its own small transaction, since the action's own one rolled back).
 */
import { sql, type SqlBool } from 'kysely';
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { Type } from '@sinclair/typebox';
import { Address, OrderItem, WaygateError, multiply, sum, type OrderStatus } from '../domain/index.js';
import type { Store } from './db.js';
import type { AttemptRecord, Executor } from './queue.js';
import type { JobsTable } from './schema.js';
import {
  appendHistory,
  getOrderRow,
  readOrder,
  sealRecipient,
  setOrderStatus,
  type OrderRecord,
} from './orders.js';
import type { KeyRing } from './data-keys.js';
import { recordAudit, scrubFreeText } from './audit.js';

/** The job kind whose payload is `{orderId}` (pipeline/accept-order.ts SHIPMENT_CREATE). */
const SHIPMENT_CREATE = 'shipment.create';
/** Order statuses in which the order data may still be edited: no carrier has it yet. */
const EDITABLE: ReadonlySet<string> = new Set<OrderStatus>(['accepted', 'failed']);
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

export interface DeadJobSummary {
  id: string;
  kind: string;
  /** The job's partner, or else the partner whose error dead-lettered it. */
  partnerId: string | null;
  /** For `shipment.create`: the order the job ships. */
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
  /** For `shipment.create`: the order as it is now (null when it no longer exists). */
  order: DeadJobOrder | null;
}

export interface DeadFilter {
  kind?: string;
  partnerId?: string;
  limit: number;
  /** Return jobs with ids below this one (newest first). */
  beforeId?: string;
}

/**
 * An edit-and-replay of a `shipment.create` job: a JSON merge patch (RFC 7396) on the order's
 * `recipient` (null removes a field), and/or the order's complete new `items` (a merge patch
 * replaces arrays whole).
 */
export interface DlqEdit {
  recipient?: Record<string, unknown>;
  items?: unknown[];
}

export interface ReplayResult {
  id: string;
  kind: string;
  status: 'ready';
  orderId: string | null;
  orderStatus: OrderStatus | null;
  /** JSON pointers of the order fields the edit changed (empty without an edit). */
  edited: string[];
}

export interface DiscardResult {
  id: string;
  kind: string;
  status: 'discarded';
  orderId: string | null;
  orderStatus: OrderStatus | null;
}

export interface FieldIssue {
  field: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Reading

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

function orderIdOf(row: JobsTable): string | null {
  if (row.kind !== SHIPMENT_CREATE) return null;
  try {
    const p: unknown = JSON.parse(row.payload);
    return isPlainObject(p) && typeof p.orderId === 'string' ? p.orderId : null;
  } catch {
    return null;
  }
}

function toSummary(row: JobsTable): DeadJobSummary {
  const error = parseJobError(row.last_error);
  return {
    id: row.id,
    kind: row.kind,
    partnerId: row.partner_id ?? error?.partnerId ?? null,
    orderId: orderIdOf(row),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    error,
    createdAt: new Date(row.created_at).toISOString(),
    deadAt: new Date(row.updated_at).toISOString(),
  };
}

function parseHistory(text: string): AttemptRecord[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as AttemptRecord[]) : [];
  } catch {
    return [];
  }
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Dead jobs, newest first. */
export async function listDead(ex: Executor, f: DeadFilter): Promise<DeadJobSummary[]> {
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
  return rows.map(toSummary);
}

async function loadDead(ex: Executor, id: string): Promise<JobsTable> {
  const row = await ex.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new WaygateError('dlq_job_not_found', `no job ${id} in the dead-letter queue`);
  if (row.status !== 'dead') {
    throw new WaygateError('dlq_job_not_dead', `job ${id} is ${row.status}, not dead`, {
      status: row.status,
    });
  }
  return row;
}

/** One dead job with its payload, every attempt, the last error and (for shipments) its order. */
export async function getDead(ex: Executor, keys: KeyRing, id: string): Promise<DeadJobDetail> {
  const row = await loadDead(ex, id);
  const summary = toSummary(row);
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
    payload: JSON.parse(row.payload) as unknown,
    history: parseHistory(row.history).map((h) => ({
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

// ---------------------------------------------------------------------------------------------
// Acting

interface Done<T> {
  result: T;
  detail: Record<string, unknown>;
}

/**
 * Runs an action in one write transaction together with its audit row. A refused or failed
 * action rolls back, so its audit row is written afterwards on its own.
 */
async function audited<T>(
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

/**
 * Puts a dead job back in the queue: ready now, with a fresh attempt budget and its history kept
 * (plus a `replayed` marker). A `shipment.create` job's order goes from `failed` back to
 * `accepted`. With `edit`, the order's recipient and/or items are fixed first, in the same
 * transaction; an edit whose result is not a valid order is refused with every field named.
 */
export async function replayDead(
  store: Store,
  id: string,
  actor: string,
  edit?: DlqEdit,
  nowMs = Date.now(),
): Promise<ReplayResult> {
  const action = edit === undefined ? 'dlq.replay' : 'dlq.edit_replay';
  return audited(store, { actor, action, target: id, detail: {} }, nowMs, async (trx) => {
    const row = await loadDead(trx, id);
    const orderId = orderIdOf(row);
    const lastError = parseJobError(row.last_error);
    let edited: string[] = [];
    if (edit !== undefined) {
      if (row.kind !== SHIPMENT_CREATE || !orderId) {
        throw new WaygateError(
          'edit_not_supported',
          `jobs of kind ${row.kind} cannot be edited, only replayed`,
        );
      }
      edited = await editOrder(trx, store.keys, orderId, edit, nowMs);
    }
    const marker: AttemptRecord = {
      at: nowMs,
      attempt: row.attempts,
      outcome: 'replayed',
      error: row.last_error ?? '',
      by: actor,
      ...(edit !== undefined ? { edited } : {}),
    };
    const res = await trx
      .updateTable('jobs')
      .set({
        status: 'ready',
        run_at: nowMs,
        attempts: 0,
        lease_owner: null,
        lease_until: null,
        last_error: null,
        history: JSON.stringify([...parseHistory(row.history), marker].slice(-HISTORY_KEEP)),
        updated_at: nowMs,
      })
      .where('id', '=', id)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) throw new WaygateError('dlq_job_not_dead', `job ${id} is no longer dead`);

    let orderStatus: OrderStatus | null = null;
    let orderTransition: string | undefined;
    if (orderId) {
      const orderRow = await getOrderRow(trx, orderId);
      if (orderRow) {
        orderStatus = orderRow.status as OrderStatus;
        const note =
          `shipment job replayed from the dead-letter queue` +
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
      result: { id, kind: row.kind, status: 'ready', orderId, orderStatus, edited },
      detail: {
        kind: row.kind,
        orderId,
        attemptsBefore: row.attempts,
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
    const row = await loadDead(trx, id);
    const orderId = orderIdOf(row);
    const res = await trx
      .deleteFrom('jobs')
      .where('id', '=', id)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    if (res.numDeletedRows === 0n) throw new WaygateError('dlq_job_not_dead', `job ${id} is no longer dead`);
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
      result: { id, kind: row.kind, status: 'discarded', orderId, orderStatus },
      detail: {
        kind: row.kind,
        orderId,
        attempts: row.attempts,
        lastError: parseJobError(row.last_error)?.code ?? null,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Editing an order before a replay

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false });
addFormats.default(ajv, ['date-time', 'email', 'uri']);
const validateAddress = ajv.compile<Address>(Address);
const validateItems = ajv.compile<OrderItem[]>(Type.Array(OrderItem, { minItems: 1, maxItems: 500 }));

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (FORBIDDEN_KEYS.has(k)) continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function issues(prefix: string, errors: ErrorObject[] | null | undefined): FieldIssue[] {
  return (errors ?? []).map((e) => {
    const missing = e.params.missingProperty;
    const extra = e.params.additionalProperty;
    const at =
      typeof missing === 'string'
        ? `${e.instancePath}/${missing}`
        : typeof extra === 'string'
          ? `${e.instancePath}/${extra}`
          : e.instancePath;
    return {
      field: `${prefix}${at}`,
      message: typeof extra === 'string' ? 'is not a known field' : (e.message ?? 'is invalid'),
    };
  });
}

function fail(details: FieldIssue[]): never {
  const first = details[0];
  throw new WaygateError(
    'invalid_edit',
    first ? `the edited order is invalid: ${first.field} ${first.message}` : 'the edit is invalid',
    details,
  );
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function changedFields(prefix: string, before: Record<string, unknown>, after: Record<string, unknown>) {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => !same(before[k], after[k])).map((k) => `${prefix}/${k}`);
}

/** The order's recipient and items after `edit`, validated, and the pointers of what changed. */
export function applyOrderEdit(
  order: Pick<OrderRecord, 'recipient' | 'items'>,
  edit: unknown,
): { recipient: Address; items: OrderItem[]; totalValue: string; changed: string[] } {
  if (!isPlainObject(edit)) fail([{ field: '/', message: 'must be an object with recipient and/or items' }]);
  const unknown = Object.keys(edit).filter((k) => k !== 'recipient' && k !== 'items');
  if (unknown.length > 0) {
    fail(unknown.map((k) => ({ field: `/${k}`, message: 'cannot be edited (only recipient and items)' })));
  }
  if (edit.recipient === undefined && edit.items === undefined) {
    fail([{ field: '/', message: 'must change recipient and/or items' }]);
  }
  const details: FieldIssue[] = [];
  if (edit.recipient !== undefined && !isPlainObject(edit.recipient)) {
    details.push({ field: '/recipient', message: 'must be an object (a JSON merge patch)' });
  }
  if (edit.items !== undefined && !Array.isArray(edit.items)) {
    details.push({ field: '/items', message: 'must be an array (it replaces the order lines)' });
  }
  if (details.length > 0) fail(details);

  const recipient: unknown =
    edit.recipient === undefined ? order.recipient : mergePatch(order.recipient, edit.recipient);
  const items: unknown = edit.items === undefined ? order.items : edit.items;
  if (!validateAddress(recipient)) details.push(...issues('/recipient', validateAddress.errors));
  if (!validateItems(items)) details.push(...issues('/items', validateItems.errors));
  if (details.length > 0) fail(details);
  const address = recipient as Address;
  const lines = items as OrderItem[];
  const skus = new Set<string>();
  lines.forEach((item, i) => {
    if (skus.has(item.sku)) details.push({ field: `/items/${i}/sku`, message: `repeats ${item.sku}` });
    skus.add(item.sku);
  });
  if (details.length > 0) fail(details);

  const changed = changedFields('/recipient', order.recipient, address);
  const count = Math.max(order.items.length, lines.length);
  for (let i = 0; i < count; i++) {
    const before = order.items[i];
    const after = lines[i];
    if (!before || !after) changed.push(`/items/${i}`);
    else changed.push(...changedFields(`/items/${i}`, before, after));
  }
  return {
    recipient: address,
    items: lines,
    totalValue: sum(lines.map((i) => multiply(i.unitPrice, i.quantity))),
    changed,
  };
}

async function editOrder(
  trx: Executor,
  keys: KeyRing,
  orderId: string,
  edit: DlqEdit,
  nowMs: number,
): Promise<string[]> {
  const row = await getOrderRow(trx, orderId);
  if (!row) throw new WaygateError('order_not_found', `order ${orderId} of this job no longer exists`);
  if (!EDITABLE.has(row.status)) {
    throw new WaygateError(
      'order_not_editable',
      `order ${orderId} is ${row.status}; only a failed order can be edited`,
      {
        status: row.status,
      },
    );
  }
  const next = applyOrderEdit(await readOrder(keys, row), edit);
  await trx
    .updateTable('orders')
    .set({
      ...sealRecipient(keys.cipher, next.recipient),
      items: JSON.stringify(next.items),
      total_value: next.totalValue,
      destination_country: next.recipient.country,
      updated_at: nowMs,
    })
    .where('id', '=', orderId)
    .execute();
  return next.changed;
}
