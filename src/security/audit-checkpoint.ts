/**
 * Signed checkpoints of the audit chain, kept outside the database [003-4.4] [000-15]. Someone
 * who can write the database can rewrite the whole chain consistently; they cannot sign. A line
 * appended every minute (and at shutdown, on demand, and before each prune) fixes the chain's
 * head (seq, hash) under an Ed25519 key, so a rewritten or shortened chain no longer matches.
 *
 * The file is JSON lines, one per checkpoint, only ever appended (open with O_APPEND, fsync):
 *
 *   {"v":1,"kind":"checkpoint"|"anchor","chainId":…,"seq":…,"hash":…,"at":ISO,"keyId":…,"signature":…}
 *
 * `signature` is base64 Ed25519 over the UTF-8 JSON text of
 * `{"v","kind","chainId","seq","hash","at","keyId"}` in that order (the line without the
 * signature). `kind: "anchor"` marks the last entry removed by a retention prune: verification
 * of what remains starts from it. `keyId` is the first 16 hex digits of SHA-256 over the public
 * key's DER (SPKI). Put the file on storage the database's users cannot rewrite (another
 * volume, WORM bucket, log shipper); give auditors the public key (`waygate audit pubkey`).
 *
 * The private key comes from WAYGATE_AUDIT_SIGNING_KEY (PEM or base64 PKCS#8 DER; several hub
 * nodes share it like the master key) or from `audit-signing.key` (mode 0600) created beside
 * the master key file on first use, with its public key in `audit-signing.pub`.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { readAuditHead } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { keyFileFor } from './secret-box.js';

export const AUDIT_SIGNING_KEY_ENV = 'WAYGATE_AUDIT_SIGNING_KEY';
export const AUDIT_CHECKPOINT_FILE_ENV = 'WAYGATE_AUDIT_CHECKPOINT_FILE';

export interface AuditPaths {
  keyFile: string;
  publicKeyFile: string;
  checkpointFile: string;
}

/** Where a store's audit key and checkpoint file live by default: beside its master key file. */
export function auditPathsFor(dbUrl: string, env: NodeJS.ProcessEnv = process.env): AuditPaths {
  const dir = dirname(keyFileFor(dbUrl));
  return {
    keyFile: join(dir, 'audit-signing.key'),
    publicKeyFile: join(dir, 'audit-signing.pub'),
    checkpointFile: env[AUDIT_CHECKPOINT_FILE_ENV] || join(dir, 'audit-checkpoints.jsonl'),
  };
}

export interface AuditPublicKey {
  keyId: string;
  key: KeyObject;
  pem: string;
}

export interface AuditSigningKey extends AuditPublicKey {
  privateKey: KeyObject;
}

