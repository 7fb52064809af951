/**
 * What `waygate audit verify` saw last, so a checkpoint file cut short or rolled back is caught
 * [003-4.4]. Checkpoint files are only ever appended to: a file holding fewer of a chain's
 * checkpoints than the last verification counted, or another hash at the sequence verified then,
 * was truncated, rolled back or rewritten and signed again, even if every line in it verifies.
 *
 * The state is a small JSON file, one entry per chain:
 *
 *   {"v":1,"chains":{"<chainId>":{"checkpoints":N,"seq":S,"hash":"…","verifiedAt":ISO}}}
 *
 * It protects as well as the place it is kept: by default the audit directory, better beside the
 * operator's copy of the public key, out of reach of the database's and the hub's users
 * (`audit verify --state FILE`).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { WaygateError } from '../domain/index.js';
import { writePrivateFile } from './private-file.js';

/** The newest checkpoint a verification accepted, and how many of the chain's there were. */
export interface LastSeen {
  checkpoints: number;
  seq: number;
  hash: string;
  verifiedAt: string;
}

interface StateFile {
  v: 1;
  chains: Record<string, LastSeen>;
}

const unreadable = (file: string, why: string) =>
  new WaygateError(
    'audit_state_unreadable',
    `the verification state ${file} ${why}: it may have been tampered with; restore it from the operator's copy, or remove it deliberately to start a new baseline`,
  );

function isLastSeen(v: unknown): v is LastSeen {
  const l = v as Partial<LastSeen> | null;
  return (
    typeof l === 'object' &&
    l !== null &&
    Number.isSafeInteger(l.checkpoints) &&
    Number.isSafeInteger(l.seq) &&
    typeof l.hash === 'string' &&
    typeof l.verifiedAt === 'string'
  );
}

function readState(file: string): StateFile {
  if (!existsSync(file)) return { v: 1, chains: {} };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw unreadable(file, 'is not JSON');
  }
  const state = value as Partial<StateFile> | null;
  if (
    typeof state !== 'object' ||
    state === null ||
    state.v !== 1 ||
    typeof state.chains !== 'object' ||
    state.chains === null ||
    !Object.values(state.chains).every(isLastSeen)
  )
    throw unreadable(file, 'is not a verification state');
  return state as StateFile;
}

/** What was last verified of this chain; undefined the first time. */
export function readLastSeen(file: string, chainId: string): LastSeen | undefined {
  return readState(file).chains[chainId];
}

/** Records a successful verification (never lowering what an earlier one recorded). */
export function rememberVerified(file: string, chainId: string, seen: LastSeen): void {
  const state = readState(file);
  const before = state.chains[chainId];
  if (before && before.checkpoints > seen.checkpoints) return;
  state.chains[chainId] = seen;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writePrivateFile(file, `${JSON.stringify(state, null, 2)}\n`);
}
