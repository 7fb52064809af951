/**
 * Reports on schedule and on demand: `writeReport` writes a period's HTML and CSV in each
 * language asked; the scheduler writes yesterday's daily report once the configured time has
 * passed (and on Mondays the past week's weekly report) into the configured folder, once per
 * period and language for the whole cluster: the node holding the `reports` store lease writes
 * it and records it (`op_report_runs`); a node that takes the lease later finds it recorded.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../../store/db.js';
import type { OperationsFile } from '../ops-config.js';
import { acquireLease, recordReportRun, releaseLease, reportRunsOf } from '../../store/operations.js';
import { buildReport, localDate, type Period } from './build.js';
import { renderCsv, renderHtml, type ReportLang } from './render.js';

export interface WrittenReport {
  period: Period;
  date: string;
  lang: ReportLang;
  html: string;
  csv: string;
}

export function reportFileBase(period: Period, date: string, lang: ReportLang): string {
  return `waygate-${period}-${date}.${lang}`;
}

export async function writeReport(
  store: Store,
  o: {
    period: Period;
    date: string;
    langs: readonly ReportLang[];
    out: string;
    timezone?: string;
    tiers?: Record<string, string>;
  },
): Promise<WrittenReport[]> {
  const data = await buildReport(store, {
    period: o.period,
    date: o.date,
    ...(o.timezone ? { timezone: o.timezone } : {}),
    ...(o.tiers ? { tiers: o.tiers } : {}),
  });
  mkdirSync(o.out, { recursive: true });
  return o.langs.map((lang) => {
    const base = join(o.out, reportFileBase(o.period, data.date, lang));
    writeFileSync(`${base}.html`, renderHtml(data, lang));
    writeFileSync(`${base}.csv`, renderCsv(data, lang));
    return { period: o.period, date: data.date, lang, html: `${base}.html`, csv: `${base}.csv` };
  });
}

/** The store lease a node holds while it writes scheduled reports. */
export const REPORTS_LEASE = 'reports';
/** Long enough for a weekly report of a big store; a node that dies holding it frees it then. */
const REPORTS_LEASE_TTL_MS = 10 * 60_000;

export class ReportScheduler {
  readonly #store: Store;
  readonly #ops: () => OperationsFile | undefined;
  readonly #log: Logger | undefined;
  readonly #node: string;
  #tiers: () => Record<string, string> = () => ({});

  constructor(store: Store, ops: () => OperationsFile | undefined, log?: Logger, node = 'node') {
    this.#store = store;
    this.#ops = ops;
    this.#log = log;
    this.#node = node;
  }

  setTiers(tiers: () => Record<string, string>): void {
    this.#tiers = tiers;
  }

  /** Each partner's tier, for SLA targets. */
  tiers(): Record<string, string> {
    return this.#tiers();
  }

  /** Called every minute: writes the reports that are due and not written yet. */
  async tick(nowMs = Date.now()): Promise<WrittenReport[]> {
    const r = this.#ops()?.reports;
    if (!r?.out || !r.at) return [];
    const tz = r.timezone ?? 'UTC';
    const today = localDate(nowMs, tz);
    const clock = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(nowMs));
    if (clock < r.at) return [];
    const langs = r.langs ?? ['zh-CN', 'en'];
    const yesterday = localDate(Date.parse(`${today}T12:00:00Z`) - 86_400_000, 'UTC');
    const due: Array<{ period: Period; date: string }> = [{ period: 'daily', date: yesterday }];
    if (new Date(`${today}T00:00:00Z`).getUTCDay() === 1)
      due.push({
        period: 'weekly',
        date: localDate(Date.parse(`${today}T12:00:00Z`) - 7 * 86_400_000, 'UTC'),
      });
    // One node writes at a time; what it wrote is recorded, so no node writes it again.
    const node = this.#node;
    if (
      !(await this.#store.write((trx) => acquireLease(trx, REPORTS_LEASE, node, nowMs, REPORTS_LEASE_TTL_MS)))
    )
      return [];
    const written: WrittenReport[] = [];
    try {
      for (const d of due) {
        const done = new Set((await reportRunsOf(this.#store.db, d.period, d.date)).map((x) => x.lang));
        const missing = langs.filter((lang) => !done.has(lang));
        if (missing.length === 0) continue;
        const out = await writeReport(this.#store, {
          ...d,
          langs: missing,
          out: r.out,
          timezone: tz,
          tiers: this.#tiers(),
        });
        await this.#store.write(async (trx) => {
          for (const w of out)
            await recordReportRun(trx, {
              period: w.period,
              date: w.date,
              lang: w.lang,
              node,
              html: w.html,
              csv: w.csv,
              written_at: nowMs,
            });
        });
        this.#log?.info(
          { period: d.period, date: d.date, node, files: out.map((w) => w.html) },
          'run report written',
        );
        written.push(...out);
      }
    } finally {
      await this.#store.write((trx) => releaseLease(trx, REPORTS_LEASE, node));
    }
    return written;
  }
}
