/**
 * Audit retention [000-15]: call logs are kept at least 180 days, and only older entries at
 * the start of the chain are ever removed. Before deleting, the prune checks the part it is
 * about to delete (tampering is reported, not destroyed), then signs an anchor line — the seq
 * and hash of the last entry removed — into the checkpoint file; verification of what remains
 * starts from that anchor. The anchor is written before any row goes, so a prune interrupted
 * half-way still verifies, and the next prune finishes the job.
 */
import { WaygateError } from '../domain/errors.js';
import { readAuditHead } from '../store/audit.js';
import { auditHashAt, auditSeqBounds, deleteAuditThrough, firstSeqSince } from '../store/audit-queries.js';
import type { Store } from '../store/db.js';
import { appendCheckpointLine, signCheckpoint, type AuditNotary } from './audit-checkpoint.js';
import { chainStart, loadCheckpoints, walkChain } from './audit-verify.js';

export const MIN_AUDIT_RETENTION_DAYS = 180;
const DAY_MS = 86_400_000;

export interface PruneOptions {
  olderThanDays: number;
  notary: AuditNotary;
  /** Check the entries about to be deleted first (default true). */
  verifyFirst?: boolean;
  /** Rows deleted per transaction (default 10 000). */
  batchSize?: number;
  nowMs?: number;
}

export interface PruneResult {
  pruned: number;
  /** The anchor written: the last seq removed, and its hash. */
  anchor?: { seq: number; hash: string };
}

export async function pruneAudit(store: Store, opts: PruneOptions): Promise<PruneResult> {
  const days = opts.olderThanDays;
  if (!Number.isFinite(days) || days < MIN_AUDIT_RETENTION_DAYS) {
    throw new WaygateError(
      'retention_too_short',
      `audit entries are kept at least ${MIN_AUDIT_RETENTION_DAYS} days; ${String(days)} is too short`,
      { minDays: MIN_AUDIT_RETENTION_DAYS },
    );
  }
  const cutoff = (opts.nowMs ?? Date.now()) - days * DAY_MS;
  const bounds = await auditSeqBounds(store.db);
  if (!bounds) return { pruned: 0 };
  const lo = bounds.lo;
  // The first entry young enough to keep; everything before it goes (only from the start).
  const kept = await firstSeqSince(store.db, cutoff, lo);
  const last = kept !== undefined ? kept - 1 : bounds.hi;
  if (last < lo) return { pruned: 0 };

  const { chainId } = await readAuditHead(store.db);
  if (opts.verifyFirst !== false) {
    const { index, failure } = await loadCheckpoints(
      [opts.notary.checkpointFile],
      [opts.notary.key],
      chainId,
    );
    const start = failure ?? (await chainStart(store.db, chainId, index, last));
    if ('reason' in start) throw new WaygateError('audit_chain_broken', start.message, start);
    const walk = await walkChain(store.db, start, last, index);
    if (walk.failure) throw new WaygateError('audit_chain_broken', walk.failure.message, walk.failure);
  }
  const hash = await auditHashAt(store.db, last);
  if (hash === undefined)
    throw new WaygateError('audit_chain_broken', `the entry at seq ${last} is missing`, { seq: last });
  const anchor = { seq: last, hash };
  await appendCheckpointLine(
    opts.notary.checkpointFile,
    signCheckpoint(opts.notary.key, { kind: 'anchor', chainId, ...anchor }),
  );

  const batch = opts.batchSize ?? 10_000;
  let pruned = 0;
  for (let from = lo; from <= last; from += batch) {
    const to = Math.min(from + batch - 1, last);
    pruned += await store.write((trx) => deleteAuditThrough(trx, to));
  }
  return { pruned, anchor };
}
