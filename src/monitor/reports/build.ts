/**
 * The daily and weekly run reports [000-13] [003-8]: per interface and partner the volume,
 * success rate, latency percentiles, error-code distribution and dead letters, each partner's
 * SLA attainment against its tier's target, the incidents and alerts of the period. Read from the
 * call statistics every node writes, so one report covers the whole cluster.
 */
import type { Store } from '../../store/db.js';
import { callMinutes, deadLettersBetween, listAlerts, listIncidents } from '../../store/operations.js';
import { WaygateError } from '../../domain/index.js';
import { addRow, emptySummary, percentileMs, successRate, type WindowSummary } from '../call-stats.js';

export type Period = 'daily' | 'weekly';

/** SLA targets per tier [004-1]; C has none in the requirements, 99 % is the hub's default. */
export const SLA_TARGETS: Record<string, number> = { A: 0.999, B: 0.995, C: 0.99 };

export interface ReportRow {
  iface: string;
  partner: string;
  tier: string | null;
  calls: number;
  ok: number;
  failed: number;
  deferred: number;
  successRate: number;
  slaTarget: number | null;
  slaMet: boolean | null;
  p50: number;
  p95: number;
  p99: number;
  codes: Record<string, number>;
  deadLetters: number;
  incidents: number;
}

export interface ReportData {
  period: Period;
  /** First day of the period, YYYY-MM-DD in the report's time zone. */
  date: string;
  label: string;
  timezone: string;
  fromMs: number;
  toMs: number;
  generatedAt: number;
  total: ReportRow;
  rows: ReportRow[];
  /** Volume per slot (hours of a day, days of a week): label and calls, succeeded. */
  series: Array<{ label: string; calls: number; ok: number }>;
  codes: Array<{ code: string; count: number; share: number }>;
  incidents: Array<{
    id: string;
    severity: string;
    title: string;
    openedAt: number;
    deadlineAt: number;
    closedAt: number | null;
    status: string;
    partner: string | null;
  }>;
  alerts: Array<{
    id: string;
    rule: string;
    subject: string;
    severity: string;
    firedAt: number;
    resolvedAt: number | null;
    status: string;
  }>;
  deadLetters: Array<{ kind: string; partner: string | null; n: number }>;
  partnersMeetingSla: { met: number; of: number };
}

/** The UTC offset (ms) of a time zone at an instant. */
function offsetMs(atMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(atMs));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return (
    Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) -
    (atMs - (atMs % 1000))
  );
}

/** The instant a local day starts in a time zone. */
export function startOfDay(date: string, timeZone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const guess = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || !Number.isFinite(guess) || new Date(guess).toISOString().slice(0, 10) !== date)
    throw new WaygateError('report_period_invalid', `${date} is not a valid YYYY-MM-DD day`, { date });
  const first = guess - offsetMs(guess, timeZone);
  return guess - offsetMs(first, timeZone);
}

/** The local date of an instant, YYYY-MM-DD. */
export function localDate(atMs: number, timeZone: string): string {
  return new Date(atMs + offsetMs(atMs, timeZone)).toISOString().slice(0, 10);
}

const addDays = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** A weekly report's period starts on the Monday of the date's week. */
export function mondayOf(date: string): string {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((dow + 6) % 7));
}

function row(iface: string, partner: string, tier: string | null, s: WindowSummary): ReportRow {
  const target = tier ? (SLA_TARGETS[tier] ?? null) : null;
  const rate = successRate(s);
  return {
    iface,
    partner,
    tier,
    calls: s.calls,
    ok: s.ok,
    failed: s.calls - s.ok,
    deferred: s.deferred,
    successRate: rate,
    slaTarget: target,
    slaMet: target === null || s.calls === 0 ? null : rate >= target,
    p50: Math.round(percentileMs(s, 50)),
    p95: Math.round(percentileMs(s, 95)),
    p99: Math.round(percentileMs(s, 99)),
    codes: s.codes,
    deadLetters: 0,
    incidents: 0,
  };
}

