// Node-RED settings for Waygate's benchmark (bench/README.md): headless (no editor, no admin
// API), no telemetry, and one durable store for waybills given to function nodes through the
// global context: better-sqlite3 in WAL mode with synchronous=FULL, one transaction per order
// (the same durability setting as Waygate on SQLite, without group commit).
const path = require('node:path');
const Database = require('better-sqlite3');

const db = new Database(process.env.WAYBILL_DB);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS waybills (
  order_id TEXT PRIMARY KEY, waybill TEXT NOT NULL, stored_at INTEGER NOT NULL)`);
const insert = db.prepare('INSERT OR REPLACE INTO waybills (order_id, waybill, stored_at) VALUES (?, ?, ?)');

module.exports = {
  uiHost: '127.0.0.1',
  uiPort: Number(process.env.PORT),
  httpAdminRoot: false,
  httpNodeRoot: '/',
  flowFile: path.join(__dirname, 'flows.json'),
  credentialSecret: false,
  logging: { console: { level: 'warn', metrics: false, audit: false } },
  diagnostics: { enabled: false, ui: false },
  telemetry: { enabled: false },
  runtimeState: { enabled: false, ui: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
  editorTheme: { tours: false },
  functionGlobalContext: {
    waybills: {
      // Autocommit: one fsynced transaction per order before the flow moves on.
      store: (orderId, waybill) => insert.run(orderId, waybill, Date.now()),
    },
  },
};
