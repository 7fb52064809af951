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
 * key's DER (SPKI).
 *
 * Whoever can write the database and also the signing key and checkpoints could rewrite the chain
 * and sign it again, so they never sit beside the database: they live in the audit directory,
 * WAYGATE_AUDIT_DIR, by default `$XDG_STATE_HOME/waygate/audit` (`~/.local/state/waygate/audit`),
 * created 0700, and the hub refuses to start with it in the database's (or master key's)
 * directory. Put it on storage the database's users cannot rewrite (another volume or account);
 * give auditors the public key (`waygate audit pubkey`) and record checkpoint heads outside the
 * hub: that external anchor is what a rewrite cannot reach (see docs/security.md).
 *
 * The private key comes from WAYGATE_AUDIT_SIGNING_KEY (PEM or base64 PKCS#8 DER; several hub
 * nodes share it like the master key) or from `audit-signing.key` (mode 0600) created in the
 * audit directory on first use, with its public key in `audit-signing.pub`.
 */
import {
  createHash,
  randomBytes,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import {
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { readAuditHead } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { WaygateError } from '../domain/index.js';
import { keyFileFor } from './secret-box.js';

export const AUDIT_SIGNING_KEY_ENV = 'WAYGATE_AUDIT_SIGNING_KEY';
export const AUDIT_CHECKPOINT_FILE_ENV = 'WAYGATE_AUDIT_CHECKPOINT_FILE';
export const AUDIT_DIR_ENV = 'WAYGATE_AUDIT_DIR';

const KEY_FILE = 'audit-signing.key';
const CHECKPOINT_FILE = 'audit-checkpoints.jsonl';

export interface AuditPaths {
  /** The audit directory: signing key, public key, checkpoints, verification state. */
  dir: string;
  keyFile: string;
  publicKeyFile: string;
  checkpointFile: string;
  /** What `audit verify` last verified (see audit-anchor.ts). */
  stateFile: string;
}

/** `$XDG_STATE_HOME/waygate/audit`, else `~/.local/state/waygate/audit`: the user's state, not the database's directory. */
export function defaultAuditDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return resolve(base, 'waygate', 'audit');
}

/** Where a store's audit key, checkpoints and verification state live. */
export function auditPathsFor(env: NodeJS.ProcessEnv = process.env): AuditPaths {
  const dir = resolve(env[AUDIT_DIR_ENV] || defaultAuditDir(env));
  return {
    dir,
    keyFile: join(dir, KEY_FILE),
    publicKeyFile: join(dir, 'audit-signing.pub'),
    checkpointFile: resolve(env[AUDIT_CHECKPOINT_FILE_ENV] || join(dir, CHECKPOINT_FILE)),
    stateFile: join(dir, 'audit-verify-state.json'),
  };
}

/** A directory as the file system sees it (symlinks and `..` resolved as far as it exists). */
function realDir(dir: string): string {
  let probe = resolve(dir);
  const rest: string[] = [];
  while (!existsSync(probe) && dirname(probe) !== probe) {
    rest.unshift(probe.slice(dirname(probe).length + 1));
    probe = dirname(probe);
  }
  return join(realpathSync(probe), ...rest);
}

/** The directories whose writers must not also hold the audit key: the database's and the master key's. */
function databaseDirs(dbUrl: string): string[] {
  const dirs = [dirname(keyFileFor(dbUrl))];
  if (dbUrl.startsWith('sqlite:') && !dbUrl.startsWith('sqlite::memory:'))
    dirs.push(dirname(resolve(dbUrl.slice('sqlite:'.length).split('?')[0] ?? '')));
  return [...new Set(dirs.map(realDir))];
}

/**
 * Refuses audit paths beside the database: whoever can write the database there could also
 * rewrite the checkpoints and sign them again. Returns warnings for what is only suspicious.
 */
export function checkAuditPaths(
  dbUrl: string,
  paths: AuditPaths,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const dbDirs = databaseDirs(dbUrl);
  const beside = (file: string) => dbDirs.includes(realDir(dirname(file)));
  const offenders = [...(env[AUDIT_SIGNING_KEY_ENV] ? [] : [paths.keyFile]), paths.checkpointFile].filter(
    beside,
  );
  if (offenders.length > 0)
    throw new WaygateError(
      'audit_beside_database',
      `${offenders.join(' and ')} would sit beside the database, where whoever can write the database could rewrite the checkpoints and sign them again: set ${AUDIT_DIR_ENV} (and ${AUDIT_CHECKPOINT_FILE_ENV}, if set) to a directory the database's users cannot write`,
    );
  const legacy = dbDirs.map((d) => join(d, KEY_FILE)).filter((f) => f !== paths.keyFile && existsSync(f));
  return legacy.map(
    (f) =>
      `an audit signing key from an older release sits beside the database (${f}); checkpoints are now signed by the key in ${paths.dir}: keep ${join(dirname(f), CHECKPOINT_FILE)} and the old public key to verify older checkpoints (--checkpoints OLD --checkpoints NEW --public-key OLD.pub --public-key NEW.pub), then delete the old private key`,
  );
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
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    // Written whole under another name and linked into place, so several hub processes sharing
    // the audit directory never read a half-written key; the first one's key wins.
    const tmp = `${keyFile}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(tmp, keyFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const key = signingKeyFrom(parsePrivateKey(readFileSync(keyFile, 'utf8')));
  const publicKeyFile = keyFile.replace(/\.key$/, '') + '.pub';
  if (!existsSync(publicKeyFile) || readFileSync(publicKeyFile, 'utf8') !== key.pem) {
    const tmp = `${publicKeyFile}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, key.pem, { mode: 0o644, flag: 'wx' });
    renameSync(tmp, publicKeyFile);
  }
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
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
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
  /** Things an operator should fix (logged at start, printed by the CLI). */
  warnings?: string[];
}

/** The hub's notary; refuses (`audit_beside_database`) a key or checkpoint file beside the database. */
export function auditNotaryFor(dbUrl: string, env: NodeJS.ProcessEnv = process.env): AuditNotary {
  const paths = auditPathsFor(env);
  const warnings = checkAuditPaths(dbUrl, paths, env);
  return { checkpointFile: paths.checkpointFile, key: loadAuditSigningKey(paths.keyFile, env), warnings };
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
