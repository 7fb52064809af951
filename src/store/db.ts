/**
 * Opens the store: SQLite (better-sqlite3, WAL) by default, PostgreSQL for several hub nodes.
 *
 * SQLite durability: `journal_mode=WAL`, and by default (`?synchronous=full`) every write is
 * fsynced before its caller hears it succeeded, so an acknowledged order survives a process crash
 * *and* a power loss. The fsync is the group committer's, run off the event loop (wal-sync.ts);
 * `?synchronous=full&fsync=inline` has SQLite's own FULL do it inside COMMIT instead, on the
 * event loop (kept for comparison). `?synchronous=normal` survives a process crash (kill -9) but
 * may lose the last commits on power loss; it is not the default because the hub answers 202 as
 * a promise that the order is kept.
 */
import { mkdirSync, realpathSync } from 'node:fs';
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
import { sealedJobErrors } from './migrations/007_sealed_job_errors.js';
import { settlement } from './migrations/008_settlement.js';
import { settlementMeasured } from './migrations/009_settlement_measured.js';
import { customs } from './migrations/010_customs.js';
import { orderNotes } from './migrations/016_order_notes.js';
import { warehouses } from './migrations/011_warehouses.js';
import { operations } from './migrations/012_operations.js';
import { catalogue } from './migrations/013_catalogue.js';
import { consoleIndexes } from './migrations/014_console.js';
import { consoleSearch } from './migrations/022_console_search.js';
import { platformFlow } from './migrations/024_platform_flow.js';
import { statsRollups } from './migrations/028_stats_rollups.js';
import { reportRuns } from './migrations/028_report_runs.js';
import { warehouseStockPushes } from './migrations/011_warehouses_stock_pushes.js';
import { alertDelivery } from './migrations/021_alert_delivery.js';
import { warehouseFulfilment } from './migrations/019_warehouse_fulfilment.js';
import { returns } from './migrations/020_returns.js';
import { refunds } from './migrations/026_refunds.js';
import { snapshots } from './migrations/018_snapshots.js';
import { KeyRing } from './data-keys.js';
import type { DataKeyCipher } from './sealing.js';
import type { Db } from './transaction.js';
import { GroupCommitter, type WriteFn } from './group-commit.js';
import { WalSync } from './wal-sync.js';

export type { DialectName } from './dialect.js';
export type { Db };

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
    '007_sealed_job_errors': sealedJobErrors(),
    '008_settlement': settlement(dialect),
    '009_settlement_measured': settlementMeasured(dialect),
    '010_customs': customs(dialect),
    '011_warehouses': warehouses(dialect),
    '012_operations': operations(dialect),
    '013_catalogue': catalogue(dialect),
    '016_order_notes': orderNotes(),
    '014_console': consoleIndexes(),
    '022_console_search': consoleSearch(dialect),
    '011_warehouses_stock_pushes': warehouseStockPushes(dialect),
    '024_platform_flow': platformFlow(dialect),
    '028_stats_rollups': statsRollups(dialect),
    '028_report_runs': reportRuns(dialect),
    '021_alert_delivery': alertDelivery(dialect),
    '019_warehouse_fulfilment': warehouseFulfilment(dialect),
    '020_returns': returns(dialect),
    '026_refunds': refunds(dialect),
    '018_snapshots': snapshots(dialect),
  };
  return { getMigrations: async () => all };
}

export function describeDbUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export interface OpenStoreOptions {
  /** Run pending migrations first (default true). */
  migrate?: boolean;
  /**
   * Makes the cipher of the store's data-key ring. The store holds no key material: the caller
   * passes security's (`localFieldCipher`: data keys wrapped by the local master key from
   * WAYGATE_MASTER_KEY or the key file). Called once the database is open, so a bad URL
   * creates no key file.
   */
  cipher: (url: string) => DataKeyCipher;
}

