/**
 * Sellable stock as the API and the shop pushes show it: the hub's levels while the warehouse
 * answers; once it has been unreachable for longer than its threshold (default 30 min), the last
 * snapshot's count less what the hub has reserved since [004-3.2], flagged `source: "snapshot"`
 * with the snapshot's age so nobody mistakes it for the warehouse's word.
 */
import type { Executor } from '../store/transaction.js';
import {
  allLinks,
  levelsOf,
  reservedSince,
  snapshotInventory,
  type LevelFilter,
  type LevelRow,
  type WarehouseLinksTable,
} from '../store/inventory.js';
import { damagedStock } from '../store/returns.js';

export const DEFAULT_OUTAGE_THRESHOLD_MS = 30 * 60_000;

export interface Figure {
  at: string | null;
  source: string;
}

export interface StockView {
  warehouse: string;
  sku: string;
  onHand: number;
  reserved: number;
  /** On hand less reserved, never below zero (see `oversold`). */
  available: number;
  /** Reserved beyond what is on hand: units sold that the warehouse does not hold. */
  oversold: number;
  inTransit: number;
  /**
   * Returned units the warehouse graded damaged: held apart, never on hand nor available (the
   * damaged bucket, docs/returns.md).
   */
  damaged: number;
  /** `warehouse`: the hub's levels; `snapshot`: the warehouse is unreachable, the last snapshot serves. */
  source: 'warehouse' | 'snapshot';
  snapshot?: { id: string; takenAt: string; ageSeconds: number };
  figures: { onHand: Figure; reserved: Figure; inTransit: Figure };
}

export interface ViewOptions {
  nowMs?: number;
  /** The hub's clock, when `nowMs` is not given (tests inject one). */
  clock?: () => number;
  /** How long a warehouse may be unreachable before its snapshot serves (per warehouse). */
  outageThresholdMs?: (warehouseId: string) => number;
}

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);

/** A warehouse's outage threshold: its own when configured, else the hub's default. */
export function thresholdFor(
  settings: { outageThresholdMs?: number; outageThresholdsMs?: Readonly<Record<string, number>> } | undefined,
  warehouseId: string,
): number {
  return (
    settings?.outageThresholdsMs?.[warehouseId] ?? settings?.outageThresholdMs ?? DEFAULT_OUTAGE_THRESHOLD_MS
  );
}

/** Whether a warehouse's link is down for longer than its threshold at `nowMs`. */
export function isOutage(link: WarehouseLinksTable | undefined, thresholdMs: number, nowMs: number): boolean {
  return link?.unreachable_since != null && nowMs - link.unreachable_since > thresholdMs;
}

function liveView(row: LevelRow): StockView {
  const net = row.on_hand - row.reserved;
  return {
    warehouse: row.warehouse_id,
    sku: row.sku,
    onHand: row.on_hand,
    reserved: row.reserved,
    available: Math.max(0, net),
    oversold: Math.max(0, -net),
    inTransit: row.in_transit,
    damaged: 0,
    source: 'warehouse',
    figures: {
      onHand: { at: iso(row.on_hand_at), source: row.on_hand_source },
      reserved: { at: iso(row.reserved_at), source: 'hub' },
      inTransit: { at: iso(row.in_transit_at), source: row.in_transit_source },
    },
  };
}

/** The stock of the SKUs and warehouses matching `filter`, each from its warehouse or its snapshot. */
export async function stockViews(
  ex: Executor,
  filter: LevelFilter,
  opts: ViewOptions = {},
): Promise<StockView[]> {
  const nowMs = opts.nowMs ?? opts.clock?.() ?? Date.now();
  const threshold = opts.outageThresholdMs ?? (() => DEFAULT_OUTAGE_THRESHOLD_MS);
  const links = new Map((await allLinks(ex)).map((l) => [l.warehouse_id, l]));
  const down = new Set([...links.keys()].filter((id) => isOutage(links.get(id), threshold(id), nowMs)));
  const rows = await levelsOf(ex, filter);
  const damaged = new Map(
    (await damagedStock(ex, filter)).map((d) => [`${d.warehouse_id}\u0000${d.sku}`, d.quantity]),
  );
  const withDamaged = (v: StockView): StockView => ({
    ...v,
    damaged: damaged.get(`${v.warehouse}\u0000${v.sku}`) ?? 0,
  });
  if (down.size === 0) return rows.map(liveView).map(withDamaged);
  const snaps = new Map(
    (await snapshotInventory(ex, filter)).map((s) => [`${s.warehouse_id}\u0000${s.sku}`, s]),
  );
  const out: StockView[] = [];
  for (const row of rows) {
    const snap = snaps.get(`${row.warehouse_id}\u0000${row.sku}`);
    if (!down.has(row.warehouse_id) || !snap) {
      out.push(liveView(row));
      continue;
    }
    const since = await reservedSince(ex, row.warehouse_id, row.sku, snap.taken_at);
    const reserved = snap.reserved + since;
    const net = snap.on_hand - reserved;
    out.push({
      ...liveView(row),
      onHand: snap.on_hand,
      reserved,
      available: Math.max(0, net),
      oversold: Math.max(0, -net),
      source: 'snapshot',
      snapshot: {
        id: snap.snapshot_id,
        takenAt: new Date(snap.taken_at).toISOString(),
        ageSeconds: Math.max(0, Math.floor((nowMs - snap.taken_at) / 1000)),
      },
      figures: {
        onHand: { at: iso(snap.taken_at), source: 'snapshot' },
        reserved: { at: iso(row.reserved_at), source: 'hub' },
        inTransit: { at: iso(row.in_transit_at), source: row.in_transit_source },
      },
    });
  }
  return out.map(withDamaged);
}
