/**
 * A full snapshot of the A-tier partners' products, orders and inventory as Parquet [004-3.2]:
 * one file per entity and day (`products-2026-12-03.parquet`, `orders-…`, `inventory-…`) and a
 * manifest (`manifest-2026-12-03.json`) naming each file with its row count, byte size, SHA-256
 * and column schema. Written by hyparquet-writer, so any Parquet reader (DuckDB, pandas, Spark)
 * opens them. Each file is written beside its final name and renamed into place, the manifest
 * last: a reader never sees half a file, and a second run the same day replaces the day's set.
 *
 * Personal data is left out, not masked: an order row carries no recipient (name, address,
 * phone, e-mail), no buyer or payment data and no notes — only the destination country. The
 * snapshot's inventory also replaces the fallback inventory the hub serves from while a
 * warehouse is unreachable (pipeline/inventory-view.ts).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { BasicType, ColumnSource } from 'hyparquet-writer';
import { WaygateError } from '../../domain/index.js';
import type { Store } from '../../store/db.js';
import { newId } from '../../store/ids.js';
import { replaceSnapshotInventory } from '../../store/inventory.js';
import {
  insertSnapshot,
  levelsForSnapshot,
  ordersForSnapshot,
  productsForSnapshot,
} from '../../store/snapshots.js';

/** The A-tier partners a snapshot covers, by kind. */
export interface SnapshotScope {
  platforms: readonly string[];
  carriers: readonly string[];
  warehouses: readonly string[];
}

export interface SnapshotOptions {
  dir: string;
  /** The day in the file names is the snapshot's day in this time zone. */
  timeZone: string;
  scope: SnapshotScope;
  trigger: 'schedule' | 'cli' | 'api';
  nowMs?: number;
}

export const SNAPSHOT_ENTITIES = ['products', 'orders', 'inventory'] as const;
export type SnapshotEntity = (typeof SNAPSHOT_ENTITIES)[number];

export interface SnapshotFile {
  entity: SnapshotEntity;
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
  schema: Array<{ name: string; type: BasicType; nullable: boolean }>;
}

export interface SnapshotManifest {
  id: string;
  takenAt: string;
  day: string;
  timeZone: string;
  tier: 'A';
  partners: SnapshotScope;
  personalData: string;
  files: SnapshotFile[];
}

export interface SnapshotResult {
  id: string;
  takenAt: string;
  day: string;
  dir: string;
  manifest: string;
  files: SnapshotFile[];
}

export const PERSONAL_DATA_NOTE =
  'left out: orders carry no recipient name, address, postal code, phone or e-mail, no buyer or payment data and no notes; only the destination country';

/** YYYY-MM-DD of `ms` in `timeZone`. */
export function dayIn(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(ms));
}

interface Column<R> {
  name: string;
  type: BasicType;
  nullable: boolean;
  value(row: R): unknown;
}

const col = <R>(name: string, type: BasicType, value: (row: R) => unknown, nullable = false): Column<R> => ({
  name,
  type,
  nullable,
  value,
});
const time = (ms: number | null) => (ms === null || ms <= 0 ? null : new Date(ms));

type Level = Awaited<ReturnType<typeof levelsForSnapshot>>[number];
type Product = Awaited<ReturnType<typeof productsForSnapshot>>[number];
type Order = Awaited<ReturnType<typeof ordersForSnapshot>>[number];

const PRODUCT_COLUMNS: Column<Product>[] = [
  col('sku', 'STRING', (p) => p.sku),
  col('hs_code', 'STRING', (p) => p.hs_code),
  col('origin_country', 'STRING', (p) => p.origin_country),
  col('name_en', 'STRING', (p) => p.name_en),
  col('name_zh', 'STRING', (p) => p.name_zh),
  col('weight_grams', 'INT32', (p) => p.weight_grams),
  // Decimal strings, as stored: exact amounts, no binary floating point.
  col('declared_value', 'STRING', (p) => p.declared_value),
  col('currency', 'STRING', (p) => p.currency),
  col('updated_at', 'TIMESTAMP', (p) => time(p.updated_at)),
];

interface OrderLine {
  sku?: unknown;
  quantity?: unknown;
  unitPrice?: unknown;
}
const linesOf = (o: Order): OrderLine[] => {
  const parsed = JSON.parse(o.items) as unknown;
  return Array.isArray(parsed) ? (parsed as OrderLine[]) : [];
};

const ORDER_COLUMNS: Column<Order>[] = [
  col('id', 'STRING', (o) => o.id),
  col('source', 'STRING', (o) => o.source),
  col('external_id', 'STRING', (o) => o.external_id),
  col('status', 'STRING', (o) => o.status),
  col('currency', 'STRING', (o) => o.currency),
  col('total_value', 'STRING', (o) => o.total_value),
  col('destination_country', 'STRING', (o) => o.destination_country),
  col('line_count', 'INT32', (o) => linesOf(o).length),
  col('units', 'INT32', (o) => linesOf(o).reduce((n, l) => n + (Number(l.quantity) || 0), 0)),
  // SKU, quantity and unit price per line: the goods, nothing about the buyer.
  col('lines', 'JSON', (o) =>
    linesOf(o).map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice })),
  ),
  col('carrier', 'STRING', (o) => o.carrier, true),
  col('waybill_no', 'STRING', (o) => o.waybill_no, true),
  col('warehouse', 'STRING', (o) => o.warehouse_id, true),
  col('placed_at', 'TIMESTAMP', (o) => time(o.placed_at), true),
  col('created_at', 'TIMESTAMP', (o) => time(o.created_at)),
  col('updated_at', 'TIMESTAMP', (o) => time(o.updated_at)),
];

