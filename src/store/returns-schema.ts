/** Row types of returns (migration 020_returns). Times are epoch milliseconds. */
import type { Generated } from 'kysely';

export interface ReturnsTable {
  id: string;
  order_id: string;
  /** `api`, or the id of the sales platform whose return request it came from. */
  origin: string;
  reference: string | null;
  /** `refund` | `exchange`. */
  kind: string;
  status: string;
  reason: string;
  /** JSON array of ReturnLine (pipeline/returns.ts). */
  lines: string;
  currency: string;
  warehouse_id: string;
  warehouse_return_no: string | null;
  /** JSON Address: the warehouse's returns dock. */
  return_to: string | null;
  carrier: string | null;
  waybill_no: string | null;
  label_url: string | null;
  refund_amount: string | null;
  replacement_order_id: string | null;
  status_version: number;
  pushed_version: number;
  created_at: number;
  updated_at: number;
}

export interface ReturnEventsTable {
  id: Generated<number>;
  return_id: string;
  at: number;
  status: string;
  note: string;
}

export interface InventoryDamagedTable {
  warehouse_id: string;
  sku: string;
  quantity: number;
  updated_at: number;
}

// A type alias (not an interface): Kysely's withTables needs an index-compatible record.
export type ReturnTables = {
  returns: ReturnsTable;
  return_events: ReturnEventsTable;
  inventory_damaged: InventoryDamagedTable;
};
