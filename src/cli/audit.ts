/** `waygate audit verify|checkpoint|export|prune|pubkey`: the tamper-evident audit log [003-4.4]. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { readAuditHead, recordAudit, type AuditOutcome } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { readLastSeen, rememberVerified } from '../security/audit-anchor.js';
import {
  auditNotaryFor,
  auditPathsFor,
  auditPublicKey,
  checkAuditPaths,
  loadAuditSigningKey,
  writeCheckpoint,
  AUDIT_SIGNING_KEY_ENV,
  type AuditPublicKey,
} from '../security/audit-checkpoint.js';
import { exportAudit, type AuditExportFormat } from '../security/audit-export.js';
import { MIN_AUDIT_RETENTION_DAYS, pruneAudit, type PruneResult } from '../security/audit-retention.js';
import { verifyAudit, type AuditVerification } from '../security/audit-verify.js';
import { cliActor, dbOption, withStore, type CommonOptions } from './dlq.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function dateArg(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new InvalidArgumentError('expected a date such as 2025-01-31 or an ISO time');
  return d;
}

function daysArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('days must be a whole number');
  return n;
}

const checkpointsOption = () =>
  new Option(
    '--checkpoints <file>',
    'checkpoint file (default: audit-checkpoints.jsonl in the audit directory, $WAYGATE_AUDIT_DIR)',
  );

/**
 * The keys checkpoints are checked against: those given, else the hub's public key file, else
 * the public half of the signing key in the environment or key file. None when none exists yet.
 */
function verificationKeys(files: readonly string[]): AuditPublicKey[] {
  if (files.length > 0) return files.map((f) => auditPublicKey(readFileSync(f, 'utf8')));
  const paths = auditPathsFor();
  if (existsSync(paths.publicKeyFile)) return [auditPublicKey(readFileSync(paths.publicKeyFile, 'utf8'))];
  if (process.env[AUDIT_SIGNING_KEY_ENV] || existsSync(paths.keyFile))
    return [auditPublicKey(loadAuditSigningKey(paths.keyFile).key)];
  return [];
}

