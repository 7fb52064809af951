/** Row types of fee settlement (migrations 008_settlement, 009_settlement_measured). Amounts are decimal strings. */

export interface SettlementChargesTable {
  shipment_id: string;
  carrier: string;
  waybill_no: string;
  card_id: string;
  currency: string;
  zone: string;
  chargeable_grams: number;
  /** JSON `[{code, amount}]`. */
  components: string;
  total: string;
  /** `declared`: from the order's lines; `measured`: recomputed from the carrier's weight/dims. */
  basis: string;
  computed_at: number;
  /** The version of the card that priced it (migration 009; null on charges priced before). */
  card_version: string | null;
  /** The weight the order's lines declare, grams. */
  declared_grams: number | null;
  /** The carrier's measured weight (grams) and dimensions (JSON `{length,width,height}` cm). */
  measured_grams: number | null;
  measured_dims: string | null;
  /** Where the measurement came from: `tracking:<event id>`, `api:<actor>`… */
  measured_source: string | null;
  measured_at: number | null;
}

export interface SettlementBillsTable {
  id: string;
  partner_id: string;
  bill_no: string;
  period: string;
  issued_on: string;
  currency: string;
  /** The raw bill as received (inbound_messages), stored before it was parsed. */
  message_id: string;
  line_count: number;
  total: string;
  /** `received` | `reconciled`. */
  status: string;
  paid: string;
  received_at: number;
  reconciled_at: number | null;
}

export interface SettlementLinesTable {
  bill_id: string;
  line_no: number;
  waybill_no: string;
  billed: string;
  /** JSON of the billed line: weight, zone, charges. */
  detail: string;
  /** `unreconciled` until reconciled, then a LineStatus. */
  status: string;
  expected: string | null;
  difference: string | null;
  /** JSON `[{component, code, expected, billed, difference, differenceReporting, note}]`. */
  discrepancies: string;
  reporting_currency: string | null;
  billed_reporting: string | null;
  difference_reporting: string | null;
  fx_rate: string | null;
  fx_day: string | null;
  fx_source: string | null;
}

export interface FxRatesTable {
  base: string;
  quote: string;
  day: string;
  rate: string;
  source: string;
  recorded_at: number;
}

export interface SettlementDisputesTable {
  id: string;
  partner_id: string;
  bill_id: string;
  line_no: number | null;
  status: string;
  reason: string;
  amount: string;
  currency: string;
  deadline: string;
  resolution: string | null;
  credit_note_no: string | null;
  credit_amount: string | null;
  /** JSON `[{at, actor, text}]`. */
  comments: string;
  /** JSON `[{name, sha256, bytes}]`. */
  attachments: string;
  created_at: number;
  updated_at: number;
}

export type SettlementTables = {
  settlement_charges: SettlementChargesTable;
  settlement_bills: SettlementBillsTable;
  settlement_lines: SettlementLinesTable;
  fx_rates: FxRatesTable;
  settlement_disputes: SettlementDisputesTable;
};
