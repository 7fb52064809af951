/**
 * Verifies the audit chain [003-4.4]: walks it in seq order one page at a time, recomputes every
 * hash, and holds it against the signed checkpoints, pointing at the first record that does
 * not fit. Failures are data, not exceptions:
 *
 * - `hash_mismatch`: the row's content no longer gives its hash (the row was edited);
 * - `prev_hash_mismatch`: the row does not link to the row before it (a row before it was
 *   edited and re-hashed, or rows were re-ordered);
 * - `seq_gap`: a seq is missing (a row was deleted); `unchained_row`: a row without a seq;
 * - `anchor_missing`: the chain starts after seq 1 without a signed prune anchor before it
 *   (rows deleted from the start);
 * - `truncated`: the chain ends before the head or before the last signed checkpoint (rows
 *   deleted from the end, even if the head was rewound to match);
 * - `head_mismatch`: the head row disagrees with the last row;
 * - `checkpoint_mismatch`: the row at a signed checkpoint's seq has another hash (the chain
 *   was rewritten; the change lies after the previous matching checkpoint);
 * - `checkpoint_signature_invalid`: a checkpoint line is forged or signed by a key not trusted
 *   (reported before the chain is walked);
 * - `checkpoint_rollback`: the checkpoint files hold fewer of this chain's checkpoints than the
 *   last verification saw, or another hash at the sequence it verified (truncated, rolled back,
 *   or rewritten and signed again; see audit-anchor.ts), reported before the chain is walked.
 *
 * Lines that are not checkpoints at all (not JSON, fields missing: e.g. a line torn by a crash
 * mid-write) prove nothing either way; they are counted in `malformedLines`, not failed on.
 */
import type { KeyObject } from 'node:crypto';
import { auditHash, chainedFields, genesisHash } from '../store/audit-chain.js';
import { auditPages, readAuditHead } from '../store/audit.js';
import { auditHeadAndMaxSeq, firstChainedEntry, someUnchainedEntryId } from '../store/audit-queries.js';
import type { Store } from '../store/db.js';
import type { Executor } from '../store/transaction.js';
import type { LastSeen } from './audit-anchor.js';
import {
  auditPublicKey,
  checkpointSignatureValid,
  readCheckpointFile,
  type AuditPublicKey,
} from './audit-checkpoint.js';

export type AuditFailureReason =
  | 'hash_mismatch'
  | 'prev_hash_mismatch'
  | 'seq_gap'
  | 'unchained_row'
  | 'anchor_missing'
  | 'truncated'
  | 'head_mismatch'
  | 'checkpoint_mismatch'
  | 'checkpoint_signature_invalid'
  | 'checkpoint_rollback';

export interface AuditFailure {
  reason: AuditFailureReason;
  /** The seq at fault (for `seq_gap` the missing one). */
  seq?: number;
  /** The row's id, when there is a row. */
  id?: number;
  message: string;
  /** For checkpoint file problems: which line. */
  file?: string;
  line?: number;
}

export interface AuditVerification {
  ok: boolean;
  /** Rows whose hash was recomputed and found linked. */
  entries: number;
  chainId: string;
  /** The seq verification started after (0, or a prune anchor). */
  startSeq: number;
  /** The last seq verified. */
  lastSeq: number;
  /** Rows of this chain's signed checkpoint lines read. */
  checkpoints: number;
  lastCheckpointSeq?: number;
  /** The hash signed at `lastCheckpointSeq`: with it, what an external anchor records. */
  lastCheckpointHash?: string;
  /** Rows left behind by an interrupted prune, below the newest anchor (not verifiable). */
  skipped: number;
  /** Lines in the checkpoint files that belong to other chains (other databases). */
  otherChainLines: number;
  /** Lines that are not checkpoint lines (e.g. torn by a crash); ignored. */
  malformedLines: number;
  firstFailure?: AuditFailure;
}

export type PublicKeyInput = string | KeyObject | AuditPublicKey;

export interface VerifyOptions {
  /** Checkpoint file(s); lines of other chains are ignored. */
  checkpointFile?: string | readonly string[];
  /** Key(s) that may have signed the checkpoints (PEM text or KeyObject). */
  publicKey?: PublicKeyInput | readonly PublicKeyInput[];
  /** Rows read per query (default 1000). */
  pageSize?: number;
  /** What the last verification saw: fewer checkpoints now, or another hash at its seq, fails. */
  lastSeen?: LastSeen;
}

/** This chain's signed checkpoints: seq → hashes, and the prune anchors. */
export interface CheckpointIndex {
  bySeq: Map<number, string[]>;
  anchors: Map<number, string>;
  count: number;
  maxSeq?: number;
  otherChainLines: number;
  malformedLines: number;
}

function toList<T>(v: T | readonly T[] | undefined): T[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? [...(v as readonly T[])] : [v as T];
}

function toPublicKey(input: PublicKeyInput): AuditPublicKey {
  if (typeof input === 'object' && 'keyId' in input) return input;
  return auditPublicKey(input);
}

