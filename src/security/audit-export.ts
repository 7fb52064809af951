/**
 * Audit export for auditors [000-15] [003-4.4]: a contiguous stretch of the chain, streamed to
 * a file with every field that is hashed (seq, at in ms, prev_hash, hash …), so the auditor can
 * recompute each hash (canonical form: src/store/audit-chain.ts) without access to the hub.
 * Beside it: `<out>.checkpoints.jsonl` (the signed checkpoint lines covering the stretch, byte
 * for byte), `<out>.pub.pem` (the public key) and `<out>.manifest.json` (chain id, genesis
 * hash, seq range, file names).
 *
 * CSV columns are those of the JSONL objects; an empty cell is null (the log never stores an
 * empty interface, params or result).
 */
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { CHAINED_FIELDS, chainedFields, genesisHash } from '../store/audit-chain.js';
import { auditPages, readAuditHead } from '../store/audit.js';
import { auditSeqRangeBetween } from '../store/audit-queries.js';
import type { Store } from '../store/db.js';
import { readCheckpointFile } from './audit-checkpoint.js';
import { openPrivateFile } from './private-file.js';

export type AuditExportFormat = 'jsonl' | 'csv';

export interface ExportOptions {
  out: string;
  format: AuditExportFormat;
  /** Entries at or after this time (the stretch starts at the first such entry). */
  from?: Date;
  /** Entries at or before this time (the stretch ends at the last such entry). */
  to?: Date;
  checkpointFile?: string | readonly string[];
  /** PEM of the key that signed the checkpoints. */
  publicKeyPem?: string;
  pageSize?: number;
}

export interface ExportResult {
  entries: number;
  firstSeq?: number;
  lastSeq?: number;
  checkpoints: number;
  files: string[];
}

/** The hashed fields in canonical order, `id` after `seq` and `at_iso` after `at`, then the hashes. */
const COLUMNS = [
  ...CHAINED_FIELDS.flatMap((f) => (f === 'seq' ? [f, 'id'] : f === 'at' ? [f, 'at_iso'] : [f])),
  'prev_hash',
  'hash',
] as const;

async function put(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

export async function exportAudit(store: Store, opts: ExportOptions): Promise<ExportResult> {
  const { chainId } = await readAuditHead(store.db);
  const { firstSeq, lastSeq } = await auditSeqRangeBetween(store.db, opts.from, opts.to);

  // Actors, targets and masked details of people's actions: owner-only, like other exports.
  const file = await openPrivateFile(opts.out);
  const out = file.stream;
  let entries = 0;
  try {
    if (opts.format === 'csv') await put(out, stringify([[...COLUMNS]]));
    if (firstSeq !== undefined && lastSeq !== undefined) {
      for await (const page of auditPages(store.db, firstSeq - 1, lastSeq, opts.pageSize ?? 1000)) {
        const rows = page.map((r) => {
          const fields = chainedFields(r);
          const row: Record<(typeof COLUMNS)[number], string | number | null> = {
            ...fields,
            id: Number(r.id),
            at_iso: new Date(fields.at).toISOString(),
            prev_hash: r.prev_hash,
            hash: r.hash,
          };
          // In column order, so a JSONL line's keys read like the CSV header.
          return Object.fromEntries(COLUMNS.map((c) => [c, row[c]]));
        });
        await put(
          out,
          opts.format === 'csv'
            ? stringify(rows.map((r) => COLUMNS.map((c) => r[c] ?? '')))
            : rows.map((r) => `${JSON.stringify(r)}\n`).join(''),
        );
        entries += rows.length;
      }
    }
    await close(out);
  } catch (err) {
    file.abort();
    throw err;
  }
  file.commit();

  const files = [opts.out];
  const checkpointsOut = `${opts.out}.checkpoints.jsonl`;
  const cp = createWriteStream(checkpointsOut, { flags: 'w' });
  let checkpoints = 0;
  try {
    const sources = opts.checkpointFile === undefined ? [] : [opts.checkpointFile].flat();
    for (const file of sources) {
      for await (const r of readCheckpointFile(file)) {
        if (!('line' in r) || r.line.chainId !== chainId || firstSeq === undefined) continue;
        if (r.line.seq < firstSeq - 1 || r.line.seq > (lastSeq ?? firstSeq - 1)) continue;
        // Verbatim: re-serialising could change the bytes the signature was made over.
        await put(cp, `${r.text}\n`);
        checkpoints += 1;
      }
    }
  } finally {
    await close(cp);
  }
  files.push(checkpointsOut);
  if (opts.publicKeyPem) {
    writeFileSync(`${opts.out}.pub.pem`, opts.publicKeyPem);
    files.push(`${opts.out}.pub.pem`);
  }
  const manifest = `${opts.out}.manifest.json`;
  writeFileSync(
    manifest,
    `${JSON.stringify(
      {
        chainId,
        genesisHash: genesisHash(chainId),
        format: opts.format,
        entries,
        firstSeq: entries > 0 ? firstSeq : null,
        lastSeq: entries > 0 ? lastSeq : null,
        from: opts.from?.toISOString() ?? null,
        to: opts.to?.toISOString() ?? null,
        canonicalForm: `hash = hex SHA-256 of JSON {${[...CHAINED_FIELDS, 'prev_hash'].join(',')}} in that key order, no whitespace; seq 1 links to genesisHash`,
        files: files.map((f) => basename(f)),
        exportedAt: new Date().toISOString(),
      },
      null,
      2,
    )}\n`,
  );
  files.push(manifest);
  return { entries, ...(entries > 0 ? { firstSeq, lastSeq } : {}), checkpoints, files };
}