export function auditKeyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${what} is not an Ed25519 key`);
  return key;
}

function signingKeyFrom(privateKey: KeyObject): AuditSigningKey {
  const key = createPublicKey(ed25519(privateKey, 'the audit signing key'));
  return {
    privateKey,
    key,
    keyId: auditKeyId(key),
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function parsePrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  return trimmed.startsWith('-----BEGIN')
    ? createPrivateKey(trimmed)
    : createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' });
}

/**
 * The audit signing key: from the environment, else the key file, else a new key written to
 * the key file (0600) with its public key beside it.
 */
export function loadAuditSigningKey(keyFile: string, env: NodeJS.ProcessEnv = process.env): AuditSigningKey {
  const fromEnv = env[AUDIT_SIGNING_KEY_ENV];
  if (fromEnv) return signingKeyFrom(parsePrivateKey(fromEnv));
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const key = signingKeyFrom(parsePrivateKey(readFileSync(keyFile, 'utf8')));
  const publicKeyFile = keyFile.replace(/\.key$/, '') + '.pub';
  if (!existsSync(publicKeyFile) || readFileSync(publicKeyFile, 'utf8') !== key.pem)
    writeFileSync(publicKeyFile, key.pem, { mode: 0o644 });
  return key;
}

/** A public key from PEM text (SPKI), or the public half of a private key. */
export function auditPublicKey(input: string | KeyObject): AuditPublicKey {
  let key: KeyObject;
  if (typeof input === 'string') key = createPublicKey(input.trim());
  else key = input.type === 'private' ? createPublicKey(input) : input;
  ed25519(key, 'the audit public key');
  return { key, keyId: auditKeyId(key), pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

export type CheckpointKind = 'checkpoint' | 'anchor';

export interface CheckpointLine {
  v: 1;
  kind: CheckpointKind;
  chainId: string;
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  signature: string;
}

function signedText(l: Omit<CheckpointLine, 'signature'>): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: l.v,
      kind: l.kind,
      chainId: l.chainId,
      seq: l.seq,
      hash: l.hash,
      at: l.at,
      keyId: l.keyId,
    }),
    'utf8',
  );
}

export function signCheckpoint(
  key: AuditSigningKey,
  fields: { kind: CheckpointKind; chainId: string; seq: number; hash: string },
  now = new Date(),
): CheckpointLine {
  const unsigned = { v: 1 as const, ...fields, at: now.toISOString(), keyId: key.keyId };
  return { ...unsigned, signature: sign(null, signedText(unsigned), key.privateKey).toString('base64') };
}

/** True when the line is signed by the key it names, among `keys`. */
export function checkpointSignatureValid(line: CheckpointLine, keys: readonly AuditPublicKey[]): boolean {
  const key = keys.find((k) => k.keyId === line.keyId);
  if (!key) return false;
  try {
    return verify(null, signedText(line), key.key, Buffer.from(line.signature, 'base64'));
  } catch {
    return false;
  }
}

function isCheckpointLine(v: unknown): v is CheckpointLine {
  if (typeof v !== 'object' || v === null) return false;
  const l = v as Record<string, unknown>;
  return (
    l.v === 1 &&
    (l.kind === 'checkpoint' || l.kind === 'anchor') &&
    typeof l.chainId === 'string' &&
    Number.isSafeInteger(l.seq) &&
    (l.seq as number) >= 0 &&
    typeof l.hash === 'string' &&
    typeof l.at === 'string' &&
    typeof l.keyId === 'string' &&
    typeof l.signature === 'string'
  );
}

export type ReadLine =
  | { lineNo: number; text: string; line: CheckpointLine }
  | { lineNo: number; text: string; malformed: string };

/**
 * The lines of a checkpoint file, streamed (a missing file has none). A last line cut short by
 * a crash mid-write (no newline, not JSON) is skipped; the next append starts a fresh line and
 * the fragment is then reported as malformed.
 */
export async function* readCheckpointFile(file: string): AsyncGenerator<ReadLine> {
  if (!existsSync(file)) return;
  const endsWithNewline = await lastByteIsNewline(file);
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let pending: { lineNo: number; text: string } | undefined;
  let lineNo = 0;
  const parse = (p: { lineNo: number; text: string }, last: boolean): ReadLine | undefined => {
    let value: unknown;
    try {
      value = JSON.parse(p.text);
    } catch {
      if (last && !endsWithNewline) return undefined;
      return { ...p, malformed: 'not JSON' };
    }
    return isCheckpointLine(value) ? { ...p, line: value } : { ...p, malformed: 'missing or invalid fields' };
  };
  for await (const text of lines) {
    lineNo += 1;
    if (pending) {
      const r = parse(pending, false);
      if (r) yield r;
    }
    pending = text.trim() === '' ? undefined : { lineNo, text };
  }
  if (pending) {
    const r = parse(pending, true);
    if (r) yield r;
  }
}

async function lastByteIsNewline(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/** Appends one line and fsyncs it before returning (the file is only ever appended to). */
export async function appendCheckpointLine(file: string, line: CheckpointLine): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const created = !existsSync(file);
  const handle = await open(file, 'a+', 0o644);
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
      // A line torn by an earlier crash must not swallow this one.
      if (buffer[0] !== 0x0a) prefix = '\n';
    }
    await handle.write(`${prefix}${JSON.stringify(line)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) await syncDir(dirname(file));
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can fsync a directory; the line itself is synced.
  }
}

/** Where checkpoints go and the key that signs them. */
export interface AuditNotary {
  checkpointFile: string;
  key: AuditSigningKey;
}

export function auditNotaryFor(dbUrl: string, env: NodeJS.ProcessEnv = process.env): AuditNotary {
  const paths = auditPathsFor(dbUrl, env);
  return { checkpointFile: paths.checkpointFile, key: loadAuditSigningKey(paths.keyFile, env) };
}

/** Signs the chain's current head and appends it to the checkpoint file. */
export async function writeCheckpoint(store: Store, notary: AuditNotary): Promise<CheckpointLine> {
  const head = await readAuditHead(store.db);
  const line = signCheckpoint(notary.key, { kind: 'checkpoint', ...head });
  await appendCheckpointLine(notary.checkpointFile, line);
  return line;
}

export interface AuditCheckpointer {
  /** Writes a checkpoint now (even if the head has not moved). */
  checkpoint(): Promise<CheckpointLine>;
  /** Stops the timer and writes a last checkpoint if the head moved since the previous one. */
  stop(): Promise<void>;
}

/**
 * Writes a checkpoint every `intervalMs` while the chain grows (an idle chain adds no lines).
 * Failures are logged, never thrown into the timer.
 */
export function startAuditCheckpoints(
  store: Store,
  notary: AuditNotary,
  opts: { intervalMs?: number; logger?: Logger } = {},
): AuditCheckpointer {
  let last: { seq: number; hash: string } | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  // One at a time, so lines from this process are in seq order.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const now = () =>
    serial(async () => {
      const line = await writeCheckpoint(store, notary);
      last = { seq: line.seq, hash: line.hash };
      return line;
    });
  const ifMoved = () =>
    serial(async () => {
      const head = await readAuditHead(store.db);
      if (last && last.seq === head.seq && last.hash === head.hash) return;
      const line = signCheckpoint(notary.key, { kind: 'checkpoint', ...head });
      await appendCheckpointLine(notary.checkpointFile, line);
      last = { seq: head.seq, hash: head.hash };
    });
  const timer = setInterval(() => {
    ifMoved().catch((err: Error) => opts.logger?.error({ err: err.message }, 'audit checkpoint failed'));
  }, opts.intervalMs ?? 60_000);
  timer.unref();
  return {
    checkpoint: now,
    async stop() {
      clearInterval(timer);
      await ifMoved();
    },
  };
}
