/**
 * `waygate snapshot run|list` and `waygate snapshot reconciliations|reconciliation <id>`: the
 * Parquet snapshot of A-tier partners' data [004-3.2] taken now (the hub also takes it daily at
 * `snapshot.at` in `snapshot.timeZone`), the snapshots taken, and the reconciliation reports
 * written after a warehouse outage (docs/inventory.md).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { loadHubConfig } from '../hub/config.js';
import { snapshotScopeOf } from '../hub/partners.js';
import { isTimeZone } from '../pipeline/policy/call-window.js';
import { takeSnapshot, usableDir } from '../pipeline/snapshot/take.js';
import {
  listReconciliationReports,
  loadReconciliation,
  reconciliationCsv,
  type ReconciliationReport,
} from '../pipeline/snapshot/reconcile.js';
import { listSnapshots, partnersInStore } from '../store/snapshots.js';
import { dbOption, formatTable, withStore, type CommonOptions } from './dlq.js';

const DEFAULT_OUT = './data/snapshots';

type RunOptions = CommonOptions & { out?: string; config?: string; timeZone?: string };

function limitArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('limit must be 1 to 1000');
  return n;
}

function reportText(r: ReconciliationReport): string {
  const head = [
    `reconciliation ${r.id}: warehouse ${r.warehouse}, snapshot ${r.snapshot?.id ?? '-'}`,
    `unreachable since ${r.unreachableSince}, served from the snapshot from ${r.fallbackFrom}, back at ${r.recoveredAt}`,
    `${r.differences} difference(s), oversold: ${r.oversoldSkus.join(' ') || 'none'}`,
    ...(r.files ? [`files: ${r.files.json} ${r.files.csv}`] : []),
  ];
  if (r.lines.length === 0) return head.join('\n');
  return `${head.join('\n')}\n\n${formatTable(
    ['SKU', 'KIND', 'SNAPSHOT', 'WAREHOUSE', 'DIFF', 'SOLD', 'RESERVED', 'OVERSOLD'],
    r.lines.map((l) => [
      l.sku,
      l.kind,
      String(l.snapshotOnHand),
      String(l.warehouseOnHand),
      String(l.onHandDifference),
      String(l.soldOnSnapshot),
      String(l.reserved),
      String(l.oversold),
    ]),
  )}`;
}

export function registerSnapshotCommands(program: Command): void {
  const snapshot = program
    .command('snapshot')
    .description(
      "Parquet snapshots of A-tier partners' products, orders and inventory; outage reconciliations",
    );

  snapshot
    .command('run')
    .description(
      'write a snapshot now: one Parquet file per entity and day plus a manifest; print the files and row counts',
    )
    .option('--out <dir>', `folder for the files (default: the config's snapshot.dir, else ${DEFAULT_OUT})`)
    .option(
      '--config <file>',
      'hub config: its A-tier partners are covered (without it: every partner in the store)',
    )
    .option(
      '--time-zone <tz>',
      "IANA time zone of the day in the file names (default: the config's, else UTC)",
    )
    .addOption(dbOption())
    .option('--json', 'print the result as one JSON object')
    .action(async (o: RunOptions) => {
      // Checked before the store opens: a bad folder or zone costs nothing.
      const config = o.config ? loadHubConfig(o.config) : undefined;
      const timeZone = o.timeZone ?? config?.snapshot?.timeZone ?? 'UTC';
      if (!isTimeZone(timeZone))
        throw new InvalidArgumentError(
          `--time-zone ${timeZone} is not an IANA time zone (e.g. Asia/Shanghai)`,
        );
      const out = o.out ?? config?.snapshot?.dir ?? DEFAULT_OUT;
      await withStore(o, async (store) => {
        usableDir(out);
        const scope = config ? snapshotScopeOf(config) : await partnersInStore(store.db);
        const result = await takeSnapshot(store, { dir: out, timeZone, scope, trigger: 'cli' });
        if (o.json) return result;
        return [
          `snapshot ${result.id} of ${result.day} (${timeZone}) in ${result.dir}`,
          `partners: ${config ? 'A-tier of the config' : 'every partner in the store'} — platforms ${scope.platforms.join(' ') || '-'}; carriers ${scope.carriers.join(' ') || '-'}; warehouses ${scope.warehouses.join(' ') || '-'}`,
          formatTable(
            ['FILE', 'ROWS', 'BYTES', 'SHA-256'],
            result.files.map((f) => [f.file, String(f.rows), String(f.bytes), f.sha256.slice(0, 16)]),
          ),
          `manifest: ${result.manifest}`,
        ].join('\n');
      });
    });

  snapshot
    .command('list')
    .description('the snapshots taken, newest first')
    .option('--limit <n>', 'at most this many (1–1000)', limitArg, 20)
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { limit: number }) =>
      withStore(o, async (store) => {
        const rows = await listSnapshots(store.db, o.limit);
        const view = rows.map((r) => ({
          id: r.id,
          takenAt: new Date(r.taken_at).toISOString(),
          day: r.day,
          trigger: r.trigger,
          dir: r.dir,
        }));
        if (o.json) return view;
        return formatTable(
          ['ID', 'TAKEN AT', 'DAY', 'TRIGGER', 'FOLDER'],
          view.map((v) => [v.id, v.takenAt, v.day, v.trigger, v.dir]),
        );
      }),
    );

  snapshot
    .command('reconciliations')
    .description('reconciliation reports written when a warehouse came back after an outage, newest first')
    .option('--warehouse <id>', 'only this warehouse')
    .option('--limit <n>', 'at most this many (1–1000)', limitArg, 20)
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { warehouse?: string; limit: number }) =>
      withStore(o, async (store) => {
        const reports = await listReconciliationReports(store.db, {
          limit: o.limit,
          ...(o.warehouse ? { warehouseId: o.warehouse } : {}),
        });
        if (o.json) return reports;
        return formatTable(
          ['ID', 'WAREHOUSE', 'BACK AT', 'DIFFERENCES', 'OVERSOLD'],
          reports.map((r) => [
            r.id,
            r.warehouse,
            r.recoveredAt,
            String(r.differences),
            r.oversoldSkus.join(' ') || '-',
          ]),
        );
      }),
    );

  snapshot
    .command('reconciliation')
    .description(
      'one reconciliation report: every difference between what was sold on the snapshot and the warehouse',
    )
    .argument('<id>', 'report id (rec_…)')
    .option('--csv', 'print it as CSV')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (id: string, o: CommonOptions & { csv?: boolean }) =>
      withStore(o, async (store) => {
        const r = await loadReconciliation(store.db, id);
        if (o.json) return r;
        return o.csv ? reconciliationCsv(r).trimEnd() : reportText(r);
      }),
    );
}
