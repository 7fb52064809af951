/** Tables of migration 024 (platform order pulls, fulfilments told back, carrier labels). */

export interface PlatformPullCursorsTable {
  partner_id: string;
  /** ISO 8601: orders updated since then are (still) to be pulled. */
  since: string;
  /** The platform's opaque cursor of the next page inside the current window; null between windows. */
  page_cursor: string | null;
  /** When the current window's first page was asked for (the next window's `since`, less overlap). */
  window_started_at: number | null;
  orders_seen: number;
  orders_accepted: number;
  orders_refused: number;
  last_error: string | null;
  updated_at: number;
}

export interface PlatformFulfilmentsTable {
  order_id: string;
  platform_id: string;
  waybill_no: string;
  /** The platform's fulfilment / package id once one was created. */
  partner_ref: string | null;
  /** The canonical shipment status last told to the platform. */
  sent_status: string | null;
  sends: number;
  sent_at: number | null;
  created_at: number;
}

export interface ShipmentLabelsTable {
  shipment_id: string;
  carrier: string;
  waybill_no: string;
  format: string;
  size_bytes: number;
  /** The label's bytes, base64, sealed under the data-key ring (it prints the consignee). */
  data_sealed: string;
  created_at: number;
}

export type PlatformFlowTables = {
  platform_pull_cursors: PlatformPullCursorsTable;
  platform_fulfilments: PlatformFulfilmentsTable;
  shipment_labels: ShipmentLabelsTable;
};
