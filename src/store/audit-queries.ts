/**
 * The audit log's read and prune queries used by verification, retention and export (security/).
 * They live here so that no layer above the store builds SQL.
 */
import { auditDb } from './audit.js';
import type { Executor } from './transaction.js';

/** The chained entry with the lowest seq, or undefined when no entry is chained yet. */
export async function firstChainedEntry(ex: Executor): Promise<{ id: number; seq: number } | undefined> {
  const first = await auditDb(ex)
    .selectFrom('audit_log')
    .select(['id', 'seq'])
    .where('seq', 'is not', null)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  return first ? { id: Number(first.id), seq: Number(first.seq) } : undefined;
}

/** The head row and the highest seq in the log, read in one statement so they are seen at one moment. */
export async function auditHeadAndMaxSeq(
  ex: Executor,
): Promise<{ seq: number; hash: string; maxSeq: number | null }> {
  const db = auditDb(ex);
  const head = await db
    .selectFrom('audit_head')
    .select((eb) => [
      'seq',
      'hash',
      eb
        .selectFrom('audit_log')
        .select((e) => e.fn.max('seq').as('m'))
        .as('max_seq'),
    ])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return {
    seq: Number(head.seq),
    hash: head.hash,
    maxSeq: head.max_seq === null || head.max_seq === undefined ? null : Number(head.max_seq),
  };
}

/** The id of some entry that has no seq (a row written outside the chain), if any. */
export async function someUnchainedEntryId(ex: Executor): Promise<number | undefined> {
  const row = await auditDb(ex)
    .selectFrom('audit_log')
    .select('id')
    .where('seq', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

/** The lowest and highest seq in the log, or undefined when it is empty. */
export async function auditSeqBounds(ex: Executor): Promise<{ lo: number; hi: number } | undefined> {
  const bounds = await auditDb(ex)
    .selectFrom('audit_log')
    .select((eb) => [eb.fn.min('seq').as('lo'), eb.fn.max('seq').as('hi')])
    .executeTakeFirst();
  if (!bounds || bounds.lo === null || bounds.hi === null) return undefined;
  return { lo: Number(bounds.lo), hi: Number(bounds.hi) };
}

/** The first seq ≥ `fromSeq` whose entry was written at or after `atMs`. */
export async function firstSeqSince(
  ex: Executor,
  atMs: number,
  fromSeq: number,
): Promise<number | undefined> {
  const row = await auditDb(ex)
    .selectFrom('audit_log')
    .select('seq')
    .where('at', '>=', atMs)
    .where('seq', '>=', fromSeq)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.seq) : undefined;
}

/** The hash stored at `seq`, or undefined when that entry is missing. */
export async function auditHashAt(ex: Executor, seq: number): Promise<string | undefined> {
  const row = await auditDb(ex)
    .selectFrom('audit_log')
    .select('hash')
    .where('seq', '=', seq)
    .executeTakeFirst();
  return row?.hash;
}

/** Deletes every entry with seq ≤ `seq`; returns how many went. Call inside a write transaction. */
export async function deleteAuditThrough(ex: Executor, seq: number): Promise<number> {
  const r = await auditDb(ex).deleteFrom('audit_log').where('seq', '<=', seq).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * The first chained seq written at or after `from`, and the last written at or before `to` when it
 * is not below the first (either end open).
 */
export async function auditSeqRangeBetween(
  ex: Executor,
  from?: Date,
  to?: Date,
): Promise<{ firstSeq?: number; lastSeq?: number }> {
  const db = auditDb(ex);
  let first = db.selectFrom('audit_log').select('seq').where('seq', 'is not', null);
  if (from) first = first.where('at', '>=', from.getTime());
  let last = db.selectFrom('audit_log').select('seq').where('seq', 'is not', null);
  if (to) last = last.where('at', '<=', to.getTime());
  const lo = await first.orderBy('seq').limit(1).executeTakeFirst();
  const hi = await last.orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const firstSeq = lo ? Number(lo.seq) : undefined;
  const lastSeq = hi && firstSeq !== undefined && Number(hi.seq) >= firstSeq ? Number(hi.seq) : undefined;
  return { firstSeq, lastSeq };
}
