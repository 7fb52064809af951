/**
 * What the hub runs for the audit log while it is up: a signed checkpoint every minute (and one
 * at shutdown) and the retention prune once shortly after start, then daily [000-15].
 */
import type { Logger } from 'pino';
import type { Store } from '../store/db.js';
import { startAuditCheckpoints, type AuditNotary, type CheckpointLine } from './audit-checkpoint.js';
import { MIN_AUDIT_RETENTION_DAYS, pruneAudit, type PruneResult } from './audit-retention.js';

export interface AuditMaintenance {
  checkpoint(): Promise<CheckpointLine>;
  prune(): Promise<PruneResult>;
  /** Stops the timers, waits for a running prune, writes the last checkpoint (never throws). */
  stop(): Promise<void>;
}

export interface AuditMaintenanceOptions {
  logger: Logger;
  checkpointEveryMs?: number;
  pruneEveryMs?: number;
  /** First prune this long after start (default 5 min), so start-up stays quick. */
  firstPruneAfterMs?: number;
  retentionDays?: number;
}

export function startAuditMaintenance(
  store: Store,
  notary: AuditNotary,
  opts: AuditMaintenanceOptions,
): AuditMaintenance {
  const log = opts.logger;
  for (const warning of notary.warnings ?? []) log.warn({ checkpointFile: notary.checkpointFile }, warning);
  const checkpoints = startAuditCheckpoints(store, notary, {
    intervalMs: opts.checkpointEveryMs ?? 60_000,
    logger: log,
  });
  let running: Promise<PruneResult> | undefined;
  const prune = () => {
    running ??= pruneAudit(store, {
      olderThanDays: opts.retentionDays ?? MIN_AUDIT_RETENTION_DAYS,
      notary,
    }).finally(() => {
      running = undefined;
    });
    return running;
  };
  const scheduledPrune = () => {
    prune().then(
      (r) => {
        if (r.pruned > 0) log.info({ pruned: r.pruned, anchorSeq: r.anchor?.seq }, 'audit entries pruned');
      },
      (err: Error & { code?: string }) =>
        log.error({ err: err.message, code: err.code }, 'audit retention prune failed'),
    );
  };
  const first = setTimeout(scheduledPrune, opts.firstPruneAfterMs ?? 300_000);
  const daily = setInterval(scheduledPrune, opts.pruneEveryMs ?? 86_400_000);
  first.unref();
  daily.unref();
  return {
    checkpoint: () => checkpoints.checkpoint(),
    prune,
    async stop() {
      clearTimeout(first);
      clearInterval(daily);
      await running?.catch(() => undefined);
      // Shutdown goes on: a missing last checkpoint only means the next one covers more.
      await checkpoints
        .stop()
        .catch((err: Error) => log.error({ err: err.message }, 'last audit checkpoint failed'));
    },
  };
}
