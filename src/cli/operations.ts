/**
 * Operations from the command line (issue 15):
 *   waygate report daily|weekly [--date D] [--lang zh-CN|en] [--out DIR]
 *   waygate incidents list|open|show|note|close|report|kb-add|kb-search
 *   waygate alerts list|ack|check FILE
 *   waygate stats rebuild
 * Every command works on the store directly (as `waygate dlq` does), so it runs beside a hub.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { Incidents } from '../monitor/incidents.js';
import {
  deadlinesOf,
  loadOperations,
  OperationsConfigError,
  SEVERITIES,
  type Severity,
} from '../monitor/ops-config.js';
import { localDate, type Period } from '../monitor/reports/build.js';
import { REPORT_LANGS, type ReportLang } from '../monitor/reports/render.js';
import { writeReport } from '../monitor/reports/schedule.js';
import { isTimeZone } from '../pipeline/policy/call-window.js';
import { listAlerts } from '../store/operations.js';
import { rebuildStatsRollups } from '../store/stats-rollups.js';
import { acknowledgeAlert } from '../monitor/alerts.js';
import { cliActor, dbOption, withStore, type CommonOptions } from './dlq.js';

const severity = (v: string): Severity => {
  if (!(SEVERITIES as readonly string[]).includes(v))
    throw new InvalidArgumentError(`the severity is one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
};
const day = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
    throw new InvalidArgumentError('the date is a day YYYY-MM-DD');
  return v;
};
const lang = (v: string): ReportLang => {
  if (!(REPORT_LANGS as readonly string[]).includes(v))
    throw new InvalidArgumentError(`the language is one of ${REPORT_LANGS.join(', ')}`);
  return v as ReportLang;
};
const zone = (v: string) => {
  if (!isTimeZone(v)) throw new InvalidArgumentError('not an IANA time zone (e.g. Asia/Shanghai)');
  return v;
};

/** Partner tiers from a partner config file, for SLA targets (only `partners.<id>.tier` is read). */
function tiersFrom(file: string | undefined): Record<string, string> {
  if (!file) return {};
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`--config ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const partners =
    (doc as { partners?: Record<string, { tier?: unknown; kind?: unknown }> } | null)?.partners ?? {};
  return Object.fromEntries(
    Object.entries(partners)
      .filter(([, p]) => typeof p?.tier === 'string' || p?.kind === 'carrier')
      // A carrier without a tier gets B, as the partner policy gives it.
      .map(([id, p]) => [id, typeof p.tier === 'string' ? p.tier : 'B']),
  );
}

const incidentsOf = (store: Parameters<Parameters<typeof withStore>[1]>[0], opsFile?: string) =>
  new Incidents(store, () => deadlinesOf(opsFile ? loadOperations(opsFile) : undefined));

const hms = (ms: number) => {
  const sign = ms < 0 ? '-' : '';
  const m = Math.floor(Math.abs(ms) / 60_000);
  return `${sign}${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
};

export function registerOperationsCommands(program: Command): void {
  program
    .command('stats')
    .description('the console statistics’ hourly rollups (SQLite)')
    .command('rebuild')
    .description('recompute the hourly rollups from the orders and shipments (after a restore or an import)')
    .addOption(dbOption())
    .option('--json', 'print the outcome as JSON')
    .action(async (o: CommonOptions) => {
      await withStore(o, async (store) => {
        const r = await rebuildStatsRollups(store);
        if (o.json) return r;
        return r.rebuilt
          ? 'statistics rollups rebuilt from the orders and shipments'
          : 'PostgreSQL answers the statistics from the rows: there are no rollups to rebuild';
      });
    });

  program
    .command('report')
    .description(
      'write the daily or weekly run report as HTML (with charts) and CSV, in Chinese and/or English',
    )
    .argument('<period>', 'daily or weekly', (v: string) => {
      if (v !== 'daily' && v !== 'weekly') throw new InvalidArgumentError('the period is daily or weekly');
      return v as Period;
    })
    .option(
      '--date <YYYY-MM-DD>',
      'a day of the period (default: yesterday; weekly: its Monday–Sunday week)',
      day,
    )
    .option('--lang <lang>', 'zh-CN or en (default: both)', lang)
    .option('--out <dir>', 'folder to write to', 'reports')
    .option('--timezone <tz>', 'the day boundaries’ time zone', zone, 'UTC')
    .option('--config <file>', 'partner config, for each partner’s tier and SLA target')
    .addOption(dbOption())
    .option('--json', 'print the files written as JSON')
    .action(
      async (
        period: Period,
        o: CommonOptions & {
          date?: string;
          lang?: ReportLang;
          out: string;
          timezone: string;
          config?: string;
        },
      ) => {
        const tiers = tiersFrom(o.config);
        await withStore(o, async (store) => {
          const written = await writeReport(store, {
            period,
            date: o.date ?? localDate(Date.now() - 86_400_000, o.timezone),
            langs: o.lang ? [o.lang] : REPORT_LANGS,
            out: o.out,
            timezone: o.timezone,
            tiers,
          });
          return o.json
            ? written
            : written.map((w) => `${w.lang}: ${w.html}\n${w.lang}: ${w.csv}`).join('\n');
        });
      },
    );

  const inc = program
    .command('incidents')
    .description('incidents: open, annotate, close, report; the fault knowledge base');
  const withOps = (cmd: Command) =>
    cmd
      .addOption(dbOption())
      .option('--operations <file>', 'operations file (incident deadlines)')
      .option('--json', 'print JSON');

  withOps(inc.command('list').description('incidents, newest first, with deadline and time left'))
    .option('--status <status>', 'open or closed')
    .action(async (o: CommonOptions & { status?: 'open' | 'closed'; operations?: string }) =>
      withStore(o, async (store) => {
        const list = await incidentsOf(store, o.operations).list({
          ...(o.status ? { status: o.status } : {}),
        });
        if (o.json) return list;
        if (list.length === 0) return 'no incidents';
        return list
          .map(
            (i) =>
              `${i.id}  ${i.severity.padEnd(7)} ${i.status.padEnd(6)} left ${hms(i.timeLeftMs).padStart(8)}${i.overdue ? ' OVERDUE' : ''}  ${i.title}`,
          )
          .join('\n');
      }),
    );

  withOps(
    inc.command('open').description('open an incident by hand; prints the knowledge base’s best matches'),
  )
    .requiredOption('--title <text>', 'short title')
    .requiredOption('--symptom <text>', 'what is observed')
    .requiredOption('--severity <s>', 'minor (1 h), general (2 h) or major (4 h)', severity)
    .option('--partner <id>', 'the partner concerned')
    .option('--interface <kind>', 'the interface concerned, e.g. shipment.create')
    .action(
      async (
        o: CommonOptions & {
          title: string;
          symptom: string;
          severity: Severity;
          partner?: string;
          interface?: string;
          operations?: string;
        },
      ) =>
        withStore(o, async (store) => {
          const i = await incidentsOf(store, o.operations).open({
            title: o.title,
            symptom: o.symptom,
            severity: o.severity,
            ...(o.partner ? { partner: o.partner } : {}),
            ...(o.interface ? { iface: o.interface } : {}),
            actor: cliActor(),
          });
          if (o.json) return i;
          return [
            `opened ${i.id} (${i.severity}), deadline ${i.deadlineAt} (${hms(i.timeLeftMs)} left)`,
            ...(i.suggestions.length ? ['knowledge base matches:'] : ['no knowledge-base match']),
            ...i.suggestions.map((s) => `  ${s.score.toFixed(3)}  ${s.id}  ${s.symptom} — fix: ${s.fix}`),
          ].join('\n');
        }),
    );

  withOps(inc.command('show').description('an incident and its timeline').argument('<id>')).action(
    async (id: string, o: CommonOptions & { operations?: string }) =>
      withStore(o, async (store) => {
        const { incident: i, timeline } = await incidentsOf(store, o.operations).get(id);
        if (o.json) return { incident: i, timeline };
        return [
          `${i.id}  ${i.title}`,
          `severity ${i.severity}, ${i.status}; deadline ${i.deadlineAt} (${hms(i.timeLeftMs)} ${i.overdue ? 'overdue' : 'left'})`,
          `symptom: ${i.symptom}`,
          ...(i.cause ? [`cause: ${i.cause}`, `fix: ${i.fix ?? ''}`] : []),
          'timeline:',
          ...timeline.map((e) => `  ${e.at} ${e.actor} [${e.kind}] ${e.text}`),
        ].join('\n');
      }),
  );

  withOps(inc.command('note').description('add an action or note to the timeline').argument('<id>'))
    .requiredOption('--text <text>', 'what was done or found')
    .action(async (id: string, o: CommonOptions & { text: string; operations?: string }) =>
      withStore(o, async (store) => {
        const e = await incidentsOf(store, o.operations).note(id, cliActor(), o.text);
        return o.json ? e : `noted at ${e.at}`;
      }),
    );

  withOps(inc.command('close').description('close an incident: cause and fix are required').argument('<id>'))
    .requiredOption('--cause <text>', 'why it happened')
    .requiredOption('--fix <text>', 'what fixed it')
    .option('--prevention <text>', 'what stops it happening again')
    .option('--no-knowledge', 'do not add it to the fault knowledge base')
    .action(
      async (
        id: string,
        o: CommonOptions & {
          cause: string;
          fix: string;
          prevention?: string;
          knowledge: boolean;
          operations?: string;
        },
      ) =>
        withStore(o, async (store) => {
          const i = await incidentsOf(store, o.operations).close(id, cliActor(), {
            cause: o.cause,
            fix: o.fix,
            ...(o.prevention ? { prevention: o.prevention } : {}),
            toKnowledge: o.knowledge,
          });
          return o.json ? i : `closed ${i.id} ${i.overdue ? 'after' : 'within'} its deadline`;
        }),
    );

  withOps(inc.command('report').description('the post-incident report (Markdown)').argument('<id>')).action(
    async (id: string, o: CommonOptions & { operations?: string }) =>
      withStore(o, async (store) => incidentsOf(store, o.operations).report(id)),
  );

  withOps(inc.command('kb-add').description('add an entry to the fault knowledge base'))
    .requiredOption('--symptom <text>', 'what is observed')
    .requiredOption('--cause <text>', 'why')
    .requiredOption('--fix <text>', 'what fixes it')
    .option('--prevention <text>', 'what prevents it')
    .option('--tags <list>', 'comma-separated tags (partner, interface, code)')
    .action(
      async (
        o: CommonOptions & {
          symptom: string;
          cause: string;
          fix: string;
          prevention?: string;
          tags?: string;
          operations?: string;
        },
      ) =>
        withStore(o, async (store) => {
          const row = await incidentsOf(store, o.operations).addKnowledge(cliActor(), {
            symptom: o.symptom,
            cause: o.cause,
            fix: o.fix,
            ...(o.prevention ? { prevention: o.prevention } : {}),
            ...(o.tags
              ? {
                  tags: o.tags
                    .split(',')
                    .map((t) => t.trim())
                    .filter(Boolean),
                }
              : {}),
          });
          return o.json ? { id: row.id } : `added ${row.id}`;
        }),
    );

  withOps(inc.command('kb-search').description('search the fault knowledge base').argument('<query>')).action(
    async (query: string, o: CommonOptions & { operations?: string }) =>
      withStore(o, async (store) => {
        const hits = await incidentsOf(store, o.operations).searchKnowledge(query);
        if (o.json) return hits;
        return hits.length === 0
          ? 'no match'
          : hits.map((s) => `${s.score.toFixed(3)}  ${s.id}  ${s.symptom} — fix: ${s.fix}`).join('\n');
      }),
  );

  const alerts = program.command('alerts').description('alerts and the operations file');
  alerts
    .command('list')
    .description('alerts, newest first')
    .option('--status <status>', 'firing or resolved')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { status?: string }) =>
      withStore(o, async (store) => {
        const rows = await listAlerts(store.db, { ...(o.status ? { status: o.status } : {}), limit: 200 });
        if (o.json) return rows;
        if (rows.length === 0) return 'no alerts';
        return rows
          .map(
            (a) =>
              `${a.id}  ${a.status.padEnd(8)} ${a.severity.padEnd(7)} ${new Date(a.fired_at).toISOString()}  ${a.rule}  ${a.summary}${a.acked_by ? `  (ack ${a.acked_by})` : ''}`,
          )
          .join('\n');
      }),
    );
  alerts
    .command('ack')
    .description('acknowledge a firing alert (stops its escalation)')
    .argument('<id>')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (id: string, o: CommonOptions) =>
      withStore(o, async (store) => {
        const a = await acknowledgeAlert(store, id, cliActor());
        return o.json
          ? { id, acknowledgedAt: new Date(a.acked_at ?? Date.now()).toISOString(), by: a.acked_by }
          : `acknowledged ${id}${a.incident_id ? ` (noted on incident ${a.incident_id})` : ''}`;
      }),
    );
  alerts
    .command('check')
    .description(
      'validate an operations file offline; exit 0 when valid, 1 with file, line and field when not',
    )
    .argument('<file>')
    .action((file: string) => {
      try {
        const ops = loadOperations(file);
        process.stdout.write(
          `${file}: valid (${ops.rules?.length ?? 0} rules, ${Object.keys(ops.recipients ?? {}).length} recipients)\n`,
        );
      } catch (err) {
        if (!(err instanceof OperationsConfigError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 1;
      }
    });
}
