import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { GroupCommitter, StoreSyncError, type DeferredDurability } from '../src/store/group-commit.js';
import { localFieldCipher } from '../src/security/field-cipher.js';
import { cachingStatements, openStore } from '../src/store/db.js';
import { WalSync } from '../src/store/wal-sync.js';
import type { Database } from '../src/store/schema.js';
import { compiled } from '../src/store/compiled.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

/** A durability hook the test releases by hand, to see what callers are told before the fsync. */
class HeldSync implements DeferredDurability {
  groupCommitting = false;
  calls = 0;
  #waiting: { resolve(): void; reject(e: unknown): void }[] = [];
  sync(): Promise<void> {
    this.calls++;
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }
  release(): void {
    for (const w of this.#waiting.splice(0)) w.resolve();
  }
  fail(err: Error): void {
    for (const w of this.#waiting.splice(0)) w.reject(err);
  }
}

const settled = async (p: Promise<unknown>) => {
  let state = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  // Several turns: the committer's transaction runs over a few promise hops and one setImmediate.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return state;
};

describe('group commit with the fsync outside the database', () => {
  let dir: string;
  let raw: BetterSqlite3.Database;
  let db: Kysely<Database>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'waygate-gc-'));
    raw = new BetterSqlite3(join(dir, 'gc.db'));
    raw.pragma('journal_mode = WAL');
    raw.exec(
      'create table nonces (key_id text, nonce text, expires_at integer, primary key (key_id, nonce))',
    );
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) });
  });
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const nonce = (n: string) =>
    db.selectFrom('nonces').select('nonce').where('nonce', '=', n).executeTakeFirst();

  it('tells a writer nothing until the sync that follows its commit has finished', async () => {
    const held = new HeldSync();
    const committer = new GroupCommitter(db, { durable: held });
    const write = committer.write((trx) =>
      trx.insertInto('nonces').values({ key_id: 'k', nonce: 'n1', expires_at: 1 }).execute(),
    );
    expect(await settled(write)).toBe('pending');
    // Committed (a reader sees it) but not yet acknowledged.
    expect(await nonce('n1')).toEqual({ nonce: 'n1' });
    expect(held.calls).toBe(1);
    held.release();
    await expect(write).resolves.toBeDefined();
  });

  it('reports a failed sync to every writer of the batch as store_sync_failed', async () => {
    const held = new HeldSync();
    const committer = new GroupCommitter(db, { durable: held });
    const writes = ['a', 'b'].map((n) =>
      committer.write((trx) =>
        trx.insertInto('nonces').values({ key_id: 'k', nonce: n, expires_at: 1 }).execute(),
      ),
    );
    await settled(writes[0]!);
    held.fail(new Error('EIO'));
    for (const w of writes) await expect(w).rejects.toMatchObject({ code: 'store_sync_failed' });
    await expect(writes[0]).rejects.toBeInstanceOf(StoreSyncError);
  });

  it('keeps the other writes of a batch when one fails, and nothing of the failed one', async () => {
    const committer = new GroupCommitter(db);
    const insert = (n: string) => (trx: Parameters<Parameters<typeof committer.write>[0]>[0]) =>
      trx.insertInto('nonces').values({ key_id: 'k', nonce: n, expires_at: 1 }).execute();
    const results = await Promise.allSettled([
      committer.write(insert('first')),
      committer.write(async (trx) => {
        await insert('half-written')(trx);
        throw new Error('business rule says no');
      }),
      committer.write(insert('third')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await nonce('first')).toBeDefined();
    expect(await nonce('third')).toBeDefined();
    expect(await nonce('half-written')).toBeUndefined();
  });

  it('syncs on the spot a commit made outside the group committer, and not the committer’s own', () => {
    let syncs = 0;
    const hook = { groupCommitting: false, syncNow: () => void syncs++ };
    const conn = cachingStatements(raw, hook);
    const insert = (n: string) => conn.prepare('insert into nonces values (?, ?, ?)').run(['k', n, 1]);
    insert('auto');
    expect(syncs).toBe(1);
    conn.prepare('select * from nonces').all([]);
    expect(syncs).toBe(1);
    conn.prepare('begin').run([]);
    insert('in-tx');
    expect(syncs).toBe(1);
    conn.prepare('commit').run([]);
    expect(syncs).toBe(2);
    // The committer raises the flag once it holds the connection; its COMMIT consumes it.
    conn.prepare('begin').run([]);
    hook.groupCommitting = true;
    insert('grouped');
    conn.prepare('commit').run([]);
    expect(syncs).toBe(2);
    expect(hook.groupCommitting).toBe(false);
    // A rolled-back group transaction gives the flag up as well.
    conn.prepare('begin').run([]);
    hook.groupCommitting = true;
    insert('rolled-back');
    conn.prepare('rollback').run([]);
    expect(hook.groupCommitting).toBe(false);
    // So the next transaction's COMMIT, whoever makes it, is synced again.
    conn.prepare('begin').run([]);
    insert('after');
    conn.prepare('commit').run([]);
    expect(syncs).toBe(3);
  });

  it('raises the flag only while its own transaction holds the connection', async () => {
    const held = new HeldSync();
    const committer = new GroupCommitter(db, { durable: held });
    const seen: boolean[] = [];
    const write = committer.write(async (trx) => {
      seen.push(held.groupCommitting);
      await trx.insertInto('nonces').values({ key_id: 'k', nonce: 'flag', expires_at: 1 }).execute();
    });
    expect(held.groupCommitting).toBe(false);
    await settled(write);
    held.release();
    await write;
    expect(seen).toEqual([true]);
    expect(held.groupCommitting).toBe(false);
  });

  it('joins callers who ask while a sync runs into one further sync', async () => {
    raw.exec("insert into nonces values ('k', 'x', 1)");
    const wal = new WalSync(join(dir, 'gc.db-wal'));
    const first = wal.sync();
    const second = wal.sync();
    const third = wal.sync();
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    await Promise.all([first, second, third]);
    wal.close();
  });
});

