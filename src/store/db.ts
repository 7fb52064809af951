/**
 * Opens the store: SQLite (better-sqlite3, WAL) by default, PostgreSQL for several hub nodes.
 *
 * SQLite durability: `journal_mode=WAL` with `synchronous=FULL` by default. In WAL mode FULL
 * fsyncs the WAL at every commit, so an acknowledged order survives a process crash *and* a
 * power loss. `synchronous=NORMAL` (select with `?synchronous=normal`) survives a process crash
 * (kill -9) but may lose the last commits on power loss; we do not make it the default because
 * the hub answers 202 as a promise that the order is kept.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type Migration,
  type MigrationProvider,
  type SqliteDatabase,
} from 'kysely';
import type { Database } from './schema.js';
import type { DialectName } from './dialect.js';
import { initial } from './migrations/001_initial.js';
import { dlqAudit } from './migrations/002_dlq_audit.js';
import { auditChain } from './migrations/003_audit_chain.js';
import { security } from './migrations/004_security.js';
import { users } from './migrations/005_users.js';
import { certs } from './migrations/006_certs.js';
import { KeyRing } from './data-keys.js';
import { localMasterKey, type MasterKeyProvider } from '../security/field-cipher.js';
import { keyFileFor, loadMasterKey } from '../security/secret-box.js';
import { GroupCommitter, type WriteFn } from './group-commit.js';

export type { DialectName } from './dialect.js';
export type Db = Kysely<Database>;

export interface Store {
  db: Db;
  /**
   * Runs a write transaction. On SQLite concurrent writes are group-committed (see
   * group-commit.ts); on PostgreSQL each is its own transaction. `fn` must use only `trx`.
   */
  write<T>(fn: WriteFn<T>): Promise<T>;
  dialect: DialectName;
  url: string;
  /** SQLite `synchronous` level in force (for reports and benchmarks); undefined on PostgreSQL. */
  sqliteSynchronous?: string;
  close(): Promise<void>;
  /** Data keys for personal fields sealed at rest (see store/data-keys.ts). */
  keys: KeyRing;
}

export const DEFAULT_DB_URL = 'sqlite:./data/waygate.db';

function migrationsFor(dialect: DialectName): MigrationProvider {
  const all: Record<string, Migration> = {
    '001_initial': initial(dialect),
    '002_dlq_audit': dlqAudit(dialect),
    '003_audit_chain': auditChain(dialect),
    '004_security': security(dialect),
    '005_users': users(dialect),
    '006_certs': certs(dialect),
  };
  return { getMigrations: async () => all };
}

export function describeDbUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export interface OpenStoreOptions {
  /** Run pending migrations first (default true). */
  migrate?: boolean;
  /** Wraps the data keys; default: the local master key from WAYGATE_MASTER_KEY or the key file. */
  masterKey?: MasterKeyProvider;
}

export async function openStore(url: string = DEFAULT_DB_URL, opts: OpenStoreOptions = {}): Promise<Store> {
  const base =
    url.startsWith('postgres://') || url.startsWith('postgresql://') ? openPostgres(url) : openSqlite(url);
  const provider = opts.masterKey ?? localMasterKey(loadMasterKey(keyFileFor(url)));
  const store: Store = { ...base, keys: new KeyRing(base.db, provider) };
  if (opts.migrate !== false) {
    await migrate(store);
    await store.keys.refresh();
  } else {
    // Without migrations the key table may not exist yet; the ring then loads on first use.
    await store.keys.refresh().catch(() => undefined);
  }
  return store;
}

function openSqlite(url: string): Omit<Store, 'keys'> {
  if (!url.startsWith('sqlite:')) {
    throw new Error(`unsupported database URL ${describeDbUrl(url)} (use sqlite:PATH or postgres://…)`);
  }
  const [rawPath = '', query = ''] = url.slice('sqlite:'.length).split('?');
  const params = new URLSearchParams(query);
  const synchronous = (params.get('synchronous') ?? 'full').toUpperCase();
  if (!['FULL', 'NORMAL', 'EXTRA'].includes(synchronous)) {
    throw new Error(`sqlite synchronous must be full, normal or extra, not ${synchronous.toLowerCase()}`);
  }
  const memory = rawPath === ':memory:' || rawPath === '';
  const file = memory ? ':memory:' : resolve(rawPath);
  if (!memory) mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  const committer = new GroupCommitter(db);
  return {
    db,
    write: (fn) => committer.write(fn),
    dialect: 'sqlite',
    url,
    sqliteSynchronous: synchronous,
    close: () => db.destroy(),
  };
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small statement, so
 * statements are kept by their SQL text (bounded: queries with `IN (…)` lists vary in text).
 * Reuse is safe because the driver runs each statement to completion before the next one.
 */
function cachingStatements(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (!statement) {
        if (cache.size >= 2000) cache.clear();
        statement = sqlite.prepare(sqlText);
        cache.set(sqlText, statement);
      }
      return statement;
    },
  };
}

// int8 columns hold millisecond times, which fit a double exactly; pg returns strings by default.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

function openPostgres(url: string): Omit<Store, 'keys'> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // A dropped idle connection must not crash the hub; the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Several batches in flight at once, each on its own pooled connection.
  const committer = new GroupCommitter(db, { lanes: 4 });
  return {
    db,
    write: (fn) => committer.write(fn),
    dialect: 'postgres',
    url,
    close: () => db.destroy(),
  };
}

export async function migrate(store: Store): Promise<string[]> {
  const migrator = new Migrator({
    db: store.db,
    provider: migrationsFor(store.dialect),
    // Migrations are numbered by feature branch; one landing before a lower number must not block.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
