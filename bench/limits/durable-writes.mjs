#!/usr/bin/env node
// The physical limit of the store: how many waybill rows per second can be made durable, at the
// same durability setting the systems use, with nothing else around them. One row per
// transaction (what a naive flow does) and batched (what group commit does).
//   node bench/limits/durable-writes.mjs [--seconds 2] [--batch 256] [--pg postgres://…]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { freshPgDatabase } from '../systems/waygate.mjs';

const TABLE = `CREATE TABLE waybills (order_id TEXT PRIMARY KEY, waybill TEXT NOT NULL, stored_at BIGINT NOT NULL)`;

/** Rows/s into SQLite (WAL, synchronous=FULL): one row per transaction, and `batch` rows per transaction. */
export function sqliteWriteRates({ seconds = 2, batch = 256 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'waygate-limit-'));
  try {
    const db = new Database(join(dir, 'limit.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(TABLE);
    const insert = db.prepare('INSERT INTO waybills VALUES (?, ?, ?)');
    let n = 0;
    const run = (perTx) => {
      const many = db.transaction((k) => {
        for (let i = 0; i < k; i++) insert.run(`o-${++n}`, `AL${n}`, Date.now());
      });
      const t0 = performance.now();
      let rows = 0;
      while (performance.now() - t0 < seconds * 1000) {
        many(perTx);
        rows += perTx;
      }
      return rows / ((performance.now() - t0) / 1000);
    };
    const single = run(1);
    const batched = run(batch);
    db.close();
    return { single, batched, setting: 'SQLite WAL, synchronous=FULL', batch };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Rows/s into PostgreSQL (the server's own fsync / synchronous_commit): one row per transaction
 * from `connections` sessions at once (the server then shares WAL flushes among them), and
 * `batch` rows per transaction.
 */
export async function pgWriteRates(adminUrl, { seconds = 2, batch = 256, connections = 16 } = {}) {
  const fresh = await freshPgDatabase(adminUrl, 'waygate_limit');
  const pool = new pg.Pool({ connectionString: fresh.url, max: connections });
  // An idle session ended by the server (restart, teardown) is not this measurement's failure;
  // without a listener the pool's 'error' event would end the whole benchmark run.
  pool.on('error', () => undefined);
  try {
    await pool.query(TABLE);
    const settings = (
      await pool.query(`SELECT current_setting('fsync') AS f, current_setting('synchronous_commit') AS s`)
    ).rows[0];
    let n = 0;
    const timed = async (one) => {
      const t0 = performance.now();
      let rows = 0;
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (performance.now() - t0 < seconds * 1000) rows += await one();
        }),
      );
      return rows / ((performance.now() - t0) / 1000);
    };
    const single = await timed(async () => {
      const i = ++n;
      await pool.query('INSERT INTO waybills VALUES ($1, $2, $3)', [`o-${i}`, `AL${i}`, Date.now()]);
      return 1;
    });
    const batched = await timed(async () => {
      const ids = [];
      const wbs = [];
      const ats = [];
      for (let k = 0; k < batch; k++) {
        const i = ++n;
        ids.push(`o-${i}`);
        wbs.push(`AL${i}`);
        ats.push(Date.now());
      }
      await pool.query('INSERT INTO waybills SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])', [
        ids,
        wbs,
        ats,
      ]);
      return batch;
    });
    return {
      single,
      batched,
      setting: `PostgreSQL fsync=${settings.f}, synchronous_commit=${settings.s}`,
      batch,
      connections,
    };
  } finally {
    await pool.end();
    await fresh.drop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '2' },
      batch: { type: 'string', default: '256' },
      pg: { type: 'string', default: process.env.WAYGATE_TEST_PG_URL },
    },
  });
  const opts = { seconds: Number(values.seconds), batch: Number(values.batch) };
  const f = (x) => Math.round(x).toLocaleString('en-US');
  const s = sqliteWriteRates(opts);
  process.stdout.write(
    `${s.setting}: ${f(s.single)} rows/s one per transaction, ${f(s.batched)} rows/s in batches of ${s.batch}\n`,
  );
  if (values.pg) {
    const p = await pgWriteRates(values.pg, opts);
    process.stdout.write(
      `${p.setting}: ${f(p.single)} rows/s one per transaction (${p.connections} sessions), ${f(p.batched)} rows/s in batches of ${p.batch}\n`,
    );
  }
}