/** Reads and checks every line of this chain; the first bad line is returned as the failure. */
export async function loadCheckpoints(
  files: readonly string[],
  keys: readonly AuditPublicKey[],
  chainId: string,
): Promise<{ index: CheckpointIndex; failure?: AuditFailure }> {
  const index: CheckpointIndex = {
    bySeq: new Map(),
    anchors: new Map(),
    count: 0,
    otherChainLines: 0,
    malformedLines: 0,
  };
  for (const file of files) {
    for await (const r of readCheckpointFile(file)) {
      if ('malformed' in r) {
        index.malformedLines += 1;
        continue;
      }
      const l = r.line;
      if (l.chainId !== chainId) {
        index.otherChainLines += 1;
        continue;
      }
      if (!checkpointSignatureValid(l, keys)) {
        const why = keys.some((k) => k.keyId === l.keyId)
          ? 'its signature does not verify'
          : `it names key ${l.keyId}, which is not among the public keys given`;
        return {
          index,
          failure: {
            reason: 'checkpoint_signature_invalid',
            seq: l.seq,
            message: `checkpoint file ${file} line ${r.lineNo} (seq ${l.seq}): ${why}`,
            file,
            line: r.lineNo,
          },
        };
      }
      index.count += 1;
      index.maxSeq = Math.max(index.maxSeq ?? 0, l.seq);
      const hashes = index.bySeq.get(l.seq) ?? [];
      if (!hashes.includes(l.hash)) hashes.push(l.hash);
      index.bySeq.set(l.seq, hashes);
      if (l.kind === 'anchor') index.anchors.set(l.seq, l.hash);
    }
  }
  return { index };
}

/** Where a walk starts: after `seq`, whose hash is `hash`. */
export interface ChainStart {
  seq: number;
  hash: string;
  skipped: number;
}

/**
 * The verified starting point: genesis when seq 1 is there; else the signed anchor just before
 * the first row; else (a prune interrupted after its anchor) the newest anchor among the rows.
 */
export async function chainStart(
  ex: Executor,
  chainId: string,
  index: CheckpointIndex,
  headSeq: number,
): Promise<ChainStart | AuditFailure> {
  const first = await firstChainedEntry(ex);
  const firstSeq = first ? first.seq : headSeq + 1;
  if (firstSeq === 1) return { seq: 0, hash: genesisHash(chainId), skipped: 0 };
  const before = index.anchors.get(firstSeq - 1);
  if (before !== undefined) return { seq: firstSeq - 1, hash: before, skipped: 0 };
  const within = [...index.anchors.keys()].filter((s) => s >= firstSeq && s <= headSeq);
  if (within.length > 0) {
    const seq = Math.max(...within);
    return { seq, hash: index.anchors.get(seq)!, skipped: seq - firstSeq + 1 };
  }
  return {
    reason: 'anchor_missing',
    seq: firstSeq,
    ...(first ? { id: first.id } : {}),
    message: `the chain starts at seq ${firstSeq} but no signed prune anchor covers seq ${firstSeq - 1}: entries were deleted from the start`,
  };
}

export interface WalkResult {
  entries: number;
  lastSeq: number;
  lastHash: string;
  failure?: AuditFailure;
}

/** Walks rows start.seq+1 … untilSeq in order, checking seq, links, hashes and checkpoints. */
export async function walkChain(
  ex: Executor,
  start: { seq: number; hash: string },
  untilSeq: number,
  index: CheckpointIndex,
  pageSize = 1000,
): Promise<WalkResult> {
  let lastSeq = start.seq;
  let lastHash = start.hash;
  let lastMatched = start.seq;
  let entries = 0;
  const checkpointAt = (seq: number, hash: string, id?: number): AuditFailure | undefined => {
    const signed = index.bySeq.get(seq);
    if (!signed) return undefined;
    if (signed.some((h) => h !== hash)) {
      return {
        reason: 'checkpoint_mismatch',
        seq,
        ...(id !== undefined ? { id } : {}),
        message: `the entry at seq ${seq} does not match its signed checkpoint: the chain was rewritten after seq ${lastMatched}`,
      };
    }
    lastMatched = seq;
    return undefined;
  };
  const startFailure = checkpointAt(start.seq, start.hash);
  if (startFailure) return { entries, lastSeq, lastHash, failure: startFailure };
  for await (const page of auditPages(ex, lastSeq, untilSeq, pageSize)) {
    for (const row of page) {
      const seq = Number(row.seq);
      const id = Number(row.id);
      const fail = (reason: AuditFailureReason, message: string): WalkResult => ({
        entries,
        lastSeq,
        lastHash,
        failure: { reason, seq, id, message },
      });
      if (seq !== lastSeq + 1) {
        return {
          entries,
          lastSeq,
          lastHash,
          failure: {
            reason: 'seq_gap',
            seq: lastSeq + 1,
            message: `seq ${lastSeq + 1}${seq > lastSeq + 2 ? `…${seq - 1}` : ''} missing: the chain jumps from ${lastSeq} to ${seq} (entry id ${id})`,
          },
        };
      }
      if (row.prev_hash !== lastHash)
        return fail('prev_hash_mismatch', `entry ${id} (seq ${seq}) does not link to seq ${lastSeq}`);
      if (auditHash(chainedFields(row), lastHash) !== row.hash)
        return fail('hash_mismatch', `entry ${id} (seq ${seq}) was changed after it was written`);
      const cp = checkpointAt(seq, row.hash, id);
      if (cp) return { entries, lastSeq, lastHash, failure: cp };
      entries += 1;
      lastSeq = seq;
      lastHash = row.hash;
    }
  }
  return { entries, lastSeq, lastHash };
}

