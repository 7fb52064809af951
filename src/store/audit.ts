/**
 * The audit log: one row per operator action, append-only (issue 4 will hash-chain it, so rows
 * are never updated or deleted here). Detail is masked before it is stored: ids, field names and
 * error codes only, never secrets or personal data — the log outlives any erasure request.
 */
import type { Kysely } from 'kysely';
import type { AuditLogTable } from './audit-schema.js';
import type { Database } from './schema.js';
import type { Executor } from './queue.js';

export type AuditOutcome = 'ok' | 'rejected' | 'failed';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  outcome: AuditOutcome;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: string;
}

type AuditDb = Database & { audit_log: AuditLogTable };

/** The executor typed with the audit table (types only; the same connection or transaction). */
function auditDb(ex: Executor): Kysely<AuditDb> {
  const db: Kysely<Database> = ex;
  return db.withTables<{ audit_log: AuditLogTable }>();
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

/** Appends one audit row, inside the caller's transaction when given one. */
export async function recordAudit(ex: Executor, entry: AuditEntry, nowMs = Date.now()): Promise<void> {
  await auditDb(ex)
    .insertInto('audit_log')
    .values({
      at: nowMs,
      actor: entry.actor.slice(0, 200),
      action: entry.action,
      target: entry.target.slice(0, 200),
      detail: JSON.stringify(mask(entry.detail)),
      outcome: entry.outcome,
    })
    .execute();
}

/** Audit rows, newest first (optionally of one target). */
export async function listAudit(
  ex: Executor,
  f: { target?: string; action?: string; limit: number },
): Promise<AuditRecord[]> {
  let q = auditDb(ex).selectFrom('audit_log').selectAll();
  if (f.target) q = q.where('target', '=', f.target);
  if (f.action) q = q.where('action', '=', f.action);
  const rows = await q.orderBy('id', 'desc').limit(f.limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: new Date(Number(r.at)).toISOString(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    outcome: r.outcome as AuditOutcome,
  }));
}