const INVENTORY_COLUMNS: Column<Level>[] = [
  col('warehouse', 'STRING', (l) => l.warehouse_id),
  col('sku', 'STRING', (l) => l.sku),
  col('on_hand', 'INT32', (l) => l.on_hand),
  col('reserved', 'INT32', (l) => l.reserved),
  col('available', 'INT32', (l) => Math.max(0, l.on_hand - l.reserved)),
  col('oversold', 'INT32', (l) => Math.max(0, l.reserved - l.on_hand)),
  col('in_transit', 'INT32', (l) => l.in_transit),
  col('on_hand_at', 'TIMESTAMP', (l) => time(l.on_hand_at), true),
  col('on_hand_source', 'STRING', (l) => l.on_hand_source),
];

function parquetOf<R>(rows: readonly R[], columns: readonly Column<R>[], meta: Record<string, string>) {
  const columnData: ColumnSource[] = columns.map((c) => ({
    name: c.name,
    type: c.type,
    nullable: c.nullable,
    // hyparquet-writer takes plain arrays of the column's JS values (DecodedArray).
    data: rows.map((r) => c.value(r)) as ColumnSource['data'],
  }));
  return new Uint8Array(
    parquetWriteBuffer({
      columnData,
      kvMetadata: Object.entries(meta).map(([key, value]) => ({ key, value })),
      createdBy: 'waygate snapshot (hyparquet-writer)',
    }),
  );
}

/** Checks that `dir` is (or can become) a folder this process can write into. */
export function usableDir(dir: string): string {
  const abs = resolve(dir);
  try {
    mkdirSync(abs, { recursive: true });
    if (!statSync(abs).isDirectory()) throw new Error('not a folder');
    const probe = join(abs, `.waygate-write-check-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new WaygateError(
      'snapshot_dir_unusable',
      `${dir} cannot hold snapshot files (${why}); give a folder this user may write (--out DIR or snapshot.dir)`,
      { dir, reason: why },
    );
  }
  return abs;
}

function writeAtomically(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.part`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/**
 * Takes the snapshot: reads the three entities, writes their files and the manifest, and records
 * it — with its inventory becoming the fallback — in one transaction.
 */
export async function takeSnapshot(store: Store, opts: SnapshotOptions): Promise<SnapshotResult> {
  const dir = usableDir(opts.dir);
  const nowMs = opts.nowMs ?? Date.now();
  const id = newId('snp', nowMs);
  const day = dayIn(nowMs, opts.timeZone);
  // Levels first, at the snapshot's time: reservations made after it are the fallback's "since".
  const levels = await levelsForSnapshot(store.db, opts.scope.warehouses);
  const products = await productsForSnapshot(store.db);
  const orders: Order[] = [];
  for (let after = ''; ;) {
    const page = await ordersForSnapshot(
      store.db,
      { sources: opts.scope.platforms, carriers: opts.scope.carriers, warehouses: opts.scope.warehouses },
      after,
      2000,
    );
    orders.push(...page);
    if (page.length < 2000) break;
    after = page.at(-1)!.id;
  }
  const meta = {
    'waygate.snapshot': id,
    'waygate.day': day,
    'waygate.taken_at': new Date(nowMs).toISOString(),
  };
  const files: SnapshotFile[] = [];
  const write = <R>(entity: SnapshotEntity, rows: readonly R[], columns: readonly Column<R>[]) => {
    const bytes = parquetOf(rows, columns, { ...meta, 'waygate.entity': entity });
    const file = `${entity}-${day}.parquet`;
    writeAtomically(join(dir, file), bytes);
    files.push({
      entity,
      file,
      rows: rows.length,
      bytes: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      schema: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    });
  };
  write('products', products, PRODUCT_COLUMNS);
  write('orders', orders, ORDER_COLUMNS);
  write('inventory', levels, INVENTORY_COLUMNS);
  const manifest: SnapshotManifest = {
    id,
    takenAt: new Date(nowMs).toISOString(),
    day,
    timeZone: opts.timeZone,
    tier: 'A',
    partners: {
      platforms: [...opts.scope.platforms],
      carriers: [...opts.scope.carriers],
      warehouses: [...opts.scope.warehouses],
    },
    personalData: PERSONAL_DATA_NOTE,
    files,
  };
  const manifestFile = `manifest-${day}.json`;
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  writeAtomically(join(dir, manifestFile), manifestText);
  await store.write(async (trx) => {
    await insertSnapshot(trx, {
      id,
      taken_at: nowMs,
      day,
      time_zone: opts.timeZone,
      dir,
      trigger: opts.trigger,
      manifest: manifestText,
    });
    await replaceSnapshotInventory(
      trx,
      levels.map((l) => ({
        warehouse_id: l.warehouse_id,
        sku: l.sku,
        on_hand: l.on_hand,
        reserved: l.reserved,
        taken_at: nowMs,
        snapshot_id: id,
      })),
    );
  });
  return { id, takenAt: manifest.takenAt, day, dir, manifest: join(dir, manifestFile), files };
}
