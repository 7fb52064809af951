/**
 * The demo's operations act (issue 15): a real outage planted on the sandbox carriers while
 * parcels are in flight and new orders arrive. The hub's own operations machinery does the rest:
 * the failing calls fire an alert per carrier, each delivered as a signed webhook and as an
 * e-mail to a real SMTP server on loopback, and open an incident with its deadline; parcels whose
 * carrier stops answering stop scanning and raise delay exceptions, told to the merchant by
 * signed webhook. The outage is cleared, the orders it dead-lettered are replayed, the alerts
 * resolve by themselves. Last, the day's run report is written in Chinese and English (HTML +
 * CSV) — into `--report DIR` when given, else into a temporary folder removed afterwards.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hub } from '../hub/hub.js';
import type { SandboxHandle } from '../sandbox/server.js';
import { parseOperations } from '../monitor/ops-config.js';
import { writeReport } from '../monitor/reports/schedule.js';
import { REPORT_LANGS } from '../monitor/reports/render.js';
import { listDead, replayDead } from '../pipeline/dead-letters.js';
import { listAlerts, listIncidents, listNotifications, listShipmentExceptions } from '../store/operations.js';
import { orderOutcomes } from '../store/journey-outcomes.js';

export interface DemoOperations {
  /** Carriers whose both channels were taken down. */
  outagePartners: string[];
  alertsFired: number;
  alertsResolved: number;
  /** Notifications as the receivers got them: the ops webhook and the SMTP server. */
  notifications: { webhook: number; email: number };
  incidents: number;
  /** Shipments that raised a delay exception (no scan, customs hold) and the merchant webhooks sent. */
  delayExceptions: number;
  merchantWebhooks: number;
  /** Orders pushed during the act, and how many of them ended delivered (dead letters replayed). */
  actOrders: number;
  actDelivered: number;
  deadLettersReplayed: number;
  /** Report files written (HTML + CSV per language) and where (null: a removed temporary folder). */
  reportFiles: number;
  reportDir: string | null;
}

/** Statistics buckets of the demo hub: short, so an alert fires and clears within seconds. */
export const DEMO_OPERATIONS_HUB = { statsBucketMs: 2_000 };

const OUTAGE_PARTNERS = ['carrier-alpha', 'carrier-beta'];
const HOOK_SECRET = 'demo-ops-hook-secret-0123456789';

