/**
 * `waygate demo`: the whole journey on one machine. A sandbox shop pushes N signed order
 * webhooks to a hub; the hub routes each order to a sandbox carrier, stores the waybill and
 * follows tracking (pushed by carrier-alpha, polled from carrier-beta) until every parcel is
 * delivered. The summary counts what a buyer of the hub cares about: nothing lost, nothing
 * duplicated, how fast an order gets its waybill.
 */
import { SingleBar, Presets } from 'cli-progress';
import { startSandbox } from '../sandbox/server.js';
import { startHub } from '../hub/hub.js';
import { createLogger } from '../hub/logger.js';
import { fileURLToPath } from 'node:url';
import { sandboxHubConfig } from '../hub/sandbox-config.js';
import type { Store } from '../store/db.js';
import { countTrackingEvents, orderOutcomes } from '../store/journey-outcomes.js';
import { CARD_DIR, settleDemo, type DemoSettlement } from './demo-settlement.js';
import { inventoryDemo, type DemoInventory } from './demo-inventory.js';
import { returnsDemo, type DemoReturns } from './demo-returns.js';
import { customsDemo, type DemoCustoms } from './demo-customs.js';
import { labelsDemo } from './demo-labels.js';
import { tiktokDemo } from './demo-tiktok.js';
import {
  DEMO_OPERATIONS_HUB,
  formatOperations,
  operationsDemo,
  type DemoOperations,
} from './demo-operations.js';
import {
  awaitPlatformsTold,
  formatPlatform,
  platformFigures,
  sendPlatformOrders,
  type OrderBatch,
  type PlatformFigures as RealPlatformFigures,
} from './demo-platforms.js';

/** `--partners real`: the carriers in their real dialects (4PX, YunExpress, UPS, Cainiao). */
export const REAL_PARTNERS_CONFIG = fileURLToPath(new URL('../../config/sandbox-real.yaml', import.meta.url));

/** What one simulated partner did in the run, as the partner itself counted it. */
export interface PartnerFigures {
  kind: 'platform' | 'carrier';
  orders?: number;
  waybills?: number;
  duplicates?: number;
  trackingQueries?: number;
  signatureFailures?: number;
  /** Labels the carrier handed over on request (`label.fetch`), as the simulated carrier counted them. */
  labelsFetched?: number;
  /**
   * The label act (real partners): labels the hub's API served for the carrier's waybills (200,
   * bytes of the format it named), and waybills it answered label_not_found or failed for.
   */
  labelsServed?: number;
  labelBytes?: number;
  labelsNotIssued?: number;
  labelsFailed?: number;
}

export interface DemoOptions {
  /** invented (default): carrier-alpha/beta; real: the real-dialect carriers. */
  partners?: 'invented' | 'real';
  orders: number;
  dbUrl: string;
  stepMs: number;
  timeoutS: number;
  /** Folder for the demo run's daily report (HTML + CSV, zh-CN + en). */
  reportDir?: string;
  /** The same platform orders at every run (SandboxOptions.orderSeed); default new ones each run. */
  orderSeed?: string;
}

export interface DemoSummary {
  orders: number;
  waybills: number;
  delivered: number;
  /** Orders whose shipment creation was refused by the carrier and waits in the dead-letter queue. */
  failed: number;
  trackingEvents: number;
  lost: number;
  duplicates: number;
  p50Ms: number;
  p99Ms: number;
  seconds: number;
  db: string;
  /** The carriers' bills of the run reconciled (invented partners only; the real ones send no bills yet). */
  settlement?: DemoSettlement;
  /** Warehouse act: hub vs warehouse stock at the end (compared), warehouse-fulfilled orders. */
  inventory?: DemoInventory;
  /** Returns act: shop return requests taken to refund; `completed` as the hub, shop and history show. */
  returns?: DemoReturns;
  /** Customs act: declarations sent, accepted, rejected (one planted), released, lost. */
  customs?: DemoCustoms;
  /** Operations act: a planted carrier outage's alerts, notifications, incidents, delays, report. */
  operations?: DemoOperations;
  partners: 'invented' | 'real';
  /** Per partner of the run, counted by the simulated partner itself. */
  perPartner: Record<string, PartnerFigures | RealPlatformFigures>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? 0;
}