describe('SQLite durability settings in the database URL', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'waygate-sync-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const level = async (url: string) => {
    const store = await openStore(url, { cipher: localFieldCipher });
    const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
    const out = { reported: store.sqliteSynchronous, pragma: rows[0]?.synchronous };
    await store.close();
    return out;
  };

  it('keeps FULL’s promise by default with its own fsync, and SQLite’s FULL on request', async () => {
    expect(await level(`sqlite:${join(dir, 'a.db')}`)).toEqual({
      reported: 'FULL (WAL fsync off the event loop)',
      pragma: 1,
    });
    expect(await level(`sqlite:${join(dir, 'b.db')}?fsync=inline`)).toEqual({ reported: 'FULL', pragma: 2 });
    expect(await level(`sqlite:${join(dir, 'c.db')}?synchronous=normal`)).toEqual({
      reported: 'NORMAL',
      pragma: 1,
    });
  });

  it('syncs the WAL where SQLite keeps it when the database file is a symlink', async () => {
    const real = join(dir, 'real.db');
    await (await openStore(`sqlite:${real}`, { cipher: localFieldCipher })).close();
    symlinkSync(real, join(dir, 'link.db'));
    const store = await openStore(`sqlite:${join(dir, 'link.db')}`, { cipher: localFieldCipher });
    await store.write((trx) =>
      trx.insertInto('nonces').values({ key_id: 'k', nonce: 'via-link', expires_at: 1 }).execute(),
    );
    await store.close();
  });

  it('leaves the fsync to SQLite where there is no WAL to sync', async () => {
    expect(await level('sqlite::memory:')).toEqual({ reported: 'FULL', pragma: 2 });
  });

  it('refuses an unknown fsync mode instead of guessing', async () => {
    await expect(
      openStore(`sqlite:${join(dir, 'd.db')}?fsync=sometimes`, { cipher: localFieldCipher }),
    ).rejects.toThrow(/fsync must be async or inline/);
  });
});

