/**
 * The reconciliation after a warehouse outage [004-3.2]: while the warehouse was unreachable
 * beyond its threshold, sellable stock came from the last snapshot and orders were sold on it.
 * Once the warehouse answers again (and its count has been applied), every SKU of the snapshot
 * or sold meanwhile is compared with the warehouse's truth:
 *
 * - `short` / `surplus`: the warehouse holds fewer / more than the snapshot said (stock moved
 *   that the snapshot could not show: damage, adjustments, receipts, shipments);
 * - `oversold`: units sold while the snapshot served that the warehouse cannot fill — the hub's
 *   reservations exceed what the warehouse holds. The alert rule `stock_oversold`
 *   (monitor/alerts.ts; default rule `stock-oversold`, major) reads the newest report of each
 *   warehouse: it fires, notifies and resolves like any alert.
 *
 * A SKU with neither difference is not listed. The report is stored (API and CLI read it) and
 * written as JSON and CSV to the reports folder, when one is configured.
 */
import { join } from 'node:path';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { Store } from '../../store/db.js';
import { newId } from '../../store/ids.js';
import { levelsOf, snapshotInventory } from '../../store/inventory.js';
import { WaygateError } from '../../domain/index.js';
import type { Executor } from '../../store/transaction.js';
import {
  getReconciliation,
  getSnapshot,
  insertReconciliation,
  listReconciliations,
  reservationsBetween,
  type StockReconciliationsTable,
} from '../../store/snapshots.js';

export type DifferenceKind = 'oversold' | 'short' | 'surplus';

export interface ReconciliationLine {
  sku: string;
  kind: DifferenceKind;
  /** What the snapshot said was on hand. */
  snapshotOnHand: number;
  /** What the warehouse counts now. */
  warehouseOnHand: number;
  /** warehouseOnHand − snapshotOnHand. */
  onHandDifference: number;
  /** Units reserved by orders placed while the snapshot served. */
  soldOnSnapshot: number;
  /** The orders that sold them. */
  orders: string[];
  /** All of the hub's reservations on the SKU now. */
  reserved: number;
  /** Sellable now, on the warehouse's count. */
  available: number;
  /** Reserved beyond what the warehouse holds. */
  oversold: number;
}

export interface ReconciliationReport {
  id: string;
  warehouse: string;
  snapshot: { id: string; takenAt: string } | null;
  unreachableSince: string;
  fallbackFrom: string;
  recoveredAt: string;
  differences: number;
  oversoldSkus: string[];
  lines: ReconciliationLine[];
  files: { json: string; csv: string } | null;
}

export interface ReconcileInput {
  warehouseId: string;
  /** When the warehouse stopped answering. */
  unreachableSinceMs: number;
  /** When the snapshot started to serve (unreachable since + threshold). */
  fallbackFromMs: number;
  recoveredAtMs: number;
  /** Where the JSON and CSV files go; none: stored only. */
  reportsDir?: string;
}

export const CSV_COLUMNS: ReadonlyArray<keyof ReconciliationLine> = [
  'sku',
  'kind',
  'snapshotOnHand',
  'warehouseOnHand',
  'onHandDifference',
  'soldOnSnapshot',
  'reserved',
  'available',
  'oversold',
  'orders',
];

export const CSV_LANGS = ['en', 'zh-CN'] as const;
export type CsvLang = (typeof CSV_LANGS)[number];
const csvLabels = new Map<CsvLang, Record<string, string>>();

/** The CSV's column and difference labels in a language (locales/reconciliation/<lang>.json). */
function labelsOf(lang: CsvLang): Record<string, string> {
  let m = csvLabels.get(lang);
  if (!m) {
    m = JSON.parse(
      readFileSync(new URL(`../../../locales/reconciliation/${lang}.json`, import.meta.url), 'utf8'),
    ) as Record<string, string>;
    csvLabels.set(lang, m);
  }
  return m;
}

/**
 * The report as CSV: one row per SKU, orders joined by spaces. Without a language the headers and
 * kinds are the JSON field names (stable for tools); with one, they are read in that language.
 */
