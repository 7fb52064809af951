/**
 * The audit log's hash chain [003-4.4]: every row carries `seq` (1, 2, 3 … without gaps),
 * `prev_hash` (the previous row's hash) and `hash`, so editing, deleting or inserting a row
 * breaks the chain at that row. Pure code: the migration, the appender, the verifier and any
 * auditor's own tool compute the same thing.
 *
 * Canonical form (version 1) of a row: the UTF-8 bytes of the JSON text of an object with
 * exactly these keys in this order, no whitespace, as ECMAScript `JSON.stringify` writes it
 * (Python: `json.dumps(obj, separators=(",", ":"), ensure_ascii=False)` gives the same bytes):
 *
 *   {"seq":<int>,"at":<int ms since epoch>,"actor":<str>,"action":<str>,"target":<str>,
 *    "detail":<str: the stored detail JSON text, as a string>,"outcome":<str>,
 *    "interface":<str|null>,"status":<int|null>,"params":<str|null>,"result":<str|null>,
 *    "prev_hash":<str: 64 lowercase hex>}
 *
 * `hash` = lowercase hex SHA-256 of that text. `detail`, `params` and `result` are hashed as
 * the exact text stored (not re-serialised), so key order inside them never matters.
 * The first row's `prev_hash` is the chain's genesis hash: hex SHA-256 of
 * `waygate-audit-genesis\n<chain_id>`, which binds the rows to the chain id in `audit_head`.
 */
import { createHash } from 'node:crypto';
import type { AuditLogTable } from './audit-schema.js';

/**
 * The columns a row's hash covers, in canonical order: all but its id and the two hash columns.
 * The one list the appender, the verifier, the export and the migration derive theirs from.
 */
export const CHAINED_FIELDS = [
  'seq',
  'at',
  'actor',
  'action',
  'target',
  'detail',
  'outcome',
  'interface',
  'status',
  'params',
  'result',
] as const satisfies readonly (keyof AuditLogTable)[];

export type ChainedField = (typeof CHAINED_FIELDS)[number];
export type ChainedFields = Pick<AuditLogTable, ChainedField>;

// A column added to audit_log is hashed (or named here as not hashed): the list cannot fall behind.
type Unlisted = Exclude<keyof AuditLogTable, ChainedField | 'id' | 'prev_hash' | 'hash'>;
const everyColumnListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyColumnListed;

/** A row's chained fields as read back; drivers may hand integers over as strings. */
export function chainedFields(row: ChainedFields): ChainedFields {
  const fields = Object.fromEntries(CHAINED_FIELDS.map((f) => [f, row[f]])) as ChainedFields;
  return {
    ...fields,
    seq: Number(row.seq),
    at: Number(row.at),
    status: row.status === null ? null : Number(row.status),
  };
}

export function canonicalAuditText(row: ChainedFields, prevHash: string): string {
  const canonical: Record<string, unknown> = {};
  for (const field of CHAINED_FIELDS) canonical[field] = row[field];
  canonical.prev_hash = prevHash;
  return JSON.stringify(canonical);
}

export function auditHash(row: ChainedFields, prevHash: string): string {
  return createHash('sha256').update(canonicalAuditText(row, prevHash), 'utf8').digest('hex');
}

export function genesisHash(chainId: string): string {
  return createHash('sha256').update(`waygate-audit-genesis\n${chainId}`, 'utf8').digest('hex');
}