export async function openStore(url: string, opts: OpenStoreOptions): Promise<Store> {
  const base =
    url.startsWith('postgres://') || url.startsWith('postgresql://') ? openPostgres(url) : openSqlite(url);
  const store: Store = { ...base, keys: new KeyRing(base.db, opts.cipher(url)) };
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
  const fsync = params.get('fsync') ?? 'async';
  if (fsync !== 'async' && fsync !== 'inline') {
    throw new Error(`sqlite fsync must be async or inline, not ${fsync}`);
  }
  const memory = rawPath === ':memory:' || rawPath === '';
  const file = memory ? ':memory:' : resolve(rawPath);
  if (!memory) mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  // A file system without shared memory support (some network mounts) keeps the rollback journal.
  const wal = sqlite.pragma('journal_mode = WAL', { simple: true }) === 'wal';
  // FULL's promise kept by our own fsync of the WAL, off the event loop (see wal-sync.ts); without
  // a WAL there is nothing of ours to sync, and SQLite's own FULL does it.
  // SQLite names the WAL after the database's real path (a symlinked data directory resolved).
  const walSync =
    synchronous === 'FULL' && fsync === 'async' && wal ? new WalSync(`${realpathSync(file)}-wal`) : undefined;
  sqlite.pragma(`synchronous = ${walSync ? 'NORMAL' : synchronous}`);
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: cachingStatements(sqlite, walSync) }),
  });
  const committer = new GroupCommitter(db, { durable: walSync });
  return {
    db,
    write: (fn) => committer.write(fn),
    dialect: 'sqlite',
    url,
    sqliteSynchronous: walSync ? 'FULL (WAL fsync off the event loop)' : synchronous,
    close: async () => {
      await db.destroy();
      walSync?.close();
    },
  };
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small statement, so
 * statements are kept by their SQL text (bounded: queries with `IN (…)` lists vary in text).
 * Reuse is safe because the driver runs each statement to completion before the next one.
 *
 * With `walSync`, the connection runs `synchronous=NORMAL`: a commit made here outside the group
 * committer (an autocommit write, or a transaction's COMMIT) is fsynced before the statement
 * returns, exactly as SQLite's FULL would; the group committer's COMMIT is synced by it instead.
 */
export function cachingStatements(
  sqlite: BetterSqlite3.Database,
  walSync?: Pick<WalSync, 'groupCommitting' | 'syncNow'>,
): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sqlText: string): BetterSqlite3.Statement => {
    if (!walSync) return sqlite.prepare(sqlText);
    const statement = sqlite.prepare(sqlText);
    const ends = /^\s*(commit|end)\b/i.test(sqlText);
    const abandons = /^\s*rollback(\s+transaction)?\s*$/i.test(sqlText);
    // SQLite calls COMMIT and ROLLBACK read-only (they change no rows themselves), so they are
    // picked out by their text.
    if (statement.readonly && !ends && !abandons) return statement;
    const outsideGroupCommit = () => !sqlite.inTransaction && !walSync.groupCommitting;
    // The driver runs a statement with all() when it returns rows (`… returning`), else run().
    const run = statement.run.bind(statement);
    statement.run = (...params: unknown[]) => {
      const info = run(...params);
      if ((ends || abandons) && walSync.groupCommitting) {
        // The end of the group committer's own transaction: a COMMIT's fsync follows off the
        // event loop; after a ROLLBACK the next transaction, whoever's, must not inherit the flag.
        walSync.groupCommitting = false;
      } else if (outsideGroupCommit() && (ends || info.changes > 0)) {
        walSync.syncNow();
      }
      return info;
    };
    const all = statement.all.bind(statement);
    statement.all = (...params: unknown[]) => {
      const rows = all(...params);
      if (outsideGroupCommit()) walSync.syncNow();
      return rows;
    };
    return statement;
  };
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (!statement) {
        if (cache.size >= 2000) cache.clear();
        statement = prepare(sqlText);
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
