/** Table types for Kysely. Times are integer milliseconds since the epoch in both dialects. */
import type { Generated } from 'kysely';
import type { AuditLogTable } from './audit-schema.js';

export interface OrdersTable {
  id: string;
  source: string;
  external_id: string;
  status: string;
  currency: string;
  total_value: string;
  destination_country: string;
  /** Sealed JSON of the Address (see security/field-cipher.ts). */
  recipient: string;
  recipient_email_bidx: string | null;
  recipient_phone_bidx: string | null;
  items: string;
  /** Sealed JSON of the order's buyer and payment (customs data), when the order has them. */
  customs_sealed: string | null;
  /** JSON of the order's charges (freight, insurance, discount, tax), when it has them. */
  charges: string | null;
  /** Sealed free-text notes of the order, when it has them. */
  notes_sealed: string | null;
  placed_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface OrderHistoryTable {
  id: Generated<number>;
  order_id: string;
  at: number;
  status: string;
  note: string;
}

export interface IdempotencyKeysTable {
  caller: string;
  key: string;
  request_hash: string;
  order_id: string;
  created_at: number;
}

export interface InboundMessagesTable {
  id: string;
  partner_id: string;
  kind: string;
  dedupe_key: string;
  received_at: number;
  body: string;
}

export interface ShipmentsTable {
  id: string;
  order_id: string;
  carrier: string;
  waybill_no: string;
  status: string;
  label_url: string | null;
  estimated_delivery: string | null;
  last_event_at: number | null;
  next_poll_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface TrackingEventsTable {
  id: string;
  carrier: string;
  waybill_no: string;
  event_id: string;
  code: string;
  stage: string;
  partner_code: string;
  description: string;
  occurred_at: number;
  detail: string;
  received_at: number;
}

export interface JobsTable {
  id: string;
  kind: string;
  partner_id: string | null;
  payload: string;
  dedupe_key: string | null;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  /** Masked: no partner text (see error_sealed). */
  last_error: string | null;
  /** The last error in full, sealed (`jobs.error_sealed`): partners echo personal data in it. */
  error_sealed: string | null;
  history: string;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  secret_enc: string;
  created_at: number;
  revoked_at: number | null;
  /** JSON array of permission names. */
  scopes: string;
  partner_id: string | null;
  /** JSON array of CIDR blocks; empty means any address. */
  allow_cidrs: string;
  rate_per_minute: number | null;
  expires_at: number | null;
  prev_secret_enc: string | null;
  prev_valid_until: number | null;
  rotated_at: number | null;
}

export interface DataKeysTable {
  id: string;
  seq: number;
  wrapped: string;
  provider: string;
  created_at: number;
  retired_at: number | null;
}

export interface NoncesTable {
  key_id: string;
  nonce: string;
  expires_at: number;
}

export interface CustomsDeclarationsTable {
  id: string;
  order_id: string;
  partner_id: string;
  direction: string;
  document: string;
  message_type: string;
  status: string;
  guid: string;
  order_no: string;
  logistics_no: string | null;
  customs_no: string | null;
  last_code: string | null;
  last_info_sealed: string | null;
  discrepancies: string | null;
  override_by: string | null;
  message_sealed: string | null;
  sent_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface CustomsHistoryTable {
  id: Generated<number>;
  declaration_id: string;
  at: number;
  status: string;
  code: string | null;
  note: string;
}

export interface Database {
  orders: OrdersTable;
  order_history: OrderHistoryTable;
  idempotency_keys: IdempotencyKeysTable;
  inbound_messages: InboundMessagesTable;
  shipments: ShipmentsTable;
  tracking_events: TrackingEventsTable;
  jobs: JobsTable;
  api_keys: ApiKeysTable;
  nonces: NoncesTable;
  data_keys: DataKeysTable;
  audit_log: AuditLogTable;
  customs_declarations: CustomsDeclarationsTable;
  customs_history: CustomsHistoryTable;
}
