/**
 * The tamper-evident audit log [003-4.4] [000-15]: hash chain, signed checkpoints outside the
 * database, verification that names the tampered entry, retention with anchors, export.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { WaygateError } from '../src/domain/index.js';
import { auditHash, genesisHash, type ChainedFields } from '../src/store/audit-chain.js';
import {
  auditDb,
  AuditWriter,
  listAudit,
  readAuditHead,
  recordAudit,
  type AuditEntry,
} from '../src/store/audit.js';
import { localFieldCipher } from '../src/security/field-cipher.js';
import { openStore, type Store } from '../src/store/db.js';
import { initial } from '../src/store/migrations/001_initial.js';
import { dlqAudit } from '../src/store/migrations/002_dlq_audit.js';
import { auditChain } from '../src/store/migrations/003_audit_chain.js';
import {
  auditPublicKey,
  checkpointSignatureValid,
  loadAuditSigningKey,
  signCheckpoint,
  writeCheckpoint,
  type AuditNotary,
  type CheckpointLine,
} from '../src/security/audit-checkpoint.js';
import { exportAudit } from '../src/security/audit-export.js';
import { pruneAudit } from '../src/security/audit-retention.js';
import { startAuditMaintenance } from '../src/security/audit-maintenance.js';
import { verifyAudit } from '../src/security/audit-verify.js';
import { createLogger } from '../src/hub/logger.js';
import { createTestDbUrl, DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { loadJson } from './helpers/fixtures.js';
import { rehashFrom } from './helpers/audit.js';

const ENTRIES = loadJson<AuditEntry[]>('audit/entries.json');
const DAY = 86_400_000;

function entry(i: number): AuditEntry {
  const e = ENTRIES[i % ENTRIES.length]!;
  return { ...e, detail: { ...e.detail, n: i } };
}

async function record(store: Store, count: number, nowMs = Date.now()): Promise<void> {
  for (let i = 0; i < count; i++) await recordAudit(store.db, entry(i), nowMs);
}

for (const dialect of DIALECTS) {
  describe(`audit chain on ${dialect}`, () => {
    let store: TestStore;
    let dir: string;
    let notary: AuditNotary;
    const verify = () =>
      verifyAudit(store, { checkpointFile: notary.checkpointFile, publicKey: notary.key.pem });

    beforeEach(async () => {
      store = await freshStore(dialect);
      dir = mkdtempSync(join(tmpdir(), 'waygate-audit-'));
      notary = {
        checkpointFile: join(dir, 'audit-checkpoints.jsonl'),
        key: loadAuditSigningKey(join(dir, 'audit-signing.key'), {}),
      };
    });
    afterEach(async () => {
      await store.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it('verifies an intact chain of gapless seqs against its checkpoints', async () => {
      await record(store, 10);
      await writeCheckpoint(store, notary);
      await record(store, 5);
      await writeCheckpoint(store, notary);
      const result = await verify();
      expect(result).toMatchObject({
        ok: true,
        entries: 15,
        lastSeq: 15,
        checkpoints: 2,
        lastCheckpointSeq: 15,
      });
      expect(result.firstFailure).toBeUndefined();
      const rows = await listAudit(store.db, { limit: 100 });
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 15 }, (_, i) => 15 - i));
      expect(rows.at(-1)?.prevHash).toBe(genesisHash(result.chainId));
    });

    it('keeps the chain gapless when an audited write rolls back inside a group commit', async () => {
      await Promise.all([
        store.write((trx) => recordAudit(trx, entry(0))),
        store
          .write(async (trx) => {
            await recordAudit(trx, entry(1));
            throw new Error('the business write failed');
          })
          .catch(() => undefined),
        store.write((trx) => recordAudit(trx, entry(2))),
      ]);
      expect((await readAuditHead(store.db)).seq).toBe(2);
      expect(await verify()).toMatchObject({ ok: true, entries: 2 });
    });

    it('masks secrets and personal data in detail, params and result', async () => {
      await recordAudit(store.db, {
        ...entry(0),
        detail: { orderId: 'ord_test_1', email: 'someone@example.invalid', note: 'call +1 555 0100 123' },
        params: { password: 'not-a-real-password', recipient: { name: 'Test Person' }, page: 2 },
        result: { token: 'tok_fake', id: 'ord_test_1' },
      });
      const [row] = await listAudit(store.db, { limit: 1 });
      expect(row?.detail).toMatchObject({ orderId: 'ord_test_1', email: '[redacted]' });
      expect(row?.params).toEqual({ password: '[redacted]', recipient: '[redacted]', page: 2 });
      expect(row?.result).toEqual({ token: '[redacted]', id: 'ord_test_1' });
      expect(await verify()).toMatchObject({ ok: true });
    });

    it('names the edited entry (hash_mismatch) when a row is changed in the database', async () => {
      await record(store, 8);
      await writeCheckpoint(store, notary);
      const target = await auditDb(store.db)
        .selectFrom('audit_log')
        .select('id')
        .where('seq', '=', 5)
        .executeTakeFirstOrThrow();
      await auditDb(store.db)
        .updateTable('audit_log')
        .set({ detail: '{"n":999}' })
        .where('id', '=', target.id)
        .execute();
      const result = await verify();
      expect(result.ok).toBe(false);
      expect(result.firstFailure).toMatchObject({ reason: 'hash_mismatch', seq: 5, id: Number(target.id) });
      expect(result.entries).toBe(4);
    });

    it('finds a row deleted from the middle (seq_gap)', async () => {
      await record(store, 8);
      await auditDb(store.db).deleteFrom('audit_log').where('seq', '=', 4).execute();
      expect((await verify()).firstFailure).toMatchObject({ reason: 'seq_gap', seq: 4 });
    });

    it('catches a rewritten chain that stays internally consistent by its signed checkpoint', async () => {
      await record(store, 10);
      await writeCheckpoint(store, notary);
      await auditDb(store.db)
        .updateTable('audit_log')
        .set({ outcome: 'failed' })
        .where('seq', '=', 3)
        .execute();
      await rehashFrom(store, 3);
      expect((await verify()).firstFailure).toMatchObject({ reason: 'checkpoint_mismatch', seq: 10 });
    });

    it('detects tail entries deleted even when the head is rewound to match (truncated)', async () => {
      await record(store, 10);
      await writeCheckpoint(store, notary);
      await auditDb(store.db).deleteFrom('audit_log').where('seq', '>', 7).execute();
      // Without the head rewound, the database alone already gives it away.
      expect((await verify()).firstFailure).toMatchObject({ reason: 'truncated', seq: 8 });
      await rehashFrom(store, 1);
      const result = await verify();
      expect(result.firstFailure).toMatchObject({ reason: 'truncated', seq: 8 });
      expect(result.firstFailure?.message).toMatch(/seq 10 was signed/);
    });

    it('detects tail entries replaced by forged ones past the checkpoint (checkpoint_mismatch)', async () => {
      await record(store, 10);
      await writeCheckpoint(store, notary);
      await auditDb(store.db).deleteFrom('audit_log').where('seq', '>', 7).execute();
      await rehashFrom(store, 1);
      await record(store, 5); // re-appended through the normal path: a perfectly linked chain
      const result = await verify();
      expect(result.firstFailure).toMatchObject({ reason: 'checkpoint_mismatch', seq: 10 });
    });

    it('rejects a forged checkpoint line (checkpoint_signature_invalid)', async () => {
      await record(store, 4);
      const real = await writeCheckpoint(store, notary);
      expect(checkpointSignatureValid(real, [notary.key])).toBe(true);
      const forged: CheckpointLine = { ...real, seq: 3, hash: 'f'.repeat(64) };
      appendFileSync(notary.checkpointFile, `${JSON.stringify(forged)}\n`);
      const result = await verify();
      expect(result.firstFailure).toMatchObject({ reason: 'checkpoint_signature_invalid', seq: 3, line: 2 });

      // Signed, but by a key the auditor does not trust.
      writeFileSync(notary.checkpointFile, '');
      const other = loadAuditSigningKey(join(dir, 'other.key'), {});
      const { chainId } = await readAuditHead(store.db);
      const alien = signCheckpoint(other, { kind: 'checkpoint', chainId, seq: 4, hash: real.hash });
      appendFileSync(notary.checkpointFile, `${JSON.stringify(alien)}\n`);
      expect((await verify()).firstFailure).toMatchObject({ reason: 'checkpoint_signature_invalid' });
      // …which the same file passes with that key among the trusted ones.
      const both = await verifyAudit(store, {
        checkpointFile: notary.checkpointFile,
        publicKey: [notary.key.pem, auditPublicKey(other.pem)],
      });
      expect(both.ok).toBe(true);
    });

    it('ignores a last checkpoint line torn by a crash and appends after it on a fresh line', async () => {
      await record(store, 3);
      await writeCheckpoint(store, notary);
      appendFileSync(notary.checkpointFile, '{"v":1,"kind":"checkp');
      expect(await verify()).toMatchObject({ ok: true, checkpoints: 1 });
      await record(store, 2);
      await writeCheckpoint(store, notary);
      // The fragment is now a line of its own: counted, and proving nothing either way.
      expect(await verify()).toMatchObject({ ok: true, checkpoints: 2, malformedLines: 1 });
      expect(readFileSync(notary.checkpointFile, 'utf8').split('\n').at(-2)).toMatch(/"seq":5/);
    });

    it(
      'gives concurrent appenders one gapless chain (two hub nodes on PostgreSQL)',
      { timeout: 60_000 },
      async () => {
        // better-sqlite3 is synchronous: two handles in one process would block each other's
        // event loop, so SQLite shares one handle here (several processes are fine).
        const second =
          dialect === 'postgres' ? await openStore(store.url, { cipher: localFieldCipher }) : store;
        try {
          const writer = new AuditWriter(second);
          const calls: Promise<void>[] = [];
          for (let i = 0; i < 120; i++) {
            calls.push(recordAudit(store.db, entry(i)));
            calls.push(recordAudit(second.db, entry(i + 1)));
            calls.push(writer.record(entry(i + 2)));
            calls.push(store.write((trx) => recordAudit(trx, entry(i + 3))));
          }
          await Promise.all(calls);
          const seqs = await auditDb(store.db).selectFrom('audit_log').select('seq').orderBy('seq').execute();
          expect(seqs.map((r) => Number(r.seq))).toEqual(
            Array.from({ length: calls.length }, (_, i) => i + 1),
          );
          await writeCheckpoint(store, notary);
          expect(await verify()).toMatchObject({ ok: true, entries: calls.length });
        } finally {
          if (second !== store) await second.close();
        }
      },
    );

    it('refuses to prune entries younger than 180 days', async () => {
      await record(store, 2, Date.now() - 400 * DAY);
      const refused = await pruneAudit(store, { olderThanDays: 179, notary }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WaygateError);
      expect((refused as WaygateError).code).toBe('retention_too_short');
      expect((await readAuditHead(store.db)).seq).toBe(2);
      expect(await auditDb(store.db).selectFrom('audit_log').select('id').execute()).toHaveLength(2);
    });

    it('prunes old entries from the start only and still verifies from the signed anchor', async () => {
      const now = Date.now();
      await record(store, 6, now - 200 * DAY);
      await writeCheckpoint(store, notary);
      await record(store, 1, now - 10 * DAY);
      await record(store, 1, now - 300 * DAY); // old, but after a young one: kept
      await record(store, 3, now);
      const result = await pruneAudit(store, { olderThanDays: 180, notary, nowMs: now, batchSize: 4 });
      expect(result).toMatchObject({ pruned: 6, anchor: { seq: 6 } });
      const verified = await verify();
      expect(verified).toMatchObject({ ok: true, entries: 5, startSeq: 6, lastSeq: 11 });
      // Nothing more to prune, and the old entry behind the young one stays.
      expect(await pruneAudit(store, { olderThanDays: 180, notary, nowMs: now })).toEqual({ pruned: 0 });
      // Deleting the first remaining entry is not a prune: there is no anchor for it.
      await auditDb(store.db).deleteFrom('audit_log').where('seq', '=', 7).execute();
      expect((await verify()).firstFailure).toMatchObject({ reason: 'anchor_missing', seq: 8 });
    });

    it('verifies after a prune interrupted between its anchor and its last delete', async () => {
      const now = Date.now();
      await record(store, 6, now - 200 * DAY);
      await record(store, 2, now);
      const { chainId } = await readAuditHead(store.db);
      const row6 = await auditDb(store.db)
        .selectFrom('audit_log')
        .select('hash')
        .where('seq', '=', 6)
        .executeTakeFirstOrThrow();
      appendFileSync(
        notary.checkpointFile,
        `${JSON.stringify(signCheckpoint(notary.key, { kind: 'anchor', chainId, seq: 6, hash: row6.hash }))}\n`,
      );
      await auditDb(store.db).deleteFrom('audit_log').where('seq', '<=', 2).execute();
      expect(await verify()).toMatchObject({ ok: true, entries: 2, skipped: 4, startSeq: 6 });
      expect(await pruneAudit(store, { olderThanDays: 180, notary, nowMs: now })).toMatchObject({
        pruned: 4,
      });
      expect(await verify()).toMatchObject({ ok: true, entries: 2, skipped: 0 });
    });

    it('refuses to prune (and so destroy) entries that were tampered with', async () => {
      const now = Date.now();
      await record(store, 5, now - 200 * DAY);
      await auditDb(store.db)
        .updateTable('audit_log')
        .set({ actor: 'someone-else' })
        .where('seq', '=', 2)
        .execute();
      const refused = await pruneAudit(store, { olderThanDays: 180, notary, nowMs: now }).catch(
        (e: unknown) => e,
      );
      expect((refused as WaygateError).code).toBe('audit_chain_broken');
      expect(await auditDb(store.db).selectFrom('audit_log').select('id').execute()).toHaveLength(5);
    });

    it('exports a stretch an auditor can re-verify from the files alone', async () => {
      const now = Date.now();
      await record(store, 3, now - 3 * DAY);
      await record(store, 4, now - DAY);
      await writeCheckpoint(store, notary);
      const out = join(dir, 'audit.jsonl');
      const result = await exportAudit(store, {
        out,
        format: 'jsonl',
        from: new Date(now - 2 * DAY),
        checkpointFile: notary.checkpointFile,
        publicKeyPem: notary.key.pem,
      });
      expect(result).toMatchObject({ entries: 4, firstSeq: 4, lastSeq: 7, checkpoints: 1 });
      const rows = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ChainedFields & { prev_hash: string; hash: string });
      let prev = rows[0]!.prev_hash;
      for (const r of rows) {
        expect(r.prev_hash).toBe(prev);
        expect(auditHash(r, prev)).toBe(r.hash);
        prev = r.hash;
      }
      const pub = auditPublicKey(readFileSync(`${out}.pub.pem`, 'utf8'));
      const lines = readFileSync(`${out}.checkpoints.jsonl`, 'utf8').trim().split('\n');
      const cp = JSON.parse(lines[0]!) as CheckpointLine;
      expect(checkpointSignatureValid(cp, [pub])).toBe(true);
      expect(cp.hash).toBe(prev);
      const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8')) as { chainId: string };
      expect(manifest.chainId).toBe(cp.chainId);

      const csv = join(dir, 'audit.csv');
      expect(await exportAudit(store, { out: csv, format: 'csv' })).toMatchObject({ entries: 7 });
      const csvLines = readFileSync(csv, 'utf8').trim().split('\n');
      expect(csvLines[0]).toBe(
        'seq,id,at,at_iso,actor,action,target,detail,outcome,interface,status,params,result,prev_hash,hash',
      );
      expect(csvLines).toHaveLength(8);
    });
  });

  describe(`audit chain migration on ${dialect}`, () => {
    it('chains the rows already in the log, in id order', async () => {
      const { url, drop } = await createTestDbUrl(dialect);
      const store = await openStore(url, { migrate: false, cipher: localFieldCipher });
      try {
        await initial(dialect).up(store.db);
        await dlqAudit(dialect).up(store.db);
        for (let i = 0; i < 3; i++)
          await sql`insert into audit_log (at, actor, action, target, detail, outcome)
                    values (${Date.now()}, ${'cli:test-operator'}, ${'dlq.replay'}, ${`job_test_${i}`}, ${'{}'}, ${'ok'})`.execute(
            store.db,
          );
        await auditChain(dialect).up(store.db);
        const rows = await auditDb(store.db)
          .selectFrom('audit_log')
          .select(['id', 'seq', 'target'])
          .orderBy('id')
          .execute();
        expect(rows.map((r) => [Number(r.seq), r.target])).toEqual([
          [1, 'job_test_0'],
          [2, 'job_test_1'],
          [3, 'job_test_2'],
        ]);
        expect(await verifyAudit(store)).toMatchObject({ ok: true, entries: 3 });
        await recordAudit(store.db, entry(0));
        expect(await verifyAudit(store)).toMatchObject({ ok: true, entries: 4 });
      } finally {
        await store.close();
        await drop();
      }
    });
  });
}

describe('audit signing key and hub maintenance', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'waygate-audit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the signing key once, readable by its owner only, with the public key beside it', () => {
    const keyFile = join(dir, 'audit-signing.key');
    const key = loadAuditSigningKey(keyFile, {});
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'audit-signing.pub'), 'utf8')).toBe(key.pem);
    expect(loadAuditSigningKey(keyFile, {}).keyId).toBe(key.keyId);
  });

  it('writes a checkpoint of the head when the hub stops', async () => {
    const store = await freshStore('sqlite');
    try {
      const notary = {
        checkpointFile: join(dir, 'audit-checkpoints.jsonl'),
        key: loadAuditSigningKey(join(dir, 'audit-signing.key'), {}),
      };
      const maintenance = startAuditMaintenance(store, notary, { logger: createLogger('silent') });
      await record(store, 3);
      await maintenance.stop();
      const lines = readFileSync(notary.checkpointFile, 'utf8').trim().split('\n');
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: 'checkpoint', seq: 3 });
    } finally {
      await store.destroy();
    }
  });
});

/** The built CLI (`npm run build` first, as `npm test` does). */
describe('waygate audit (CLI)', () => {
  const run = promisify(execFile);
  const bin = fileURLToPath(new URL('../bin/waygate.js', import.meta.url));
  // The signing key and checkpoints live apart from the database, in a directory of the test's own.
  let auditDir: string;
  beforeEach(() => {
    auditDir = mkdtempSync(join(tmpdir(), 'waygate-audit-dir-'));
  });
  afterEach(() => rmSync(auditDir, { recursive: true, force: true }));
  async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
        env: {
          ...process.env,
          WAYGATE_AUDIT_SIGNING_KEY: '',
          WAYGATE_AUDIT_CHECKPOINT_FILE: '',
          WAYGATE_AUDIT_DIR: auditDir,
        },
      });
      return { stdout, stderr, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  }

  it('verify exits 0 on an intact chain and 1 naming the edited entry', { timeout: 180_000 }, async () => {
    const { url, drop } = await createTestDbUrl('sqlite');
    try {
      const store = await openStore(url, { cipher: localFieldCipher });
      await record(store, 5);
      await store.close();
      expect((await cli(['audit', 'checkpoint', '--db', url])).code).toBe(0);
      const intact = await cli(['audit', 'verify', '--db', url]);
      expect(intact).toMatchObject({ code: 0 });
      expect(intact.stdout).toContain('audit chain intact: 5 entries, last checkpoint seq 5');

      const tampered = await openStore(url, { cipher: localFieldCipher });
      const row = await auditDb(tampered.db)
        .selectFrom('audit_log')
        .select('id')
        .where('seq', '=', 3)
        .executeTakeFirstOrThrow();
      await auditDb(tampered.db)
        .updateTable('audit_log')
        .set({ target: 'job_test_other' })
        .where('id', '=', row.id)
        .execute();
      await tampered.close();
      const broken = await cli(['audit', 'verify', '--db', url]);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain(`first failure at seq 3, id ${Number(row.id)}: hash_mismatch`);

      const prune = await cli(['audit', 'prune', '--older-than-days', '90', '--db', url]);
      expect(prune.code).toBe(1);
      expect(prune.stderr).toContain('retention_too_short');
    } finally {
      await drop();
    }
  });
});
