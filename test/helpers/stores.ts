/**
 * Store fixtures for suites that must pass on both dialects (the Kysely way: one suite, run
 * once per database). PostgreSQL runs when WAYGATE_TEST_PG_URL names a server; in CI it must.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { localFieldCipher } from '../../src/security/field-cipher.js';
import { openStore, type DialectName, type Store } from '../../src/store/db.js';

const PG_URL = process.env.WAYGATE_TEST_PG_URL;
if (process.env.CI && !PG_URL) {
  throw new Error('CI must run the PostgreSQL suites: start one with scripts/test-postgres.sh');
}

export const DIALECTS: DialectName[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestStore extends Store {
  /** Closes the store and removes its database. */
  destroy(): Promise<void>;
}

/** A database URL of a brand-new, empty database of the dialect (caller drops it with dropTestDb). */
export async function createTestDbUrl(
  dialect: DialectName,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'waygate-test-'));
    return {
      url: `sqlite:${join(dir, 'test.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (!PG_URL) throw new Error('WAYGATE_TEST_PG_URL is not set');
  const name = `waygate_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function freshStore(dialect: DialectName): Promise<TestStore> {
  const { url, drop } = await createTestDbUrl(dialect);
  const store = await openStore(url, { cipher: localFieldCipher });
  return {
    ...store,
    async destroy() {
      await store.close();
      await drop();
    },
  };
}
