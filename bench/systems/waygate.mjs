// Waygate as a system under test: `waygate serve --sandbox-url` on SQLite or PostgreSQL. An order
// is done when its shipment row (with the waybill) is committed; shipments.created_at is written
// in that same transaction, so it is the stored-at time of the end-to-end latency.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { start, stop } from '../lib/proc.mjs';
import { LoadClient, waitFor } from '../lib/load.mjs';
import { prefillSqlite } from '../lib/prefill.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/waygate.js');

/** A fresh, empty PostgreSQL database on the server at `adminUrl`; returns its URL and a dropper. */
export async function freshPgDatabase(adminUrl, prefix = 'waygate_bench') {
  const name = `${prefix}_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Reads done counts and stored-at times from a Waygate store (SQLite file or PostgreSQL URL). */
export function storeReader(dbUrl) {
  if (dbUrl.startsWith('sqlite:')) {
    let db;
    const open = () => (db ??= new Database(dbUrl.slice('sqlite:'.length).split('?')[0]));
    return {
      async count() {
        // Shipments are never deleted, so the largest rowid is their count, read from the end of
        // the b-tree instead of scanning a million pre-filled rows every 20 ms.
        return open().prepare('SELECT coalesce(max(rowid), 0) AS n FROM shipments').get().n;
      },
      async storedAt(run) {
        const rows = open()
          .prepare(
            `SELECT o.external_id AS id, s.created_at AS at FROM shipments s
             JOIN orders o ON o.id = s.order_id WHERE o.external_id LIKE ?`,
          )
          .all(`${run}-%`);
        return new Map(rows.map((r) => [r.id, Number(r.at)]));
      },
      async close() {
        db?.close();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  pool.on('error', () => undefined);
  return {
    async count() {
      return Number((await pool.query('SELECT count(*) AS n FROM shipments')).rows[0].n);
    },
    async storedAt(run) {
      const { rows } = await pool.query(
        `SELECT o.external_id AS id, s.created_at AS at FROM shipments s
         JOIN orders o ON o.id = s.order_id WHERE o.external_id LIKE $1`,
        [`${run}-%`],
      );
      return new Map(rows.map((r) => [r.id, Number(r.at)]));
    },
    close: () => pool.end(),
  };
}

export function createApiKey(dbUrl, cwd) {
  const args = [BIN, 'apikey', 'create', '--name', 'bench', '--db', dbUrl, '--json'];
  // Keys with permissions (issue 4) take --scopes; older builds do not know the option.
  const scoped = execFileSync(process.execPath, [BIN, 'apikey', 'create', '--help'])
    .toString()
    .includes('--scopes');
  if (scoped) args.push('--scopes', 'orders:write,orders:read');
  return JSON.parse(
    execFileSync(process.execPath, args, {
      cwd,
      env: { ...process.env, WAYGATE_LOG_LEVEL: 'error' },
    }).toString(),
  );
}

/** Starts one `waygate serve` node; `extra` are further serve options (e.g. --concurrency). */
// WAYGATE_BENCH_PROFILE=DIR writes a V8 CPU profile of each hub node into DIR.
const PROFILE_ARGS = process.env.WAYGATE_BENCH_PROFILE
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WAYGATE_BENCH_PROFILE}`]
  : [];

export async function startHubNode({ dbUrl, sandboxUrl, cwd, extra = [], nodeArgs = PROFILE_ARGS, log }) {
  const p = start(
    process.execPath,
    [...nodeArgs, BIN, 'serve', '--port', '0', '--db', dbUrl, '--sandbox-url', sandboxUrl, ...extra],
    { ready: /listening on (\S+)/, cwd, env: { WAYGATE_LOG_LEVEL: 'error' }, name: 'waygate serve', log },
  );
  const url = await p.ready;
  return { url, child: p.child, pid: p.pid };
}

/**
 * The sandbox partner config with the carriers' tracking pushes off: the peers never subscribe
 * to them, so without this Waygate would also ingest one pushed tracking event per shipment
 * that no other system receives. Same partners, policies and routing otherwise.
 */
function commonJobConfig(tmp) {
  const doc = parse(readFileSync(join(ROOT, 'config/sandbox.yaml'), 'utf8'));
  for (const p of Object.values(doc.partners)) if (p.kind === 'carrier') p.subscribe = false;
  const file = join(tmp, 'waygate-common-job.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/**
 * @param dialect 'sqlite' | 'postgres'
 * @param o.pgAdminUrl server on which a fresh database is created (postgres only)
 * @param o.prefill finished orders put in the store before the job (SQLite only)
 * @param o.nodes hub nodes on the same store (the client alternates between them; postgres)
 * @param o.serveArgs further `waygate serve` options, e.g. ['--concurrency', '4']
 * @param o.pushes also subscribe to the carriers' tracking pushes (default: the common job only)
 */
export function waygateSystem(
  dialect,
  { pgAdminUrl, prefill = 0, nodes: nodeCount = 1, serveArgs = [], label, id, pushes = false } = {},
) {
  let nodes = [];
  let reader;
  let pgDb;
  return {
    id: id ?? `waygate-${dialect}`,
    label: label ?? (dialect === 'sqlite' ? 'Waygate (SQLite)' : 'Waygate (PostgreSQL)'),
    durability:
      dialect === 'sqlite'
        ? 'SQLite WAL, every commit fsynced before it is acknowledged (group commit; the WAL fsync runs off the event loop); 202 only after the order is on disk'
        : 'PostgreSQL fsync=on, synchronous_commit=on; 202 only after the order is committed',
    async start({ sandboxUrl, tmp, log }) {
      let dbUrl;
      if (dialect === 'sqlite') dbUrl = `sqlite:${join(tmp, 'waygate.db')}`;
      else {
        pgDb = await freshPgDatabase(pgAdminUrl);
        dbUrl = pgDb.url;
      }
      const key = createApiKey(dbUrl, tmp);
      const extra = pushes ? serveArgs : ['--config', commonJobConfig(tmp), ...serveArgs];
      const startNodes = async () => {
        nodes = [];
        for (let i = 0; i < nodeCount; i++)
          nodes.push(await startHubNode({ dbUrl, sandboxUrl, cwd: tmp, extra, log }));
      };
      await startNodes();
      reader = storeReader(dbUrl);
      const targets = nodes.map((n) => ({ url: n.url, path: '/v1/orders', key }));
      if (prefill > 0) {
        if (dialect !== 'sqlite') throw new Error('pre-filling is implemented for SQLite');
        // One real order through the hub is the template of the pre-filled ones.
        const client = new LoadClient(targets[0], { concurrency: 1 });
        await client.maxRate('template', 1);
        await client.close();
        await waitFor(() => reader.count(), 1, { timeoutMs: 60_000, what: 'template orders' });
        await new Promise((r) => setTimeout(r, 500)); // its tracking push lands too
        for (const n of nodes) await stop(n.child);
        await reader.close();
        const t0 = Date.now();
        prefillSqlite(dbUrl.slice('sqlite:'.length), prefill, 'template-1');
        log?.write(`pre-filled ${prefill} orders in ${Date.now() - t0} ms\n`);
        await startNodes();
        reader = storeReader(dbUrl);
        return { targets: nodes.map((n) => ({ url: n.url, path: '/v1/orders', key })) };
      }
      return { targets: targets.length === 1 ? targets[0] : targets };
    },
    pids: () => nodes.map((n) => n.pid),
    done: () => reader.count(),
    storedAt: (run) => reader.storedAt(run),
    async stop() {
      await reader?.close();
      for (const n of nodes) await stop(n.child);
      await pgDb?.drop();
    },
  };
}
