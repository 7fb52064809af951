/** Row types of the append-only, hash-chained audit log (who did what to which record, and how it ended). */
import type { Generated } from 'kysely';

export interface AuditLogTable {
  id: Generated<number>;
  /** Position in the chain: 1, 2, 3 … with no gap (unique). */
  seq: number;
  /** Milliseconds since the epoch. */
  at: number;
  /** `api_key:<keyId>`-style caller id, or `cli:<os user>`. */
  actor: string;
  /** e.g. `dlq.replay`, `dlq.edit_replay`, `dlq.discard`. */
  action: string;
  /** The id of the record acted on (a job id for the DLQ). */
  target: string;
  /** JSON object of masked, non-personal detail (ids, field names, error codes; never values). */
  detail: string;
  /** `ok`, `rejected` (refused with a WaygateError) or `failed` (unexpected error). */
  outcome: string;
  /** The interface called, e.g. `POST /v1/orders` or `cli`; null when not an interface call. */
  interface: string | null;
  /** The answer's status (an HTTP status for API calls); null when none. */
  status: number | null;
  /** JSON of the masked request parameters [000-15]; null when none. */
  params: string | null;
  /** JSON of the masked response summary [000-15]; null when none. */
  result: string | null;
  /** `hash` of the previous row (of seq - 1); the chain's genesis value for seq 1. */
  prev_hash: string;
  /** hex SHA-256 of the row's canonical form (see audit-chain.ts). */
  hash: string;
}

/**
 * The chain's head: one row (id 1). Appends lock it (UPDATE … RETURNING) inside the inserting
 * transaction, so two hub nodes can never give out the same seq or fork the chain.
 */
export interface AuditHeadTable {
  id: number;
  /** Random id of this chain; checkpoint lines carry it, so one file may serve several databases. */
  chain_id: string;
  /** seq of the last row appended (0 for an empty chain). */
  seq: number;
  /** hash of the last row appended (the genesis hash for an empty chain). */
  hash: string;
}

// A type alias, not an interface: withTables<T> needs an index-signature-compatible record.
export type AuditTables = {
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
};
