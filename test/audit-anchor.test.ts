/**
 * The audit log could be rewritten on a default install (issue 16, defect 10): the checkpoint
 * file and its signing key sat beside the database, so whoever could write the database could
 * also rewrite the checkpoints and sign them again. Now they live apart by default, the hub
 * refuses them beside the database, and `audit verify` remembers what it verified so a checkpoint
 * file cut short, rolled back, or rewritten and signed again is refused.
 */
import { execFile } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WaygateError } from '../src/domain/index.js';
import { readLastSeen, rememberVerified, type LastSeen } from '../src/security/audit-anchor.js';
import {
  auditNotaryFor,
  auditPathsFor,
  loadAuditSigningKey,
  signCheckpoint,
  writeCheckpoint,
  type AuditNotary,
} from '../src/security/audit-checkpoint.js';
import { verifyAudit, type AuditVerification } from '../src/security/audit-verify.js';
import { auditDb, readAuditHead, recordAudit } from '../src/store/audit.js';
import { localFieldCipher } from '../src/security/field-cipher.js';
import { openStore, type Store } from '../src/store/db.js';
import { rehashFrom } from './helpers/audit.js';
import { createTestDbUrl } from './helpers/stores.js';

async function record(store: Store, count: number): Promise<void> {
  for (let i = 0; i < count; i++)
    await recordAudit(store.db, {
      actor: 'usr_t',
      action: 'test',
      target: `t${i}`,
      detail: {},
      outcome: 'ok',
    });
}

/** Edits one entry and re-hashes the chain from it: consistent, so only a checkpoint tells. */
async function rewriteFrom(store: Store, seq: number): Promise<void> {
  await auditDb(store.db)
    .updateTable('audit_log')
    .set({ outcome: 'failed' })
    .where('seq', '=', seq)
    .execute();
  await rehashFrom(store, seq);
}

const seenOf = (v: AuditVerification): LastSeen => ({
  checkpoints: v.checkpoints,
  seq: v.lastCheckpointSeq!,
  hash: v.lastCheckpointHash!,
  verifiedAt: new Date().toISOString(),
});

describe('audit checkpoints kept apart from the database', () => {
  let url: string;
  let drop: () => Promise<void>;
  let dbDir: string;
  let home: string;

  beforeEach(async () => {
    ({ url, drop } = await createTestDbUrl('sqlite'));
    dbDir = dirname(url.slice('sqlite:'.length));
    home = mkdtempSync(join(tmpdir(), 'waygate-home-'));
  });
  afterEach(async () => {
    await drop();
    rmSync(home, { recursive: true, force: true });
  });

  const refusal = (env: NodeJS.ProcessEnv) => {
    try {
      auditNotaryFor(url, env);
    } catch (err) {
      return err instanceof WaygateError ? err.code : String(err);
    }
    return 'accepted';
  };

  it('the audit log can be rewritten on a default install: by default the signing key and checkpoints are not beside the database', async () => {
    const env = { HOME: home };
    const notary = auditNotaryFor(url, env);
    expect(auditPathsFor(env).dir).toBe(join(home, '.local', 'state', 'waygate', 'audit'));
    expect(dirname(notary.checkpointFile)).toBe(auditPathsFor(env).dir);
    const store = await openStore(url, { cipher: localFieldCipher });
    try {
      await record(store, 6);
      await writeCheckpoint(store, notary);
      // Whoever can write the database's directory finds no key there to sign a rewrite with.
      const files = readdirSync(dbDir);
      expect(files.filter((f) => f.startsWith('audit-'))).toEqual([]);
      for (const f of files)
        if (statSync(join(dbDir, f)).isFile())
          expect(readFileSync(join(dbDir, f)).includes('PRIVATE KEY')).toBe(false);
      expect(statSync(auditPathsFor(env).dir).mode & 0o777).toBe(0o700);
      expect(statSync(auditPathsFor(env).keyFile).mode & 0o777).toBe(0o600);

      await rewriteFrom(store, 3);
      const result = await verifyAudit(store, {
        checkpointFile: notary.checkpointFile,
        publicKey: notary.key.pem,
      });
      expect(result.firstFailure).toMatchObject({ reason: 'checkpoint_mismatch', seq: 6 });
    } finally {
      await store.close();
    }
  });

  it('refuses a signing key or checkpoint file beside the database, however the path is spelled', () => {
    const link = join(home, 'db-link');
    symlinkSync(dbDir, link);
    for (const env of [
      { WAYGATE_AUDIT_DIR: dbDir },
      { WAYGATE_AUDIT_DIR: join(dbDir, 'sub', '..') },
      { WAYGATE_AUDIT_DIR: `${dbDir}/` },
      { WAYGATE_AUDIT_DIR: link },
      { HOME: home, WAYGATE_AUDIT_CHECKPOINT_FILE: join(dbDir, 'checkpoints.jsonl') },
      { HOME: home, WAYGATE_AUDIT_CHECKPOINT_FILE: join(link, 'checkpoints.jsonl') },
    ])
      expect([env, refusal(env)]).toEqual([env, 'audit_beside_database']);
    // Nothing was created beside the database on the way.
    expect(readdirSync(dbDir).filter((f) => f.startsWith('audit-'))).toEqual([]);
    expect(refusal({ WAYGATE_AUDIT_DIR: join(home, 'audit') })).toBe('accepted');
  });

  it('warns about a signing key an older release left beside the database', () => {
    loadAuditSigningKey(join(dbDir, 'audit-signing.key'), {});
    const notary = auditNotaryFor(url, { HOME: home });
    expect(notary.warnings).toEqual([expect.stringContaining(join(dbDir, 'audit-signing.key'))]);
  });
});

