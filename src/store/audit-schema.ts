/** Row type of the append-only audit log (who did what to which record, and how it ended). */
import type { Generated } from 'kysely';

export interface AuditLogTable {
  id: Generated<number>;
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
}
