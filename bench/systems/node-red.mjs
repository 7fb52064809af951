// Node-RED 4 as a peer: bench/peers/node-red/flows.json run headless with settings.js.
// http in (answers 202 at once) → function (canonical → carrier-alpha) → http request (keep-alive)
// → 2xx: function storing (order id, waybill, stored_at) in SQLite through better-sqlite3 (WAL,
// synchronous=FULL, one transaction per order); 5xx/429/connection error: backoff 200…1600 ms
// through a delay node, up to 5 attempts. An order is done when its row is committed.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { start, stop } from '../lib/proc.mjs';
import { ensureInstalled, freePort, httpOk } from './peers.mjs';

export function nodeRedSystem() {
  let p;
  let db;
  let dbFile;
  return {
    id: 'node-red',
    label: 'Node-RED 4',
    durability:
      'SQLite WAL, synchronous=FULL via better-sqlite3 in a function node, one transaction per order; 202 before anything is stored',
    async start({ sandboxUrl, tmp, log, credentials }) {
      const dir = ensureInstalled('node-red');
      const port = await freePort();
      dbFile = join(tmp, 'node-red-waybills.db');
      p = start(
        process.execPath,
        [
          join(dir, 'node_modules/node-red/red.js'),
          '--settings',
          join(dir, 'settings.js'),
          '--userDir',
          join(tmp, 'node-red'),
        ],
        {
          ready: () => httpOk(`http://127.0.0.1:${port}/healthz`),
          env: {
            PORT: String(port),
            WAYBILL_DB: dbFile,
            SANDBOX_URL: sandboxUrl,
            ALPHA_TOKEN: credentials['carrier-alpha'].apiToken,
          },
          name: 'node-red',
          log,
        },
      );
      await p.ready;
      return { targets: { url: `http://127.0.0.1:${port}`, path: '/orders' } };
    },
    pids: () => [p.pid],
    async done() {
      db ??= new Database(dbFile, { readonly: true });
      return db.prepare('SELECT count(*) AS n FROM waybills').get().n;
    },
    async storedAt(run) {
      const rows = db
        .prepare('SELECT order_id AS id, stored_at AS at FROM waybills WHERE order_id LIKE ?')
        .all(`${run}-%`);
      return new Map(rows.map((r) => [r.id, Number(r.at)]));
    },
    async stop() {
      db?.close();
      await stop(p?.child);
    },
  };
}