describe('audit verify remembers the checkpoints it saw', () => {
  let url: string;
  let drop: () => Promise<void>;
  let dir: string;
  let store: Store;
  let notary: AuditNotary;
  let stateFile: string;
  const verify = (lastSeen?: LastSeen) =>
    verifyAudit(store, {
      checkpointFile: notary.checkpointFile,
      publicKey: notary.key.pem,
      ...(lastSeen ? { lastSeen } : {}),
    });
  /** Records and checkpoints three times, verifies, and remembers it: seq 3, 6, 9. */
  async function verifiedHistory(): Promise<LastSeen> {
    for (let i = 0; i < 3; i++) {
      await record(store, 3);
      await writeCheckpoint(store, notary);
    }
    const first = await verify();
    expect(first).toMatchObject({ ok: true, checkpoints: 3, lastCheckpointSeq: 9 });
    const { chainId } = await readAuditHead(store.db);
    rememberVerified(stateFile, chainId, seenOf(first));
    return readLastSeen(stateFile, chainId)!;
  }

  beforeEach(async () => {
    ({ url, drop } = await createTestDbUrl('sqlite'));
    store = await openStore(url, { cipher: localFieldCipher });
    dir = mkdtempSync(join(tmpdir(), 'waygate-anchor-'));
    notary = {
      checkpointFile: join(dir, 'audit-checkpoints.jsonl'),
      key: loadAuditSigningKey(join(dir, 'audit-signing.key'), {}),
    };
    stateFile = join(dir, 'audit-verify-state.json');
  });
  afterEach(async () => {
    await store.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('truncated checkpoint file detected: verify refuses a checkpoint file shorter than the last one it saw', async () => {
    const seen = await verifiedHistory();
    expect(seen).toMatchObject({ checkpoints: 3, seq: 9 });
    // Cut back to the first checkpoint, then rewrite everything after it.
    const lines = readFileSync(notary.checkpointFile, 'utf8').split('\n');
    writeFileSync(notary.checkpointFile, `${lines[0]}\n`);
    await rewriteFrom(store, 4);
    // Every line left verifies and so does the chain: only the memory of the longer file tells.
    expect(await verify()).toMatchObject({ ok: true, checkpoints: 1 });
    const result = await verify(seen);
    expect(result.ok).toBe(false);
    expect(result.firstFailure).toMatchObject({ reason: 'checkpoint_rollback', seq: 9 });
    expect(result.firstFailure?.message).toMatch(/hold 1 checkpoints of this chain but .* counted 3/);

    // Emptied or deleted is the shortest file of all.
    rmSync(notary.checkpointFile);
    expect((await verify(seen)).firstFailure).toMatchObject({ reason: 'checkpoint_rollback' });
  });

  it('rewritten and re-signed checkpoints detected: another hash at the remembered seq is refused', async () => {
    const seen = await verifiedHistory();
    // The attacker holds the signing key too: rewrites the chain and signs a whole new file.
    await rewriteFrom(store, 2);
    const { chainId } = await readAuditHead(store.db);
    const hashes = await auditDb(store.db)
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .where('seq', 'in', [3, 6, 9])
      .orderBy('seq')
      .execute();
    writeFileSync(
      notary.checkpointFile,
      hashes
        .map((h) =>
          signCheckpoint(notary.key, { kind: 'checkpoint', chainId, seq: Number(h.seq), hash: h.hash }),
        )
        .map((l) => `${JSON.stringify(l)}\n`)
        .join(''),
    );
    expect(await verify()).toMatchObject({ ok: true, checkpoints: 3 });
    const result = await verify(seen);
    expect(result.firstFailure).toMatchObject({ reason: 'checkpoint_rollback', seq: 9 });
    expect(result.firstFailure?.message).toMatch(/checkpoints were rewritten/);
  });

  it('accepts a file that grew, and never lowers what it remembers', async () => {
    const seen = await verifiedHistory();
    await record(store, 2);
    await writeCheckpoint(store, notary);
    const grown = await verify(seen);
    expect(grown).toMatchObject({ ok: true, checkpoints: 4, lastCheckpointSeq: 11 });
    const { chainId } = await readAuditHead(store.db);
    rememberVerified(stateFile, chainId, seenOf(grown));
    rememberVerified(stateFile, chainId, seen);
    expect(readLastSeen(stateFile, chainId)).toMatchObject({ checkpoints: 4, seq: 11 });
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged state file instead of silently starting afresh', async () => {
    writeFileSync(stateFile, '{"v":1,"chains":{"x":{"checkpoints":"three"}}}');
    expect(() => readLastSeen(stateFile, 'x')).toThrow(/audit-verify-state.json is not a verification state/);
    writeFileSync(stateFile, 'not json');
    expect(() => readLastSeen(stateFile, 'x')).toThrow(WaygateError);
  });
});

/** The built CLI (`npm run build` first, as `npm test` does). */
describe('waygate audit verify (CLI) with the remembered checkpoints', () => {
  const run = promisify(execFile);
  const bin = fileURLToPath(new URL('../bin/waygate.js', import.meta.url));
  let auditDir: string;
  let url: string;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    auditDir = mkdtempSync(join(tmpdir(), 'waygate-audit-dir-'));
    ({ url, drop } = await createTestDbUrl('sqlite'));
  });
  afterEach(async () => {
    rmSync(auditDir, { recursive: true, force: true });
    await drop();
  });
  async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args, '--db', url], {
        env: {
          ...process.env,
          WAYGATE_AUDIT_SIGNING_KEY: '',
          WAYGATE_AUDIT_CHECKPOINT_FILE: '',
          WAYGATE_AUDIT_DIR: auditDir,
          ...env,
        },
      });
      return { stdout, stderr, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  }

  it(
    'truncated checkpoint file detected: exits 1 after the file was cut short, and refuses the database’s directory',
    { timeout: 180_000 },
    async () => {
      // Checkpoints written as the hub writes them, into the audit directory.
      const store = await openStore(url, { cipher: localFieldCipher });
      const notary = auditNotaryFor(url, { WAYGATE_AUDIT_DIR: auditDir });
      for (let i = 0; i < 2; i++) {
        await record(store, 3);
        await writeCheckpoint(store, notary);
      }
      await store.close();
      const intact = await cli(['audit', 'verify']);
      expect(intact).toMatchObject({ code: 0 });
      expect(intact.stdout).toMatch(/checkpoint head: seq 6 hash [0-9a-f]{64}/);
      expect(existsSync(join(auditDir, 'audit-verify-state.json'))).toBe(true);

      const file = join(auditDir, 'audit-checkpoints.jsonl');
      writeFileSync(file, readFileSync(file, 'utf8').split('\n')[0] + '\n');
      const cut = await cli(['audit', 'verify']);
      expect(cut.code).toBe(1);
      expect(cut.stdout).toContain('checkpoint_rollback');

      const beside = await cli(['audit', 'checkpoint'], {
        WAYGATE_AUDIT_DIR: dirname(url.slice('sqlite:'.length)),
      });
      expect(beside.code).toBe(1);
      expect(beside.stderr).toContain('audit_beside_database');
    },
  );
});
