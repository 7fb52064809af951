// n8n 1.123 as a peer: bench/peers/n8n/workflow.json, imported with `n8n import:workflow`,
// activated with `n8n update:workflow --active=true`, then `n8n start`.
// Webhook (answers 200 at once) → HTTP Request to carrier-alpha (retry on fail: 5 tries, 200 ms
// apart — n8n's longest fixed wait is 5 s and it has no backoff) → Execution Data node saving
// orderId and waybill. The waybill is stored durably by n8n itself: with
// EXECUTIONS_DATA_SAVE_ON_SUCCESS=all every finished execution (with the carrier's answer) is
// written to n8n's own SQLite database (WAL because DB_SQLITE_POOL_SIZE > 0; n8n sets no
// `synchronous`, so SQLite's default FULL holds), and the saved custom data lands in
// execution_metadata right after. An order is done when its `waybill` metadata row exists.
// Settings are n8n's defaults for a single instance (regular mode) except those in n8nEnv().
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { start, stop } from '../lib/proc.mjs';
import { ensureInstalled, freePort } from './peers.mjs';

const WORKFLOW_ID = 'WgBenchOrders001';

export function n8nEnv(userFolder, port) {
  return {
    NODE_ENV: 'production',
    N8N_USER_FOLDER: userFolder,
    N8N_PORT: String(port),
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_PROTOCOL: 'http',
    N8N_LOG_LEVEL: 'warn',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_HIRING_BANNER_ENABLED: 'false',
    N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
    N8N_COMMUNITY_PACKAGES_ENABLED: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
    N8N_DISABLE_UI: 'true',
    DB_TYPE: 'sqlite',
    DB_SQLITE_POOL_SIZE: '2',
    EXECUTIONS_MODE: 'regular',
    EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
    EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
    EXECUTIONS_DATA_SAVE_ON_PROGRESS: 'false',
    EXECUTIONS_DATA_PRUNE: 'false',
    // n8n 1.123 evaluates expressions in isolated-vm by default ('vm'); in a trial on this
    // machine that ran the workflow ~5× slower (7.7 vs 36 orders/s), so n8n gets the faster engine.
    N8N_EXPRESSION_ENGINE: 'legacy',
    SCARF_ANALYTICS: 'false',
  };
}

export function n8nSystem() {
  let p;
  let db;
  let dbFile;
  return {
    id: 'n8n',
    label: 'n8n 1.123',
    durability:
      "n8n's own SQLite (WAL, synchronous=FULL by SQLite's default): the finished execution with the waybill and its custom data; 202 before anything is stored",
    async start({ sandboxUrl, tmp, log, credentials }) {
      const dir = ensureInstalled('n8n');
      const bin = join(dir, 'node_modules/n8n/bin/n8n');
      const port = await freePort();
      const userFolder = join(tmp, 'n8n');
      mkdirSync(userFolder, { recursive: true });
      const env = { ...process.env, ...n8nEnv(userFolder, port) };
      // The carrier's URL and test token go into the imported copy, as a user would type them.
      const workflow = readFileSync(join(dir, 'workflow.json'), 'utf8')
        .replaceAll('${SANDBOX_URL}', sandboxUrl)
        .replaceAll('${ALPHA_TOKEN}', credentials['carrier-alpha'].apiToken);
      const file = join(tmp, 'n8n-workflow.json');
      writeFileSync(file, workflow);
      const cli = (...args) =>
        execFileSync(process.execPath, [bin, ...args], {
          env,
          cwd: userFolder,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      cli('import:workflow', `--input=${file}`);
      cli('update:workflow', `--id=${WORKFLOW_ID}`, '--active=true');
      p = start(process.execPath, [bin, 'start'], {
        // /healthz answers before workflows are active; a GET on the production webhook says
        // "not registered for GET … make a POST request" only once the workflow is active.
        ready: () =>
          fetch(`http://127.0.0.1:${port}/webhook/orders`)
            .then((r) => r.text())
            .then((t) => t.includes('POST request'))
            .catch(() => false),
        env: n8nEnv(userFolder, port),
        cwd: userFolder,
        name: 'n8n start',
        log,
      });
      await p.ready;
      dbFile = join(userFolder, '.n8n/database.sqlite');
      return { targets: { url: `http://127.0.0.1:${port}`, path: '/webhook/orders' } };
    },
    pids: () => [p.pid],
    async done() {
      db ??= new Database(dbFile, { readonly: true });
      return db.prepare(`SELECT count(*) AS n FROM execution_metadata WHERE key = 'waybill'`).get().n;
    },
    async storedAt(run) {
      // stoppedAt is set just before n8n writes the finished execution, so this end time favours
      // n8n by the length of that write.
      const rows = db
        .prepare(
          `SELECT m.value AS id, e.stoppedAt AS at FROM execution_metadata m
           JOIN execution_entity e ON e.id = m.executionId
           WHERE m.key = 'orderId' AND m.value LIKE ? AND EXISTS (
             SELECT 1 FROM execution_metadata w WHERE w.executionId = m.executionId AND w.key = 'waybill')`,
        )
        .all(`${run}-%`);
      return new Map(rows.map((r) => [r.id, Date.parse(`${String(r.at).replace(' ', 'T')}Z`)]));
    },
    async stop() {
      db?.close();
      await stop(p?.child, 10_000);
    },
  };
}