for (const dialect of DIALECTS) {
  describe(`compiled statements on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
    });
    afterEach(async () => store.destroy());

    const insertNonce = compiled((ex, a: { key_id: string; nonce: string; expires_at: number }) =>
      ex
        .insertInto('nonces')
        .values(a)
        .onConflict((oc) => oc.columns(['key_id', 'nonce']).doNothing()),
    );
    const byKey = compiled((ex, a: { keyId: string }) =>
      ex.selectFrom('nonces').select(['nonce', 'expires_at']).where('key_id', '=', a.keyId).orderBy('nonce'),
    );

    it('commits every write of batches that deadlock each other, each exactly once', async () => {
      // Each write takes two of five rows in a random order, so batches on separate lanes (and
      // even two single writes) lock rows in opposite orders: PostgreSQL picks deadlock losers.
      const rows = ['r0', 'r1', 'r2', 'r3', 'r4'];
      await store.write(async (trx) => {
        for (const nonce of rows)
          await trx.insertInto('nonces').values({ key_id: 'dl', nonce, expires_at: 0 }).execute();
      });
      let seed = 7;
      const rnd = (k: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % k;
      const writes = Array.from({ length: 300 }, () => {
        const a = rnd(5);
        const b = (a + 1 + rnd(4)) % 5;
        return [rows[a]!, rows[b]!] as const;
      });
      // Submitted over a few milliseconds, so batches form on every lane at once.
      await Promise.all(
        writes.map(async (pair, i) => {
          await new Promise((r) => setTimeout(r, i % 20));
          await store.write(async (trx) => {
            for (const nonce of pair) {
              await trx
                .updateTable('nonces')
                .set({ expires_at: sql`expires_at + 1` })
                .where('key_id', '=', 'dl')
                .where('nonce', '=', nonce)
                .execute();
            }
          });
        }),
      );
      const counts = await store.db
        .selectFrom('nonces')
        .select(['nonce', 'expires_at'])
        .where('key_id', '=', 'dl')
        .orderBy('nonce')
        .execute();
      const expected = rows.map((nonce) => ({
        nonce,
        expires_at: writes.filter((pair) => pair.includes(nonce)).length,
      }));
      expect(counts).toEqual(expected);
    });

    it('runs the statement compiled at first use with each call’s own values', async () => {
      expect(
        (await insertNonce(store.db, { key_id: 'k1', nonce: 'a', expires_at: 10 })).numAffectedRows,
      ).toBe(1n);
      expect(
        (await insertNonce(store.db, { key_id: 'k1', nonce: 'b', expires_at: 20 })).numAffectedRows,
      ).toBe(1n);
      expect(
        (await insertNonce(store.db, { key_id: 'k1', nonce: 'a', expires_at: 30 })).numAffectedRows,
      ).toBe(0n);
      await insertNonce(store.db, { key_id: 'k2', nonce: 'c', expires_at: 40 });
      const { rows } = await byKey(store.db, { keyId: 'k1' });
      expect(rows).toEqual([
        { nonce: 'a', expires_at: 10 },
        { nonce: 'b', expires_at: 20 },
      ]);
      // Inside a transaction too.
      await store.write(async (trx) => {
        await insertNonce(trx, { key_id: 'k3', nonce: 'd', expires_at: 50 });
      });
      expect((await byKey(store.db, { keyId: 'k3' })).rows).toEqual([{ nonce: 'd', expires_at: 50 }]);
    });

    it('refuses a call whose arguments differ from the first call’s', async () => {
      await byKey(store.db, { keyId: 'k1' });
      const reshaped = { keyId: 'k1', extra: 1 } as { keyId: string };
      await expect(byKey(store.db, reshaped)).rejects.toThrow(/other arguments/);
    });

    it('refuses an argument the query does not take as a parameter', async () => {
      const sneaky = compiled((ex, a: { table: string }) =>
        ex.selectFrom('nonces').select(sql.raw(a.table).as('x')),
      );
      await expect(sneaky(store.db, { table: 'nonce' })).rejects.toThrow(/every argument as a parameter/);
    });
  });
}
