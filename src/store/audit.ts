/**
 * The audit log [000-15] [001-6.4]: one row per operator action or interface call, append-only
 * and hash-chained [003-4.4] (see audit-chain.ts for the canonical form). Detail, parameters and
 * results are masked before they are stored: ids, field names and error codes only, never
 * secrets or personal data — the log outlives any erasure request.
 *
 * Appends are serialised by the one-row `audit_head` table: `UPDATE audit_head SET seq = seq + n
 * … RETURNING` takes its row lock inside the inserting transaction (PostgreSQL: other nodes wait
 * on the row until COMMIT; SQLite: one writer anyway), so the chain never forks and costs one
 * indexed read-modify-write per append or per batch. Keep the append the last statement of a
 * transaction: the lock is held until it commits. Under REPEATABLE READ / SERIALIZABLE a
 * concurrent append aborts the transaction with a serialisation error; use READ COMMITTED.
 */
import type { Kysely } from 'kysely';
import { auditHash, type ChainedFields } from './audit-chain.js';
import type { AuditTables } from './audit-schema.js';
import type { Database } from './schema.js';
import type { Executor, Tx } from './transaction.js';
import type { Store } from './db.js';

export type AuditOutcome = 'ok' | 'rejected' | 'failed';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  outcome: AuditOutcome;
  /** The interface called, e.g. `POST /v1/orders`, `cli`. */
  interface?: string;
  /** The answer's status, e.g. the HTTP status. */
  status?: number;
  /** Request parameters (masked like `detail`). */
  params?: unknown;
  /** Response summary (masked like `detail`). */
  result?: unknown;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  seq: number;
  at: string;
  hash: string;
  prevHash: string;
}

export type AuditDb = Kysely<Database & AuditTables>;

/** The executor typed with the audit tables (types only; the same connection or transaction). */
export function auditDb(ex: Executor): AuditDb {
  const db: Kysely<Database> = ex;
  return db.withTables<AuditTables>();
}

/** The chained rows with afterSeq < seq ≤ untilSeq, in seq order, a page of `pageSize` at a time. */
export async function* auditPages(ex: Executor, afterSeq: number, untilSeq: number, pageSize: number) {
  const db = auditDb(ex);
  for (let after = afterSeq; after < untilSeq;) {
    const page = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', after)
      .where('seq', '<=', untilSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    if (page.length === 0) return;
    yield page;
    after = Number(page.at(-1)!.seq);
  }
}

/** Keys whose values are secrets or personal data: never stored, whatever the caller passes. */
const SENSITIVE_KEY =
  /secret|token|password|passwd|credential|signature|authorization|api_?key|phone|e-?mail|address|recipient|line[12]|postal|zip|city|state|name|company|id_?number|items|payload|body/i;

/** Free text (e.g. an operator's reason) with e-mail addresses and long numbers blanked out. */
export function scrubFreeText(text: string, max = 300): string {
  return text
    .slice(0, max)
    .replace(/[^\s@]+@[^\s@]+/g, '[email]')
    .replace(/\+?\d[\d ().-]{4,}\d/g, '[number]');
}

function mask(value: unknown, depth = 0): unknown {
  if (depth > 4) return '[deep]';
  if (typeof value === 'string') return value.length > 300 ? `${value.slice(0, 300)}…` : value;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => mask(v, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SENSITIVE_KEY.test(k) ? '[redacted]' : mask(v, depth + 1);
    return out;
  }
  return undefined;
}

/**
 * Text exactly as the database will give it back, so the hash computed now is the hash
 * recomputed later: lone UTF-16 surrogates become U+FFFD (UTF-8 cannot hold them) and NUL is
 * dropped (PostgreSQL text cannot hold it).
 */
function storable(text: string, max: number): string {
  return text
    .slice(0, max)
    .replace(/\p{Cs}/gu, '\uFFFD')
    .replaceAll('\u0000', '');
}

function maskedJson(value: unknown): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(mask(value));
  return text === undefined ? null : text;
}

/** An entry masked and shaped as its row, before it gets its place (seq) in the chain. */
type PreparedEntry = Omit<ChainedFields, 'seq'>;

function prepare(entry: AuditEntry, nowMs: number): PreparedEntry {
  const iface = entry.interface ? storable(entry.interface, 200) : '';
  return {
    at: Math.trunc(nowMs),
    actor: storable(entry.actor, 200),
    action: storable(entry.action, 200),
    target: storable(entry.target, 200),
    detail: JSON.stringify(mask(entry.detail)) ?? '{}',
    outcome: entry.outcome,
    // Empty means absent, so an export's empty cell reads back as null unambiguously.
    interface: iface === '' ? null : iface,
    status: Number.isSafeInteger(entry.status) ? (entry.status as number) : null,
    params: maskedJson(entry.params),
    result: maskedJson(entry.result),
  };
}