export async function buildReport(
  store: Store,
  o: { period: Period; date: string; timezone?: string; tiers?: Record<string, string>; nowMs?: number },
): Promise<ReportData> {
  const tz = o.timezone ?? 'UTC';
  const first = o.period === 'weekly' ? mondayOf(o.date) : o.date;
  const days = o.period === 'weekly' ? 7 : 1;
  const fromMs = startOfDay(first, tz);
  const toMs = startOfDay(addDays(first, days), tz);
  const tiers = o.tiers ?? {};
  const [minutes, dead, incidents, alerts] = await Promise.all([
    callMinutes(store.db, { fromMs, toMs }),
    deadLettersBetween(store.db, fromMs, toMs),
    listIncidents(store.db, { fromMs, toMs, limit: 10_000 }),
    listAlerts(store.db, { fromMs, toMs, limit: 10_000 }),
  ]);
  const groups = new Map<string, WindowSummary>();
  const perPartner = new Map<string, WindowSummary>();
  const total = emptySummary();
  const slotMs = o.period === 'weekly' ? 86_400_000 : 3_600_000;
  const slots = Array.from({ length: o.period === 'weekly' ? 7 : 24 }, (_, i) => ({
    label: o.period === 'weekly' ? addDays(first, i).slice(5) : `${String(i).padStart(2, '0')}:00`,
    calls: 0,
    ok: 0,
  }));
  for (const m of minutes) {
    const key = `${m.interface}|${m.partner}`;
    groups.set(key, addRow(groups.get(key) ?? emptySummary(), m));
    perPartner.set(m.partner, addRow(perPartner.get(m.partner) ?? emptySummary(), m));
    addRow(total, m);
    const slot = slots[Math.min(slots.length - 1, Math.floor((m.minute - fromMs) / slotMs))];
    if (slot) {
      slot.calls += m.calls;
      slot.ok += m.ok;
    }
  }
  const rows = [...groups.entries()]
    .map(([key, s]) => {
      const [iface, partner] = key.split('|') as [string, string];
      const r = row(iface, partner, tiers[partner] ?? null, s);
      r.deadLetters = dead
        .filter((d) => d.kind === iface && (d.partner ?? 'none') === partner)
        .reduce((a, d) => a + d.n, 0);
      r.incidents = incidents.filter(
        (i) => i.partner === partner && (i.interface === null || i.interface === iface),
      ).length;
      return r;
    })
    .sort((a, b) => a.iface.localeCompare(b.iface) || a.partner.localeCompare(b.partner));
  const totalRow = row('*', '*', null, total);
  totalRow.deadLetters = dead.reduce((a, d) => a + d.n, 0);
  totalRow.incidents = incidents.length;
  const codes = Object.entries(total.codes)
    .map(([code, count]) => ({ code, count, share: total.calls === 0 ? 0 : count / total.calls }))
    .sort((a, b) => b.count - a.count);
  const slaPartners = [...perPartner.entries()].filter(([p, s]) => tiers[p] && s.calls > 0);
  const met = slaPartners.filter(([p, s]) => successRate(s) >= (SLA_TARGETS[tiers[p]!] ?? 0.99)).length;
  return {
    period: o.period,
    date: first,
    label: o.period === 'weekly' ? `${first} – ${addDays(first, 6)}` : first,
    timezone: tz,
    fromMs,
    toMs,
    generatedAt: o.nowMs ?? Date.now(),
    total: totalRow,
    rows,
    series: slots,
    codes,
    incidents: incidents.map((i) => ({
      id: i.id,
      severity: i.severity,
      title: i.title,
      openedAt: i.opened_at,
      deadlineAt: i.deadline_at,
      closedAt: i.closed_at,
      status: i.status,
      partner: i.partner,
    })),
    alerts: alerts.map((a) => ({
      id: a.id,
      rule: a.rule,
      subject: a.subject,
      severity: a.severity,
      firedAt: a.fired_at,
      resolvedAt: a.resolved_at,
      status: a.status,
    })),
    deadLetters: dead,
    partnersMeetingSla: { met, of: slaPartners.length },
  };
}