/** What the hub sends out, received on loopback: a real SMTP server and a webhook endpoint. */
async function receivers() {
  const { SMTPServer } = await import('smtp-server');
  let mails = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        mails++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const hooks = { ops: 0, merchant: 0 };
  const http: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/ops') hooks.ops++;
      if (req.url === '/merchant') hooks.merchant++;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    smtpPort: (smtp.server.address() as AddressInfo).port,
    hookUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    mails: () => mails,
    hooks,
    close: async () => {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function operationsFile(smtpPort: number, hookUrl: string): string {
  return [
    'evaluateEvery: 500ms',
    'statsFlushEvery: 500ms',
    'tierDefaults: false',
    `smtp: { host: 127.0.0.1, port: ${smtpPort}, from: waygate-demo@example.test }`,
    'recipients:',
    '  ops:',
    `    webhook: { url: "${hookUrl}/ops", secret: "${HOOK_SECRET}" }`,
    '    email: [oncall@example.test]',
    'incidents:',
    '  deadlines: { minor: 1h, general: 2h, major: 4h }',
    'rules:',
    '  - name: carrier-down',
    '    condition: success_rate',
    "    partner: '*'",
    '    interface: shipment.create',
    '    threshold: 0.999',
    '    window: 8s',
    '    minCalls: 3',
    '    clearFor: 2s',
    '    severity: major',
    '    incident: true',
    '    notify: [ops]',
    'delays:',
    '  checkEvery: 1s',
    // A demo parcel scans every few hundred ms: three seconds of silence is its carrier gone.
    '  noScanAfter: 3s',
    '  merchants:',
    `    sandbox-shop: { url: "${hookUrl}/merchant", secret: "${HOOK_SECRET}" }`,
    '',
  ].join('\n');
}

async function until(cond: () => Promise<boolean> | boolean, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return cond();
}

export async function operationsDemo(
  hub: Hub,
  sandbox: SandboxHandle,
  reportDir?: string,
  timeoutS = 300,
): Promise<DemoOperations> {
  const started = Date.now();
  const deadline = started + timeoutS * 1000;
  const db = hub.store.db;
  const rx = await receivers();
  const before = hub.operations.file;
  try {
    hub.operations.setFile(parseOperations(operationsFile(rx.smtpPort, rx.hookUrl), 'demo operations', {}));

    // Parcels in flight when the carriers go down: orders accepted and given their waybills.
    const inFlight = sandbox.shop.push(20).externalIds;
    await until(async () => {
      const rows = await orderOutcomes(db, 'sandbox-shop', inFlight);
      return rows.length === inFlight.length && rows.every((r) => r.waybillNo !== null);
    }, deadline);
    for (const partner of OUTAGE_PARTNERS)
      for (const channel of ['primary', 'standby'] as const)
        sandbox.faults.set({ partner, channel, outage: true });
    const during = sandbox.shop.push(20).externalIds;

    const fired = async () => (await listAlerts(db, { fromMs: started, limit: 100 })).length;
    await until(async () => (await fired()) >= OUTAGE_PARTNERS.length, deadline);
    await until(async () => (await listShipmentExceptions(db, { limit: 1 })).length > 0, deadline);
    await until(() => rx.mails() > 0 && rx.hooks.ops > 0, deadline);

    sandbox.faults.clear({});
    // The orders the outage dead-lettered go back to the queue, as an operator would after it
    // (again for any whose last attempt was still under way when it cleared).
    const replayed = new Set<string>();
    const act = [...inFlight, ...during];
    const delivered = async () =>
      (await orderOutcomes(db, 'sandbox-shop', act)).filter((r) => r.status === 'delivered').length;
    await until(async () => {
      for (const dead of await listDead(db, { kind: 'shipment.create', limit: 1000 })) {
        if (Date.parse(dead.deadAt) < started) continue;
        await replayDead(hub.store, dead.id, 'demo');
        replayed.add(dead.id);
      }
      return (await delivered()) === act.length;
    }, deadline);
    const firing = async () =>
      (await listAlerts(db, { status: 'firing', fromMs: started, limit: 100 })).length;
    await until(async () => (await firing()) === 0, deadline);
    // The resolved notices are recorded just after their delivery.
    await until(
      async () => {
        const sent = await listNotifications(db, { fromMs: started, status: 'sent', limit: 1000 });
        return sent.filter((n) => n.event === 'alert.resolved').length >= 2 * (await fired());
      },
      Math.min(deadline, Date.now() + 10_000),
    );

    const alerts = await listAlerts(db, { fromMs: started, limit: 100 });
    const incidents = await listIncidents(db, { fromMs: started, limit: 100 });
    const exceptions = await listShipmentExceptions(db, { limit: 10_000 });
    const out = reportDir ?? mkdtempSync(join(tmpdir(), 'waygate-demo-report-'));
    try {
      const written = await writeReport(hub.store, {
        period: 'daily',
        date: new Date().toISOString().slice(0, 10),
        langs: REPORT_LANGS,
        out,
        tiers: hub.operations.reports.tiers(),
      });
      return {
        outagePartners: OUTAGE_PARTNERS,
        alertsFired: alerts.length,
        alertsResolved: alerts.filter((a) => a.status === 'resolved').length,
        notifications: { webhook: rx.hooks.ops, email: rx.mails() },
        incidents: incidents.length,
        delayExceptions: new Set(exceptions.map((e) => e.shipment_id)).size,
        merchantWebhooks: rx.hooks.merchant,
        actOrders: act.length,
        actDelivered: await delivered(),
        deadLettersReplayed: replayed.size,
        reportFiles: written.length * 2,
        reportDir: reportDir ?? null,
      };
    } finally {
      if (!reportDir) rmSync(out, { recursive: true, force: true });
    }
  } finally {
    sandbox.faults.clear({});
    hub.operations.setFile(before);
    await rx.close();
  }
}

/** The summary table's rows of the act. */
export function formatOperations(o: DemoOperations): Array<[string, string]> {
  return [
    [
      'operations: outage on ' + o.outagePartners.join(', '),
      `${o.alertsFired} alerts fired, ${o.alertsResolved} resolved; ${o.notifications.webhook} webhooks, ${o.notifications.email} e-mails; ${o.incidents} incidents`,
    ],
    [
      'operations: parcels that stopped scanning',
      `${o.delayExceptions} delay exceptions, ${o.merchantWebhooks} merchant webhooks; ${o.actDelivered}/${o.actOrders} act orders delivered (${o.deadLettersReplayed} dead letters replayed)`,
    ],
    [
      'operations: daily report',
      `${o.reportFiles} files (HTML + CSV, zh-CN + en)${o.reportDir ? ` in ${o.reportDir}` : ', not kept (--report DIR keeps them)'}`,
    ],
  ];
}