/** Rows per INSERT: 12 columns × 400 stays far below SQLite's and PostgreSQL's bind limits. */
const INSERT_CHUNK = 400;

/** Appends prepared entries, in order, to the chain inside `trx`; returns their seqs. */
async function appendPrepared(trx: Tx, entries: readonly PreparedEntry[]): Promise<number[]> {
  if (entries.length === 0) return [];
  const db = auditDb(trx);
  // Takes the head's row lock until COMMIT; RETURNING gives the new seq and the old hash.
  const head = await db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', entries.length) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirst();
  if (!head) throw new Error('audit_head is missing: run the store migrations');
  let seq = Number(head.seq) - entries.length;
  let prevHash = head.hash;
  const rows = entries.map((e) => {
    seq += 1;
    const fields = { seq, ...e };
    const hash = auditHash(fields, prevHash);
    const row = { ...fields, prev_hash: prevHash, hash };
    prevHash = hash;
    return row;
  });
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await db
      .insertInto('audit_log')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
  await db.updateTable('audit_head').set({ hash: prevHash }).where('id', '=', 1).execute();
  return rows.map((r) => r.seq);
}

/**
 * Appends one audit row, inside the caller's transaction when given one (then as the last
 * statement of it, see above); otherwise in a transaction of its own.
 */
export async function recordAudit(ex: Executor, entry: AuditEntry, nowMs = Date.now()): Promise<void> {
  const prepared = [prepare(entry, nowMs)];
  if (ex.isTransaction) await appendPrepared(ex as Tx, prepared);
  else await ex.transaction().execute((trx) => appendPrepared(trx, prepared));
}

/**
 * Batches audit rows from many concurrent callers into one transaction (one head lock, one
 * multi-row INSERT): for auditing every API call without one commit per call. `record` settles
 * once the row is committed.
 */
export class AuditWriter {
  readonly #store: Store;
  readonly #maxBatch: number;
  #pending: Array<{ entry: PreparedEntry; resolve(): void; reject(err: unknown): void }> = [];
  #flushing: Promise<void> | undefined;

  constructor(store: Store, opts: { maxBatch?: number } = {}) {
    this.#store = store;
    this.#maxBatch = opts.maxBatch ?? 1000;
  }

  record(entry: AuditEntry, nowMs = Date.now()): Promise<void> {
    const prepared = prepare(entry, nowMs);
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ entry: prepared, resolve, reject });
      // Let the calls of the current event-loop turn join before the batch starts.
      this.#flushing ??= new Promise<void>((done) => setImmediate(done)).then(() => this.#flush());
    });
  }

  /** Settles once everything recorded so far is committed (or has failed). */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatch);
      try {
        await this.#store.write((trx) =>
          appendPrepared(
            trx,
            batch.map((b) => b.entry),
          ),
        );
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.#flushing = undefined;
  }
}

/** Audit rows, newest first (optionally of one target or action). */
export async function listAudit(
  ex: Executor,
  f: { target?: string; action?: string; limit: number },
): Promise<AuditRecord[]> {
  let q = auditDb(ex).selectFrom('audit_log').selectAll();
  if (f.target) q = q.where('target', '=', f.target);
  if (f.action) q = q.where('action', '=', f.action);
  const rows = await q.orderBy('seq', 'desc').limit(f.limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    seq: Number(r.seq),
    at: new Date(Number(r.at)).toISOString(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    outcome: r.outcome as AuditOutcome,
    ...(r.interface !== null ? { interface: r.interface } : {}),
    ...(r.status !== null ? { status: Number(r.status) } : {}),
    ...(r.params !== null ? { params: JSON.parse(r.params) as unknown } : {}),
    ...(r.result !== null ? { result: JSON.parse(r.result) as unknown } : {}),
    hash: r.hash,
    prevHash: r.prev_hash,
  }));
}

/** The chain's head: its id, last seq and last hash (seq 0 and the genesis hash when empty). */
export async function readAuditHead(ex: Executor): Promise<{ chainId: string; seq: number; hash: string }> {
  const head = await auditDb(ex)
    .selectFrom('audit_head')
    .select(['chain_id', 'seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  if (!head) throw new Error('audit_head is missing: run the store migrations');
  return { chainId: head.chain_id, seq: Number(head.seq), hash: head.hash };
}