export function formatVerification(v: AuditVerification): string {
  const last = v.lastCheckpointSeq === undefined ? 'none' : String(v.lastCheckpointSeq);
  if (v.ok) {
    const lines = [`audit chain intact: ${v.entries} entries, last checkpoint seq ${last}`];
    if (v.lastCheckpointHash)
      lines.push(
        `checkpoint head: seq ${last} hash ${v.lastCheckpointHash} (record it with the public key, out of the hub's reach)`,
      );
    if (v.startSeq > 0) lines.push(`(verified from the prune anchor at seq ${v.startSeq})`);
    if (v.skipped > 0) lines.push(`(${v.skipped} entries below the newest prune anchor not verified)`);
    if (v.malformedLines > 0)
      lines.push(
        `warning: ${v.malformedLines} lines of the checkpoint file are not checkpoints (torn or damaged)`,
      );
    if (v.checkpoints === 0 && v.otherChainLines > 0)
      lines.push(
        `warning: the checkpoint file holds ${v.otherChainLines} lines of other chains and none of this one`,
      );
    return lines.join('\n');
  }
  const f = v.firstFailure!;
  const where = [
    f.seq !== undefined ? `seq ${f.seq}` : undefined,
    f.id !== undefined ? `id ${f.id}` : undefined,
    f.file ? `${f.file}:${f.line}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return `audit chain NOT intact: first failure at ${where || 'the start'}: ${f.reason}\n  ${f.message}`;
}

interface VerifyCliOptions extends CommonOptions {
  checkpoints?: string[];
  publicKey?: string[];
  state?: string;
}

export function registerAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description('the tamper-evident audit log: verify, checkpoint, export, prune');

  audit
    .command('verify')
    .description('recompute the hash chain and check it against the signed checkpoints; exit 1 if broken')
    .addOption(checkpointsOption().argParser(collect))
    .option(
      '--public-key <file>',
      'public key (PEM) that signs the checkpoints; repeat for rotated keys',
      collect,
    )
    .option(
      '--state <file>',
      'what the last verification saw, to refuse a checkpoint file cut short or rolled back (default: audit-verify-state.json in the audit directory)',
    )
    .addOption(dbOption())
    .option('--json', 'print the result as JSON')
    .action(async (o: VerifyCliOptions) =>
      withStore(o, async (store) => {
        const paths = auditPathsFor();
        if (!o.checkpoints) warn(checkAuditPaths(o.db, paths));
        const stateFile = o.state ?? paths.stateFile;
        const { chainId } = await readAuditHead(store.db);
        const lastSeen = readLastSeen(stateFile, chainId);
        const result = await verifyAudit(store, {
          checkpointFile: o.checkpoints ?? [paths.checkpointFile],
          publicKey: verificationKeys(o.publicKey ?? []),
          ...(lastSeen ? { lastSeen } : {}),
        });
        if (!result.ok) process.exitCode = 1;
        else if (result.lastCheckpointSeq !== undefined && result.lastCheckpointHash !== undefined)
          rememberVerified(stateFile, result.chainId, {
            checkpoints: result.checkpoints,
            seq: result.lastCheckpointSeq,
            hash: result.lastCheckpointHash,
            verifiedAt: new Date().toISOString(),
          });
        return o.json ? result : formatVerification(result);
      }),
    );

  audit
    .command('checkpoint')
    .description('sign the chain head now and append it to the checkpoint file')
    .addOption(checkpointsOption())
    .addOption(dbOption())
    .option('--json', 'print the checkpoint line')
    .action(async (o: CommonOptions & { checkpoints?: string }) =>
      withStore(o, async (store) => {
        const notary = notaryFor(o.db, o.checkpoints);
        const line = await writeCheckpoint(store, notary);
        return o.json
          ? line
          : `checkpoint written: seq ${line.seq}, hash ${line.hash} → ${notary.checkpointFile}`;
      }),
    );

  audit
    .command('export')
    .description('export entries with their hashes, the covering checkpoints and the public key for auditors')
    .requiredOption('--out <file>', 'file to write (beside it: .checkpoints.jsonl, .pub.pem, .manifest.json)')
    .option('--from <date>', 'entries from this time', dateArg)
    .option('--to <date>', 'entries up to this time', dateArg)
    .addOption(new Option('--format <format>', 'file format').choices(['jsonl', 'csv']).default('jsonl'))
    .addOption(checkpointsOption())
    .addOption(dbOption())
    .option('--json', 'print the result as JSON')
    .action(
      async (
        o: CommonOptions & {
          out: string;
          from?: Date;
          to?: Date;
          format: AuditExportFormat;
          checkpoints?: string;
        },
      ) =>
        withStore(o, async (store) => {
          const notary = notaryFor(o.db, o.checkpoints);
          const result = await exportAudit(store, {
            out: o.out,
            format: o.format,
            ...(o.from ? { from: o.from } : {}),
            ...(o.to ? { to: o.to } : {}),
            checkpointFile: notary.checkpointFile,
            publicKeyPem: notary.key.pem,
          });
          await audited(store, 'audit.export', 'audit_log', {
            file: basename(o.out),
            format: o.format,
            entries: result.entries,
            firstSeq: result.firstSeq ?? null,
            lastSeq: result.lastSeq ?? null,
          });
          return o.json
            ? result
            : `exported ${result.entries} entries${result.entries > 0 ? ` (seq ${result.firstSeq}…${result.lastSeq})` : ''} and ${result.checkpoints} checkpoints: ${result.files.join(', ')}`;
        }),
    );

  audit
    .command('prune')
    .description(
      `delete entries older than N days (at least ${MIN_AUDIT_RETENTION_DAYS}), leaving a signed anchor`,
    )
    .option('--older-than-days <n>', 'retention in days', daysArg, MIN_AUDIT_RETENTION_DAYS)
    .addOption(checkpointsOption())
    .addOption(dbOption())
    .option('--json', 'print the result as JSON')
    .action(async (o: CommonOptions & { olderThanDays: number; checkpoints?: string }) =>
      withStore(o, async (store) => {
        let result: PruneResult;
        try {
          result = await pruneAudit(store, {
            olderThanDays: o.olderThanDays,
            notary: notaryFor(o.db, o.checkpoints),
          });
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          await audited(
            store,
            'audit.prune',
            'audit_log',
            { olderThanDays: o.olderThanDays, code },
            'rejected',
          );
          throw err;
        }
        await audited(store, 'audit.prune', 'audit_log', {
          olderThanDays: o.olderThanDays,
          pruned: result.pruned,
          anchorSeq: result.anchor?.seq ?? null,
        });
        return o.json
          ? result
          : result.anchor
            ? `pruned ${result.pruned} entries; verification now starts from the anchor at seq ${result.anchor.seq}`
            : `nothing older than ${o.olderThanDays} days`;
      }),
    );

  audit
    .command('pubkey')
    .description(
      'print the public key that verifies the checkpoints (created with the signing key if missing)',
    )
    .option('--out <file>', 'also write it to this file')
    .addOption(dbOption())
    .option('--json', 'print {"keyId","pem"}')
    .action((o: CommonOptions & { out?: string }) => {
      const paths = auditPathsFor();
      warn(checkAuditPaths(o.db, paths));
      const key = loadAuditSigningKey(paths.keyFile);
      if (o.out) writeFileSync(o.out, key.pem);
      process.stdout.write(o.json ? `${JSON.stringify({ keyId: key.keyId, pem: key.pem })}\n` : key.pem);
    });
}

function notaryFor(db: string, checkpointFile: string | undefined) {
  const notary = auditNotaryFor(db);
  warn(notary.warnings ?? []);
  return checkpointFile ? { ...notary, checkpointFile } : notary;
}

function warn(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`waygate: warning: ${w}\n`);
}

async function audited(
  store: Store,
  action: string,
  target: string,
  detail: Record<string, unknown>,
  outcome: AuditOutcome = 'ok',
) {
  await recordAudit(store.db, { actor: cliActor(), action, target, detail, outcome, interface: 'cli' });
}