export function reconciliationCsv(report: Pick<ReconciliationReport, 'lines'>, lang?: CsvLang): string {
  const t = lang ? labelsOf(lang) : undefined;
  const label = (key: string, fallback: string) => t?.[key] ?? fallback;
  return stringify([
    CSV_COLUMNS.map((c) => label(c, c)),
    ...report.lines.map((l) =>
      CSV_COLUMNS.map((c) =>
        c === 'orders' ? l.orders.join(' ') : c === 'kind' ? label(`kind.${l.kind}`, l.kind) : String(l[c]),
      ),
    ),
  ]);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Compares what was sold on the snapshot with the warehouse's truth and stores the report. */
export async function reconcileAfterOutage(
  store: Store,
  input: ReconcileInput,
): Promise<ReconciliationReport> {
  const { warehouseId } = input;
  const snaps = await snapshotInventory(store.db, { warehouseId });
  const live = new Map(
    (await levelsOf(store.db, { warehouseId }, 1_000_000)).map((l) => [l.sku, l] as const),
  );
  const sold = await reservationsBetween(store.db, warehouseId, input.fallbackFromMs, input.recoveredAtMs);
  const soldBySku = new Map<string, { units: number; orders: string[] }>();
  for (const r of sold) {
    if (r.status === 'released') continue;
    const s = soldBySku.get(r.sku) ?? { units: 0, orders: [] };
    s.units += r.quantity;
    s.orders.push(r.order_id);
    soldBySku.set(r.sku, s);
  }
  const snapBySku = new Map(snaps.map((s) => [s.sku, s] as const));
  const skus = [...new Set([...snapBySku.keys(), ...soldBySku.keys()])].sort();
  const lines: ReconciliationLine[] = [];
  for (const sku of skus) {
    const level = live.get(sku);
    const snapshotOnHand = snapBySku.get(sku)?.on_hand ?? 0;
    const warehouseOnHand = level?.on_hand ?? 0;
    const reserved = level?.reserved ?? 0;
    const s = soldBySku.get(sku) ?? { units: 0, orders: [] };
    const oversold = Math.max(0, reserved - warehouseOnHand);
    const difference = warehouseOnHand - snapshotOnHand;
    const oversoldHere = s.units > 0 && oversold > 0;
    if (difference === 0 && !oversoldHere) continue;
    lines.push({
      sku,
      kind: oversoldHere ? 'oversold' : difference < 0 ? 'short' : 'surplus',
      snapshotOnHand,
      warehouseOnHand,
      onHandDifference: difference,
      soldOnSnapshot: s.units,
      orders: s.orders,
      reserved,
      available: Math.max(0, warehouseOnHand - reserved),
      oversold: oversoldHere ? oversold : 0,
    });
  }
  const id = newId('rec', input.recoveredAtMs);
  const first = snaps[0];
  const report: ReconciliationReport = {
    id,
    warehouse: warehouseId,
    snapshot: first ? { id: first.snapshot_id, takenAt: iso(first.taken_at) } : null,
    unreachableSince: iso(input.unreachableSinceMs),
    fallbackFrom: iso(input.fallbackFromMs),
    recoveredAt: iso(input.recoveredAtMs),
    differences: lines.length,
    oversoldSkus: lines.filter((l) => l.kind === 'oversold').map((l) => l.sku),
    lines,
    files: null,
  };
  if (input.reportsDir) report.files = writeReportFiles(input.reportsDir, report);
  await store.write((trx) => insertReconciliation(trx, rowOf(report, input)));
  return report;
}

function writeReportFiles(dir: string, report: ReconciliationReport): { json: string; csv: string } {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `reconciliation-${report.warehouse}-${report.id}`);
  const files = { json: `${base}.json`, csv: `${base}.csv` };
  const put = (path: string, text: string) => {
    writeFileSync(`${path}.part`, text);
    renameSync(`${path}.part`, path);
  };
  put(files.json, `${JSON.stringify({ ...report, files }, null, 2)}\n`);
  put(files.csv, reconciliationCsv(report));
  return files;
}

function rowOf(report: ReconciliationReport, input: ReconcileInput): StockReconciliationsTable {
  return {
    id: report.id,
    warehouse_id: report.warehouse,
    snapshot_id: report.snapshot?.id ?? null,
    unreachable_since: input.unreachableSinceMs,
    fallback_from: input.fallbackFromMs,
    recovered_at: input.recoveredAtMs,
    differences: report.differences,
    oversold_skus: report.oversoldSkus.length,
    lines: JSON.stringify(report.lines),
    json_path: report.files?.json ?? null,
    csv_path: report.files?.csv ?? null,
    created_at: input.recoveredAtMs,
  };
}

/** A stored reconciliation as the API and CLI show it. */
async function reportOf(ex: Executor, row: StockReconciliationsTable): Promise<ReconciliationReport> {
  const lines = JSON.parse(row.lines) as ReconciliationLine[];
  const snap = row.snapshot_id !== null ? await getSnapshot(ex, row.snapshot_id) : undefined;
  return {
    id: row.id,
    warehouse: row.warehouse_id,
    snapshot:
      row.snapshot_id !== null ? { id: row.snapshot_id, takenAt: snap ? iso(snap.taken_at) : '' } : null,
    unreachableSince: iso(row.unreachable_since),
    fallbackFrom: iso(row.fallback_from),
    recoveredAt: iso(row.recovered_at),
    differences: row.differences,
    oversoldSkus: lines.filter((l) => l.kind === 'oversold').map((l) => l.sku),
    lines,
    files: row.json_path && row.csv_path ? { json: row.json_path, csv: row.csv_path } : null,
  };
}

/** One stored reconciliation report; `reconciliation_not_found` when there is none of that id. */
export async function loadReconciliation(ex: Executor, id: string): Promise<ReconciliationReport> {
  const row = await getReconciliation(ex, id);
  if (!row) throw new WaygateError('reconciliation_not_found', `no reconciliation report ${id}`, { id });
  return reportOf(ex, row);
}

/** Stored reconciliation reports, newest first. */
export async function listReconciliationReports(
  ex: Executor,
  opts: { warehouseId?: string; limit: number },
): Promise<ReconciliationReport[]> {
  const rows = await listReconciliations(ex, opts);
  const out: ReconciliationReport[] = [];
  for (const r of rows) out.push(await reportOf(ex, r));
  return out;
}