async function runStats(store: Store, batches: readonly OrderBatch[]) {
  let stored = 0;
  let delivered = 0;
  let failed = 0;
  let waybills = 0;
  let events = 0;
  const latencies: number[] = [];
  for (const { source, externalIds } of batches)
    for (let i = 0; i < externalIds.length; i += 500) {
      const chunk = externalIds.slice(i, i + 500);
      const rows = await orderOutcomes(store.db, source, chunk);
      stored += rows.length;
      for (const r of rows) {
        if (r.status === 'delivered') delivered++;
        if (r.status === 'failed') failed++;
        if (r.waybillNo) {
          waybills++;
          if (r.shippedAt !== null) latencies.push(r.shippedAt - r.createdAt);
        }
      }
      const wbs = rows.map((r) => r.waybillNo).filter((w): w is string => w !== null);
      events += await countTrackingEvents(store.db, wbs);
    }
  return { stored, delivered, failed, waybills, events, latencies: latencies.sort((a, b) => a - b) };
}

/** The figures of the shop and of each carrier the hub was configured with, as the sandbox counted them. */
function partnerFigures(
  carriers: Record<string, Record<string, unknown>>,
  configured: readonly string[],
): Record<string, PartnerFigures> {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const out: Record<string, PartnerFigures> = {};
  for (const id of configured) {
    const c = carriers[id] ?? {};
    out[id] = {
      kind: 'carrier',
      waybills: n(c.shipmentsCreated),
      duplicates: n(c.duplicateCreates),
      trackingQueries: n(c.trackingQueries ?? c.traceQueries),
      signatureFailures: n(c.signatureFailures),
      ...(c.labelsServed !== undefined ? { labelsFetched: n(c.labelsServed) } : {}),
    };
  }
  return out;
}

export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const log = createLogger(process.env.WAYGATE_LOG_LEVEL ?? 'warn');
  const sandbox = await startSandbox({
    port: 0,
    stepMs: opts.stepMs,
    ...(opts.orderSeed !== undefined ? { orderSeed: opts.orderSeed } : {}),
  });
  const hub = await startHub({
    dbUrl: opts.dbUrl,
    port: 0,
    config:
      opts.partners === 'real'
        ? sandboxHubConfig(sandbox.url, sandbox.credentials, REAL_PARTNERS_CONFIG)
        : sandboxHubConfig(sandbox.url, sandbox.credentials),
    logger: log,
    rateCardDir: CARD_DIR,
    operations: DEMO_OPERATIONS_HUB,
  });
  const bar = new SingleBar(
    {
      format: 'delivered {bar} {value}/{total} orders | waybills {waybills} | {duration}s',
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 2000,
    },
    Presets.shades_classic,
  );
  try {
    const batches: OrderBatch[] =
      opts.partners === 'real'
        ? await sendPlatformOrders(sandbox, hub.store, opts.orders)
        : [{ source: 'sandbox-shop', externalIds: sandbox.shop.push(opts.orders).externalIds }];
    bar.start(opts.orders, 0, { waybills: 0 });
    const deadline = Date.now() + opts.timeoutS * 1000;
    let s = await runStats(hub.store, batches);
    // Stop when every order is delivered or parked for a human (dead-lettered): no point waiting.
    while (s.delivered + s.failed < opts.orders && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      s = await runStats(hub.store, batches);
      bar.update(s.delivered, { waybills: s.waybills });
    }
    bar.stop();
    if (opts.partners === 'real') await awaitPlatformsTold(hub.store, s.delivered, deadline);
    const carrierStats = sandbox.stats().carriers;
    const duplicateCreates = Object.values(carrierStats).reduce(
      (n, c) => n + Number(c.duplicateCreates ?? 0),
      0,
    );
    const journey: DemoSummary = {
      orders: s.stored,
      waybills: s.waybills,
      delivered: s.delivered,
      failed: s.failed,
      trackingEvents: s.events,
      lost: opts.orders - s.stored,
      duplicates: duplicateCreates,
      p50Ms: percentile(s.latencies, 50),
      p99Ms: percentile(s.latencies, 99),
      seconds: Math.round((Date.now() - started) / 100) / 10,
      db: hub.store.dialect === 'sqlite' ? `sqlite (synchronous=${hub.store.sqliteSynchronous})` : 'postgres',
      partners: opts.partners ?? 'invented',
      perPartner: {
        ...(opts.partners === 'real'
          ? await platformFigures(sandbox, hub.store, batches)
          : { 'sandbox-shop': { kind: 'platform' as const, orders: opts.orders } }),
        ...partnerFigures(
          carrierStats,
          [...hub.partners().carriers()].map((c) => c.id),
        ),
      },
    };
    if (opts.partners === 'real') {
      for (const [id, l] of Object.entries(await labelsDemo(hub, batches))) {
        const carrier = journey.perPartner[id];
        if (carrier?.kind === 'carrier')
          journey.perPartner[id] = {
            ...carrier,
            labelsServed: l.served,
            labelBytes: l.bytes,
            labelsNotIssued: l.notIssued,
            labelsFailed: l.failed,
          };
      }
      journey.perPartner['tiktok-shop'] = await tiktokDemo(hub, sandbox, opts.orders, opts.timeoutS * 1000);
      return journey;
    }
    // After the journey's figures are taken, so its wall time is what it was before bills existed.
    return {
      ...journey,
      settlement: await settleDemo(
        hub.store,
        sandbox.url,
        sandbox.billing,
        (id) => hub.partners().carrier(id)?.primary,
      ),
      inventory: await inventoryDemo(hub, sandbox.warehouse),
      returns: await returnsDemo(hub, sandbox, batches[0]?.externalIds ?? []),
      customs: await customsDemo(hub, sandbox),
      operations: await operationsDemo(hub, sandbox, opts.reportDir),
    };
  } finally {
    bar.stop();
    await hub.close();
    await sandbox.close();
  }
}