/** Walks the whole chain against the checkpoint files; see the module comment for the reasons. */
export async function verifyAudit(store: Store, opts: VerifyOptions = {}): Promise<AuditVerification> {
  const { chainId } = await readAuditHead(store.db);
  const keys = toList(opts.publicKey).map(toPublicKey);
  // The files are read before the head, so every checkpoint in them is at or below the head.
  const { index, failure: fileFailure } = await loadCheckpoints(toList(opts.checkpointFile), keys, chainId);
  const result: AuditVerification = {
    ok: false,
    entries: 0,
    chainId,
    startSeq: 0,
    lastSeq: 0,
    checkpoints: index.count,
    ...(index.maxSeq !== undefined ? { lastCheckpointSeq: index.maxSeq } : {}),
    skipped: 0,
    otherChainLines: index.otherChainLines,
    malformedLines: index.malformedLines,
  };
  const lastHash = index.maxSeq === undefined ? undefined : index.bySeq.get(index.maxSeq)?.[0];
  if (lastHash !== undefined) result.lastCheckpointHash = lastHash;
  if (fileFailure) return { ...result, firstFailure: fileFailure };
  const rollback = opts.lastSeen && rolledBack(index, opts.lastSeen);
  if (rollback) return { ...result, firstFailure: rollback };
  const walk = (ex: Executor) => verifyChain(ex, chainId, index, result, opts.pageSize);
  // PostgreSQL: one snapshot, so appends and prunes running meanwhile cannot look like gaps.
  // SQLite: a transaction would hold the hub's only connection; pages are read one by one.
  if (store.dialect === 'postgres')
    return store.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(walk);
  return walk(store.db);
}

/** A checkpoint file shorter than, or different from, what the last verification saw. */
function rolledBack(index: CheckpointIndex, seen: LastSeen): AuditFailure | undefined {
  const when = `the last verification (${seen.verifiedAt})`;
  if (index.count < seen.checkpoints)
    return {
      reason: 'checkpoint_rollback',
      seq: seen.seq,
      message: `the checkpoint files hold ${index.count} checkpoints of this chain but ${when} counted ${seen.checkpoints}: the file was truncated or rolled back`,
    };
  if (!index.bySeq.get(seen.seq)?.includes(seen.hash))
    return {
      reason: 'checkpoint_rollback',
      seq: seen.seq,
      message: `the checkpoint at seq ${seen.seq} that ${when} accepted (hash ${seen.hash.slice(0, 16)}…) is missing or different: the checkpoints were rewritten`,
    };
  return undefined;
}

async function verifyChain(
  ex: Executor,
  chainId: string,
  index: CheckpointIndex,
  result: AuditVerification,
  pageSize?: number,
): Promise<AuditVerification> {
  const head = await auditHeadAndMaxSeq(ex);
  const headSeq = head.seq;
  const unchained = await someUnchainedEntryId(ex);
  if (unchained !== undefined) {
    const message = `entry ${unchained} has no seq`;
    return { ...result, firstFailure: { reason: 'unchained_row', id: unchained, message } };
  }
  const start = await chainStart(ex, chainId, index, headSeq);
  if ('reason' in start) return { ...result, firstFailure: start };
  const w = await walkChain(ex, start, headSeq, index, pageSize);
  const done = {
    ...result,
    entries: w.entries,
    startSeq: start.seq,
    lastSeq: w.lastSeq,
    skipped: start.skipped,
  };
  if (w.failure) return { ...done, firstFailure: w.failure };
  if (w.lastSeq < headSeq) {
    const message = `the chain ends at seq ${w.lastSeq} but its head says ${headSeq}: entries were deleted from the end`;
    return { ...done, firstFailure: { reason: 'truncated', seq: w.lastSeq + 1, message } };
  }
  if (w.lastHash !== head.hash || (head.maxSeq !== null && head.maxSeq > headSeq)) {
    const message = `the chain head (seq ${headSeq}) does not match the entries`;
    return { ...done, firstFailure: { reason: 'head_mismatch', seq: headSeq, message } };
  }
  if (index.maxSeq !== undefined && index.maxSeq > w.lastSeq) {
    const message = `the chain ends at seq ${w.lastSeq} but seq ${index.maxSeq} was signed in a checkpoint: entries were deleted from the end`;
    return { ...done, firstFailure: { reason: 'truncated', seq: w.lastSeq + 1, message } };
  }
  return { ...done, ok: true };
}
