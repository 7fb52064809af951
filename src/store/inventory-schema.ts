/** Row types of warehouse inventory (migration 011_warehouses). Times are epoch milliseconds. */
import type { Generated } from 'kysely';

export interface InventoryLevelsTable {
  warehouse_id: string;
  sku: string;
  on_hand: number;
  /** The warehouse's time of the absolute figure (a pull) the on-hand count is based on. */
  on_hand_base_at: number;
  /** The warehouse's time of the newest figure or change included in `on_hand`. */
  on_hand_at: number;
  /** `pull` | a stock change kind | `snapshot`. */
  on_hand_source: string;
  reserved: number;
  reserved_at: number;
  in_transit: number;
  in_transit_at: number;
  in_transit_source: string;
  updated_at: number;
}

export interface InventoryEventsTable {
  warehouse_id: string;
  /** The warehouse's id of the change: a re-delivered push is applied once. */
  event_id: string;
  sku: string;
  /** `inbound_received` | `outbound_shipped` | `adjustment` | `damage` | `return_received`. */
  kind: string;
  delta: number;
  occurred_at: number;
  reference: string | null;
  received_at: number;
}

export interface InventoryHistoryTable {
  id: Generated<number>;
  warehouse_id: string;
  sku: string;
  at: number;
  change: string;
  source: string;
  reference: string | null;
  on_hand_delta: number;
  reserved_delta: number;
  in_transit_delta: number;
  on_hand: number;
  reserved: number;
  in_transit: number;
}

export interface InventoryReservationsTable {
  order_id: string;
  warehouse_id: string;
  sku: string;
  quantity: number;
  /** `open` | `shipped` | `released`. */
  status: string;
  created_at: number;
  updated_at: number;
}

export interface InboundReceiptsTable {
  warehouse_id: string;
  asn_no: string;
  sku: string;
  expected: number;
  received: number;
  /** `sent` | `partial` | `received` | `closed`. */
  status: string;
  created_at: number;
  updated_at: number;
}

export interface WarehouseLinksTable {
  warehouse_id: string;
  last_ok_at: number | null;
  unreachable_since: number | null;
  last_error: string | null;
  updated_at: number;
}

export interface InventorySnapshotTable {
  warehouse_id: string;
  sku: string;
  on_hand: number;
  reserved: number;
  taken_at: number;
  snapshot_id: string;
}

export interface StockPushesTable {
  platform_id: string;
  sku: string;
  /** Bumped by every change of the SKU's sellable stock. */
  wanted_version: number;
  /** The wanted version the last successful push carried. */
  pushed_version: number;
  pushed_available: number | null;
  pushed_source: string | null;
  pushed_at: number | null;
  updated_at: number;
}

// A type alias (not an interface): Kysely's withTables needs an index-compatible record.
export type InventoryTables = {
  inventory_levels: InventoryLevelsTable;
  inventory_events: InventoryEventsTable;
  inventory_history: InventoryHistoryTable;
  inventory_reservations: InventoryReservationsTable;
  inbound_receipts: InboundReceiptsTable;
  warehouse_links: WarehouseLinksTable;
  inventory_snapshot: InventorySnapshotTable;
  stock_pushes: StockPushesTable;
};