export function formatSummary(s: DemoSummary, requested: number): string {
  const rows: Array<[string, string]> = [
    ['orders pushed by the shop', String(requested)],
    ['orders stored by the hub', String(s.orders)],
    ['waybills', String(s.waybills)],
    ['delivered', String(s.delivered)],
    ['failed (dead-lettered)', String(s.failed)],
    ['tracking events', String(s.trackingEvents)],
    ['lost', String(s.lost)],
    ['duplicates (carrier duplicateCreates)', String(s.duplicates)],
    ['order → waybill p50', `${s.p50Ms} ms`],
    ['order → waybill p99', `${s.p99Ms} ms`],
    ['wall time', `${s.seconds} s`],
    ['store', s.db],
    ...(s.settlement
      ? ([
          [
            'bills: planted over-charges found',
            `${s.settlement.found}/${s.settlement.planted} of ${s.settlement.billLines} lines, ${s.settlement.falsePositives} false positives`,
          ],
        ] as Array<[string, string]>)
      : []),
    ...(s.inventory
      ? ([
          [
            'inventory: hub vs warehouse',
            `${s.inventory.skus} SKUs, ${s.inventory.mismatches} mismatches; ${s.inventory.unitsReceived} units received on ${s.inventory.inboundReceipts} inbound receipt`,
          ],
          [
            'warehouse-fulfilled orders',
            `${s.inventory.warehouseFulfilled} shipped with the warehouse's waybill, ${s.inventory.held} held for stock`,
          ],
          [
            'inventory: Parquet snapshot',
            `${s.inventory.snapshot.files} files, ${s.inventory.snapshot.rows} rows in ${s.inventory.snapshot.dir}`,
          ],
        ] as Array<[string, string]>)
      : []),
    ...(s.customs
      ? ([
          [
            'customs declarations',
            s.customs.skipped
              ? `skipped: ${s.customs.skipped}`
              : `${s.customs.sent} sent, ${s.customs.accepted} accepted, ${s.customs.rejected} rejected (planted), ${s.customs.released} released, ${s.customs.lost} lost`,
          ],
        ] as Array<[string, string]>)
      : []),
    ...(s.returns
      ? ([
          [
            'returns: requested → completed',
            `${s.returns.requested} → ${s.returns.completed}; refunded ${s.returns.refunded}, ${s.returns.restocked} units restocked, ${s.returns.damaged} damaged`,
          ],
        ] as Array<[string, string]>)
      : []),
    ...(s.operations ? formatOperations(s.operations) : []),
    ...Object.entries(s.perPartner).map(([id, p]): [string, string] => [
      `partner ${id}`,
      'deliveredTold' in p
        ? formatPlatform(p)
        : p.kind === 'platform'
          ? `${p.orders ?? 0} orders pushed`
          : `${p.waybills ?? 0} waybills, ${p.trackingQueries ?? 0} tracking queries, ${p.duplicates ?? 0} duplicates, ${p.signatureFailures ?? 0} signature failures${p.labelsServed !== undefined ? `, ${p.labelsServed} labels served (${p.labelsNotIssued ?? 0} none issued, ${p.labelsFailed ?? 0} failed)` : ''}`,
    ]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const vw = Math.max(...rows.map(([, v]) => v.length));
  const line = `+${'-'.repeat(w + 2)}+${'-'.repeat(vw + 2)}+`;
  return [line, ...rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v.padEnd(vw)} |`), line].join('\n');
}
