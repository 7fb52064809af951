/**
 * Alert rules evaluated on a timer [000-13] [004-1]: the configured rules of the operations file
 * plus, per carrier, its tier's defaults (success rate below the tier's SLA and p99 latency above
 * its bound, over the tier's alert time — A 5 min, B 30 min — and a failed-over channel).
 *
 * An alert is one row per rule and subject while it fires (de-duplicated); it fires once the
 * condition has held for `for`, resolves once it has been clear for `clearFor` (so a condition
 * bouncing around its threshold does not flap), and an alert that fired `flapAfter` times within
 * `flapWindow` is marked flapping and not notified again until it settles. A firing alert not
 * acknowledged within its rule's `escalate.after` is sent to `escalate.to`. A rule may open an
 * incident when it fires; resolving the alert is written on the incident's timeline.
 *
 * Several hub nodes share one store: one of them evaluates at a time — the holder of the store's
 * `alerts` lease, renewed at every evaluation and given up when its node stops — and a firing
 * alert is inserted only if none of its rule and subject is firing (a unique index), together
 * with its incident in one transaction, so one outage is one alert, one incident and one set of
 * notifications whichever node sees it. "Dead letters growing" is read from the jobs themselves
 * (jobs that died within the window), so a node taking the lease over needs no history; nor do
 * the timers: a condition waiting out its `for` is a pending alert row (since when it holds), a
 * firing alert carries its last reading that was not clear (`last_true_at`), and escalation
 * levels are counted from `fired_at` and `escalated_at`.
 *
 * Stock oversold after a warehouse outage [004-3.2] is a rule like the others (`stock_oversold`,
 * with a default rule `stock-oversold` unless the file has one of that condition): its evidence is
 * each warehouse's newest reconciliation report, not call statistics.
 */
import type { Logger } from 'pino';
import { newId } from '../store/ids.js';
import {
  acquireLease,
  callMinutes,
  deadLettersBetween,
  deletePendingAlerts,
  firesSince,
  firingAlert,
  firingAlerts,
  getAlert,
  insertAlert,
  insertIncidentEvent,
  listShipmentExceptions,
  pendingAlerts,
  releaseLease,
  updateAlert,
  type OpAlertsTable,
  type OpCallMinutesTable,
} from '../store/operations.js';
import { activeEndingBefore } from '../store/certs.js';
import { levelsOf } from '../store/inventory.js';
import { listReconciliations, latestOversoldReconciliations } from '../store/snapshots.js';
import type { Store } from '../store/db.js';
import type { KindStats } from '../store/queue.js';
import { WaygateError } from '../domain/index.js';
import { percentileMs, successRate, summarise } from './call-stats.js';
import { audited } from '../store/dlq.js';
import { writeIncident, type Incidents } from './incidents.js';
import type { Notice, Notifier, QuietAction } from './notify.js';
import { ms, type Condition, type OperationsFile, type RuleSpec, type Severity } from './ops-config.js';
import type { PartnerHealthView } from './metrics.js';
import type { ReconciliationLine } from '../pipeline/snapshot/reconcile.js';

/** The default rule's name for oversold stock (and that of the alerts reconciliation raised before it was a rule). */
export const OVERSOLD_RULE = 'stock-oversold';

/** A rule with every default filled in. */
export interface EffectiveRule {
  name: string;
  condition: Condition;
  partner?: string;
  iface?: string;
  windowMs: number;
  threshold: number;
  percentile: number;
  code?: string;
  baselineMs: number;
  factor: number;
  minCalls: number;
  forMs: number;
  clearForMs: number;
  severity: Severity;
  incident: boolean;
  notify: string[];
  quiet?: QuietAction;
  /** Escalation levels when not acknowledged, `afterMs` (from the firing) increasing. */
  escalate?: EscalationLevel[];
  /** `default`: a rule the hub adds when the file has none of its condition (stock-oversold). */
  origin: 'file' | 'tier' | 'default';
}

export interface EscalationLevel {
  afterMs: number;
  to: string[];
}

/** What a partner's tier asks of alerting (from its effective policy). */
export interface PartnerAlerting {
  id: string;
  tier: string;
  kind: 'carrier' | 'platform' | string;
  alerts: { successRateBelow: number; p99AboveMs: number; alertWithinMs: number };
}

export function effectiveRule(r: RuleSpec, ops: OperationsFile): EffectiveRule {
  const windowMs = ms(r.window, '5m');
  return {
    name: r.name,
    condition: r.condition,
    ...(r.partner ? { partner: r.partner } : {}),
    ...(r.interface ? { iface: r.interface } : {}),
    windowMs,
    threshold: r.threshold ?? 0,
    percentile: r.percentile ?? 99,
    ...(r.code ? { code: r.code } : {}),
    baselineMs: ms(r.baseline, '1h'),
    factor: r.factor ?? 2,
    minCalls: r.minCalls ?? 10,
    forMs: ms(r.for, 0),
    // A reconciliation report is evidence at once: nothing to damp unless the file asks.
    clearForMs: ms(r.clearFor, r.condition === 'stock_oversold' ? 0 : Math.min(windowMs, 120_000)),
    severity: r.severity ?? 'general',
    incident: r.incident ?? false,
    notify: r.notify ?? ops.defaultRecipients ?? [],
    ...(r.quietHours ? { quiet: r.quietHours } : {}),
    ...(r.escalate
      ? {
          escalate: (Array.isArray(r.escalate) ? r.escalate : [r.escalate]).map((l) => ({
            afterMs: ms(l.after, 0),
            to: l.to,
          })),
        }
      : {}),
    origin: 'file',
  };
}

/**
 * Default rules per carrier from its tier [004-1]: the alert must come within the tier's alert
 * time, so the window is that time and evaluation runs far more often.
 */
export function tierRules(partners: readonly PartnerAlerting[], ops: OperationsFile): EffectiveRule[] {
  const out: EffectiveRule[] = [];
  for (const p of partners) {
    if (p.kind !== 'carrier') continue;
    const base = {
      partner: p.id,
      windowMs: p.alerts.alertWithinMs,
      percentile: 99,
      baselineMs: 3_600_000,
      factor: 2,
      minCalls: 10,
      forMs: 0,
      clearForMs: Math.min(p.alerts.alertWithinMs, 120_000),
      notify: ops.defaultRecipients ?? [],
      origin: 'tier' as const,
    };
    const severe: Severity = p.tier === 'A' ? 'major' : 'general';
    out.push(
      {
        ...base,
        name: `tier-${p.id}-success`,
        condition: 'success_rate',
        threshold: p.alerts.successRateBelow,
        severity: severe,
        incident: p.tier === 'A',
      },
      {
        ...base,
        name: `tier-${p.id}-latency`,
        condition: 'latency',
        threshold: p.alerts.p99AboveMs,
        severity: 'general',
        incident: false,
      },
      {
        ...base,
        name: `tier-${p.id}-failover`,
        condition: 'channel_failover',
        threshold: 0,
        severity: 'minor',
        incident: false,
      },
    );
  }
  return out;
}

/**
 * Rules the hub adds unless the file has one of their condition: `stock-oversold` — a major alert
 * per warehouse whose newest reconciliation after an outage found SKUs sold beyond its stock,
 * told to the default recipients; a file rule of condition `stock_oversold` replaces it.
 */
export function defaultRules(ops: OperationsFile): EffectiveRule[] {
  if ((ops.rules ?? []).some((r) => r.condition === 'stock_oversold')) return [];
  return [
    {
      name: OVERSOLD_RULE,
      condition: 'stock_oversold',
      partner: '*',
      windowMs: 0,
      threshold: 0,
      percentile: 99,
      baselineMs: 0,
      factor: 1,
      minCalls: 1,
      forMs: 0,
      clearForMs: 0,
      severity: 'major',
      incident: false,
      notify: ops.defaultRecipients ?? [],
      origin: 'default',
    },
  ];
}

/** A condition's verdict for one subject: true (holds), false (clear) or undefined (no verdict). */
interface Verdict {
  subject: string;
  partner?: string;
  iface?: string;
  holds: boolean | undefined;
  value: number;
  summary: string;
}

export interface AlertSources {
  partners: () => PartnerHealthView[];
  alerting: () => PartnerAlerting[];
  queueStats: () => Promise<KindStats[]>;
}

export interface AlertEngineDeps {
  store: Store;
  notifier: Notifier;
  incidents: Incidents;
  ops: () => OperationsFile | undefined;
  sources: AlertSources;
  log?: Logger;
  /** This node's name, the holder of the evaluation lease. */
  node?: string;
  /** How long the lease lasts without renewal (default 3 × evaluateEvery, at least 15 s). */
  leaseMs?: number;
}

export const ALERTS_LEASE = 'alerts';

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

export class AlertEngine {
  readonly #d: AlertEngineDeps;
  /**
   * The first clear reading of each firing alert, by alert id, as this node saw it. Valid only
   * for alerts whose last reading that was not clear this node made itself (see #apply).
   */
  readonly #clearing = new Map<string, number>();
  readonly #node: string;
  #leader = false;
  /** Since when this node holds the lease without a break. */
  #leadingSince = 0;

  constructor(deps: AlertEngineDeps) {
    this.#d = deps;
    this.#node = deps.node ?? 'node';
  }

  #leaseMs(): number {
    return this.#d.leaseMs ?? Math.max(15_000, 3 * ms(this.#d.ops()?.evaluateEvery, '30s'));
  }

  /** Takes or renews the evaluation lease; false when another node holds it. */
  async lead(nowMs = Date.now()): Promise<boolean> {
    const mine = await this.#d.store.write((trx) =>
      acquireLease(trx, ALERTS_LEASE, this.#node, nowMs, this.#leaseMs()),
    );
    // What a node that lost the lease saw is stale: the new holder reads the store.
    if (!mine && this.#leader) this.#clearing.clear();
    if (mine && !this.#leader) this.#leadingSince = nowMs;
    this.#leader = mine;
    return mine;
  }

  /** Gives the lease up (the node is stopping), so another node takes over at once. */
  async stepDown(): Promise<void> {
    if (!this.#leader) return;
    this.#leader = false;
    this.#clearing.clear();
    await this.#d.store.write((trx) => releaseLease(trx, ALERTS_LEASE, this.#node));
  }

  rules(): EffectiveRule[] {
    const ops = this.#d.ops() ?? {};
    const file = (ops.rules ?? []).map((r) => effectiveRule(r, ops));
    const tiers = ops.tierDefaults === false ? [] : tierRules(this.#d.sources.alerting(), ops);
    // A file rule of the same name replaces a tier rule (to tune one partner's default).
    const named = new Set(file.map((r) => r.name));
    const added = [...tiers, ...defaultRules(ops)];
    return [...file, ...added.filter((r) => !named.has(r.name))];
  }

  /**
   * Evaluates every rule once, if this node holds the lease (false when another node does).
   * Held notifications whose quiet hours are over are delivered in the same turn.
   */
  async evaluate(nowMs = Date.now()): Promise<boolean> {
    if (!(await this.lead(nowMs))) return false;
    const rules = this.rules();
    const longest = Math.max(
      0,
      ...rules.map((r) => r.windowMs + (r.condition === 'error_share' ? r.baselineMs : 0)),
    );
    const minutes =
      longest > 0
        ? await callMinutes(this.#d.store.db, { fromMs: nowMs - longest - 60_000, toMs: nowMs + 60_000 })
        : [];
    const queue = rules.some((r) => r.condition.startsWith('queue_'))
      ? await this.#d.sources.queueStats()
      : [];
    const pending = new Map<string, OpAlertsTable>();
    for (const p of await pendingAlerts(this.#d.store.db)) {
      const key = `${p.rule}|${p.subject}`;
      if (!pending.has(key)) pending.set(key, p);
    }
    for (const rule of rules) {
      let verdicts: Verdict[];
      try {
        verdicts = await this.#verdicts(rule, minutes, queue, nowMs);
      } catch (err) {
        this.#d.log?.error(
          { rule: rule.name, err: (err as Error).message },
          'alert rule could not be evaluated',
        );
        continue;
      }
      for (const v of verdicts) await this.#apply(rule, v, nowMs, pending.get(`${rule.name}|${v.subject}`));
    }
    await this.#escalate(rules, nowMs);
    await this.#orphans(rules, nowMs);
    await this.#d.notifier.deliverHeld(this.#d.ops() ?? {}, nowMs);
    return true;
  }

  /** Partners a rule applies to: the one named, or every partner seen (`*`). */
  #subjects(rule: EffectiveRule, minutes: readonly OpCallMinutesTable[]): Array<string | undefined> {
    if (rule.partner === undefined) return [undefined];
    if (rule.partner !== '*') return [rule.partner];
    const ids = new Set(this.#d.sources.partners().map((p) => p.id));
    for (const m of minutes) if (m.partner !== 'none') ids.add(m.partner);
    return [...ids];
  }

  async #verdicts(
    rule: EffectiveRule,
    minutes: readonly OpCallMinutesTable[],
    queue: readonly KindStats[],
    nowMs: number,
  ): Promise<Verdict[]> {
    const inWindow = (partner: string | undefined, fromMs: number, toMs: number) =>
      summarise(
        minutes.filter(
          (m) =>
            m.minute >= fromMs &&
            m.minute < toMs &&
            (partner === undefined || m.partner === partner) &&
            (rule.iface === undefined || m.interface === rule.iface),
        ),
      );
    const subjectOf = (partner: string | undefined) => [partner ?? '*', rule.iface ?? '*'].join('/');
    const out: Verdict[] = [];
    const from = nowMs - rule.windowMs;
    switch (rule.condition) {
      case 'success_rate':
      case 'latency':
      case 'error_share':
      case 'no_traffic': {
        for (const partner of this.#subjects(rule, minutes)) {
          const s = inWindow(partner, from, nowMs + 1);
          const recent = inWindow(partner, nowMs - rule.clearForMs, nowMs + 1);
          const base = {
            subject: subjectOf(partner),
            ...(partner ? { partner } : {}),
            ...(rule.iface ? { iface: rule.iface } : {}),
          };
          const who = `${partner ?? 'all partners'}${rule.iface ? ` ${rule.iface}` : ''}`;
          if (rule.condition === 'success_rate') {
            const rate = successRate(s);
            // Clear only on evidence: recent calls that succeed, or no recent work at all.
            // Work held back (open circuits, 429 gates) is not evidence of health.
            const recentOk = recent.calls > 0 ? successRate(recent) >= rule.threshold : recent.deferred === 0;
            const holds =
              s.calls >= rule.minCalls && rate < rule.threshold ? true : recentOk ? false : undefined;
            out.push({
              ...base,
              holds,
              value: rate,
              summary: `${who}: success rate ${pct(rate)} over ${s.calls} calls (below ${pct(rule.threshold)})`,
            });
          } else if (rule.condition === 'latency') {
            const p = percentileMs(s, rule.percentile);
            const holds = s.calls >= rule.minCalls ? p > rule.threshold : s.calls === 0 ? false : undefined;
            out.push({
              ...base,
              holds,
              value: p,
              summary: `${who}: p${rule.percentile} latency ${Math.round(p)} ms (above ${rule.threshold} ms)`,
            });
          } else if (rule.condition === 'error_share') {
            const code = rule.code ?? '';
            const share = s.calls === 0 ? 0 : (s.codes[code] ?? 0) / s.calls;
            const b = inWindow(partner, from - rule.baselineMs, from);
            const baseShare = b.calls === 0 ? 0 : (b.codes[code] ?? 0) / b.calls;
            const holds =
              s.calls >= rule.minCalls ? share > rule.threshold && share > rule.factor * baseShare : false;
            out.push({
              ...base,
              holds,
              value: share,
              summary: `${who}: ${code} is ${pct(share)} of calls (was ${pct(baseShare)})`,
            });
          } else {
            const holds = s.calls + s.deferred === 0;
            out.push({
              ...base,
              holds,
              value: s.calls,
              summary: `${who}: no traffic for ${Math.round(rule.windowMs / 60_000)} min`,
            });
          }
        }
        break;
      }
      case 'queue_backlog':
      case 'queue_age': {
        const mine = queue.filter(
          (q) => (q.status === 'ready' || q.status === 'leased') && (!rule.iface || q.kind === rule.iface),
        );
        const subject = `queue/${rule.iface ?? '*'}`;
        if (rule.condition === 'queue_backlog') {
          const n = mine.reduce((a, q) => a + q.count, 0);
          out.push({
            subject,
            ...(rule.iface ? { iface: rule.iface } : {}),
            holds: n > rule.threshold,
            value: n,
            summary: `${n} jobs waiting in ${rule.iface ?? 'the queue'} (above ${rule.threshold})`,
          });
        } else {
          const oldest = Math.min(...mine.map((q) => q.oldestCreatedAt ?? Infinity));
          const age = Number.isFinite(oldest) ? (nowMs - oldest) / 1000 : 0;
          out.push({
            subject,
            ...(rule.iface ? { iface: rule.iface } : {}),
            holds: age > rule.threshold,
            value: age,
            summary: `oldest job in ${rule.iface ?? 'the queue'} waits ${Math.round(age)} s (above ${rule.threshold} s)`,
          });
        }
        break;
      }
      case 'dead_letters': {
        const died = await deadLettersBetween(this.#d.store.db, from, nowMs + 1);
        const growth = died
          .filter(
            (d) =>
              (!rule.iface || d.kind === rule.iface) &&
              (!rule.partner || rule.partner === '*' || d.partner === rule.partner),
          )
          .reduce((a, d) => a + d.n, 0);
        out.push({
          subject: `dlq/${rule.iface ?? '*'}`,
          ...(rule.iface ? { iface: rule.iface } : {}),
          holds: growth > rule.threshold,
          value: growth,
          summary: `${growth} new dead letters${rule.iface ? ` in ${rule.iface}` : ''} within ${Math.round(rule.windowMs / 60_000)} min`,
        });
        break;
      }
      case 'channel_failover': {
        for (const p of this.#d.sources.partners()) {
          if (rule.partner && rule.partner !== '*' && rule.partner !== p.id) continue;
          const primary = p.channels[0];
          if (!primary) continue;
          const active = p.channels.find((c) => c.active);
          const holds = primary.state !== 'closed' || (active !== undefined && active.name !== primary.name);
          out.push({
            subject: `${p.id}/channels`,
            partner: p.id,
            holds,
            value: holds ? 1 : 0,
            summary: holds
              ? `${p.id}: primary channel ${primary.state}; ${active ? `traffic on ${active.name}` : 'no channel usable'}`
              : `${p.id}: primary channel healthy`,
          });
        }
        break;
      }
      case 'cert_expiry': {
        const ending = await activeEndingBefore(this.#d.store.db, nowMs + rule.threshold * 86_400_000);
        out.push({
          subject: 'certificates',
          holds: ending.length > 0,
          value: ending.length,
          summary: `${ending.length} certificate(s) end within ${rule.threshold} days: ${ending.map((c) => `${c.owner}/${c.name}`).join(', ')}`,
        });
        break;
      }
      case 'tracking_delays': {
        const open = await listShipmentExceptions(this.#d.store.db, { open: true, limit: 10_000 });
        const mine = open.filter((e) => !rule.partner || rule.partner === '*' || e.carrier === rule.partner);
        out.push({
          subject: `delays/${rule.partner ?? '*'}`,
          ...(rule.partner && rule.partner !== '*' ? { partner: rule.partner } : {}),
          holds: mine.length > rule.threshold,
          value: mine.length,
          summary: `${mine.length} shipments delayed (no scan, ETA passed or held in customs)`,
        });
        break;
      }
      case 'stock_oversold':
        out.push(...(await this.#oversold(rule)));
        break;
    }
    return out;
  }

  /**
   * Per warehouse: its newest reconciliation found oversold SKUs and the hub's reservations on
   * them still exceed the warehouse's count (holds), or a later reconciliation found none, or the
   * stock now covers them — orders cancelled, goods received (clear). Firing alerts of the rule
   * whose warehouse is no longer oversold get a clear verdict, so they resolve.
   */
  async #oversold(rule: EffectiveRule): Promise<Verdict[]> {
    const db = this.#d.store.db;
    const mine = (wh: string) => rule.partner === undefined || rule.partner === '*' || rule.partner === wh;
    const out: Verdict[] = [];
    const holding = new Set<string>();
    for (const rec of await latestOversoldReconciliations(db)) {
      const wh = rec.warehouse_id;
      if (!mine(wh)) continue;
      const lines = (JSON.parse(rec.lines) as ReconciliationLine[]).filter((l) => l.kind === 'oversold');
      const still: Array<{ sku: string; units: number }> = [];
      for (const l of lines) {
        const [level] = await levelsOf(db, { warehouseId: wh, sku: l.sku }, 1);
        const units = (level?.reserved ?? 0) - (level?.on_hand ?? 0);
        if (units > 0) still.push({ sku: l.sku, units });
      }
      const subject = `stock/${wh}`;
      const holds = still.length > rule.threshold;
      if (holds) holding.add(subject);
      const units = still.reduce((a, s) => a + s.units, 0);
      const named = still
        .slice(0, 10)
        .map((s) => `${s.sku} ${s.units}`)
        .join(', ');
      out.push({
        subject,
        partner: wh,
        iface: 'inventory',
        holds,
        value: still.length,
        summary:
          still.length > 0
            ? `${wh}: ${still.length} SKU(s) oversold, ${units} unit(s) sold that the warehouse does not hold (${named}${still.length > 10 ? ', …' : ''}); reconciliation ${rec.id}`
            : `${wh}: the ${lines.length} oversold SKU(s) of reconciliation ${rec.id} are covered by the warehouse's stock again`,
      });
    }
    for (const a of await firingAlerts(db)) {
      if (a.rule !== rule.name || holding.has(a.subject) || out.some((v) => v.subject === a.subject))
        continue;
      const wh = a.partner ?? a.subject.replace(/^stock\//, '').split('/')[0]!;
      const [latest] = await listReconciliations(db, { warehouseId: wh, limit: 1 });
      out.push({
        subject: a.subject,
        partner: wh,
        iface: 'inventory',
        holds: false,
        value: 0,
        // An alert of the days before the rule (one per SKU) gives way to its warehouse's alert.
        summary: holding.has(`stock/${wh}`)
          ? `${a.subject}: now part of the warehouse's alert stock/${wh}`
          : latest
            ? `${wh}: reconciliation ${latest.id} found no oversold SKU`
            : `${wh}: no reconciliation shows oversold SKUs`,
      });
    }
    return out;
  }

  /**
   * One reading of a rule for a subject. The timers live in the store, so the lease moving to
   * another node neither restarts nor loses them:
   * - `for`: a condition that holds but not yet for `for` is a pending alert whose `fired_at` is
   *   when it started holding; it fires from there, or is dropped when the condition clears;
   * - `clearFor`: a firing alert's `last_true_at` is its last reading that was not clear (holding,
   *   or no verdict). The node that made that reading knows the first clear one after it and
   *   counts from there; a node that took the lease over since counts from `last_true_at` (the
   *   previous holder's readings in between are lost with it: at most one evaluation sooner).
   */
  async #apply(
    rule: EffectiveRule,
    v: Verdict,
    nowMs: number,
    pending: OpAlertsTable | undefined,
  ): Promise<void> {
    const firing = await firingAlert(this.#d.store.db, rule.name, v.subject);
    if (firing) {
      if (v.holds !== false) {
        this.#clearing.delete(firing.id);
        await this.#d.store.write((trx) =>
          updateAlert(
            trx,
            firing.id,
            v.holds ? { last_true_at: nowMs, value: v.value, summary: v.summary } : { last_true_at: nowMs },
          ),
        );
        return;
      }
      let since = firing.last_true_at;
      if (firing.last_true_at >= this.#leadingSince) {
        since = this.#clearing.get(firing.id) ?? nowMs;
        this.#clearing.set(firing.id, since);
      }
      if (nowMs - since >= rule.clearForMs) {
        this.#clearing.delete(firing.id);
        await this.#resolve(rule, firing, v, nowMs);
      }
      return;
    }
    if (v.holds === undefined) return;
    if (!v.holds) {
      if (pending) await this.#d.store.write((trx) => deletePendingAlerts(trx, rule.name, v.subject));
      return;
    }
    const since = pending?.fired_at ?? nowMs;
    if (nowMs - since >= rule.forMs) {
      await this.#fire(rule, v, nowMs);
      return;
    }
    if (pending)
      await this.#d.store.write((trx) =>
        updateAlert(trx, pending.id, { last_true_at: nowMs, value: v.value, summary: v.summary }),
      );
    else
      await this.#d.store.write((trx) =>
        insertAlert(trx, { ...this.#row(rule, v, nowMs, false), status: 'pending' }),
      );
  }

  #row(rule: EffectiveRule, v: Verdict, nowMs: number, flapping: boolean): OpAlertsTable {
    return {
      id: newId('alr', nowMs),
      rule: rule.name,
      subject: v.subject,
      status: 'firing',
      severity: rule.severity,
      summary: v.summary,
      value: Number.isFinite(v.value) ? v.value : null,
      threshold: rule.threshold,
      partner: v.partner ?? null,
      interface: v.iface ?? null,
      fired_at: nowMs,
      last_true_at: nowMs,
      resolved_at: null,
      acked_at: null,
      acked_by: null,
      escalated_at: null,
      flapping: flapping ? 1 : 0,
      incident_id: null,
    };
  }

  async #fire(rule: EffectiveRule, v: Verdict, nowMs: number): Promise<void> {
    const ops = this.#d.ops() ?? {};
    const flapAfter = ops.flapAfter ?? 4;
    const recent = await firesSince(this.#d.store.db, rule.name, v.subject, nowMs - ms(ops.flapWindow, '1h'));
    const flapping = recent + 1 >= flapAfter;
    const row = this.#row(rule, v, nowMs, flapping);
    // The alert and its incident in one transaction: nobody reads an alert without its incident,
    // and an alert another evaluator fired first (the unique index) brings no second incident.
    const incident =
      rule.incident && !flapping
        ? await this.#d.incidents.prepare(
            {
              title: `${rule.name}: ${v.subject}`,
              symptom: v.summary,
              severity: rule.severity,
              source: 'alert',
              alertId: row.id,
              ...(v.partner ? { partner: v.partner } : {}),
              ...(v.iface ? { iface: v.iface } : {}),
              actor: 'system:alerts',
            },
            nowMs,
          )
        : undefined;
    if (incident) row.incident_id = incident.row.id;
    const fired = await this.#d.store.write(async (trx) => {
      // Its `for` is over: the pending alert gives way to the firing one.
      await deletePendingAlerts(trx, rule.name, v.subject);
      if (!(await insertAlert(trx, row))) return false;
      if (incident) await writeIncident(trx, incident);
      return true;
    });
    if (!fired) return;
    this.#d.log?.warn(
      { alert: row.id, rule: rule.name, subject: v.subject, summary: v.summary },
      'alert fired',
    );
    if (flapping) {
      await this.#d.notifier.record(
        row.id,
        'alert.fired',
        'suppressed_flapping',
        `fired ${recent + 1} times within the flap window`,
        nowMs,
      );
      return;
    }
    await this.#d.notifier.send(this.#notice('alert.fired', rule, row), rule.notify, ops, nowMs);
  }

  async #resolve(rule: EffectiveRule, alert: OpAlertsTable, v: Verdict, nowMs: number): Promise<void> {
    await this.#d.store.write((trx) =>
      updateAlert(trx, alert.id, {
        status: 'resolved',
        resolved_at: nowMs,
        value: v.value,
        summary: v.summary,
      }),
    );
    this.#d.log?.info({ alert: alert.id, rule: rule.name, subject: alert.subject }, 'alert resolved');
    if (alert.incident_id)
      await this.#d.incidents
        .note(
          alert.incident_id,
          'system:alerts',
          `alert ${alert.id} resolved: ${v.summary}`,
          'alert_resolved',
          nowMs,
        )
        .catch(() => undefined);
    if (alert.flapping) return;
    const resolved = { ...alert, status: 'resolved', resolved_at: nowMs, summary: v.summary };
    await this.#d.notifier.send(
      this.#notice('alert.resolved', rule, resolved),
      rule.notify,
      this.#d.ops() ?? {},
      nowMs,
    );
  }

  /** Alerts of a rule taken out of the operations file can never clear: they are resolved. */
  async #orphans(rules: readonly EffectiveRule[], nowMs: number): Promise<void> {
    const names = new Set(rules.map((r) => r.name));
    for (const p of await pendingAlerts(this.#d.store.db))
      if (!names.has(p.rule)) await this.#d.store.write((trx) => deletePendingAlerts(trx, p.rule));
    for (const a of await firingAlerts(this.#d.store.db)) {
      if (names.has(a.rule)) continue;
      await this.#d.store.write((trx) =>
        updateAlert(trx, a.id, {
          status: 'resolved',
          resolved_at: nowMs,
          summary: `${a.summary} (rule ${a.rule} removed)`.slice(0, 500),
        }),
      );
      if (a.incident_id)
        await this.#d.incidents
          .note(
            a.incident_id,
            'system:alerts',
            `alert ${a.id} resolved: its rule was removed`,
            'alert_resolved',
            nowMs,
          )
          .catch(() => undefined);
    }
  }

  /**
   * Sends a firing alert nobody acknowledged to each escalation level whose time has come, once:
   * the levels already sent are those due when it was last escalated (`escalated_at`), so the
   * count survives a restart or the lease moving. Levels that fell due together go out together.
   */
  async #escalate(rules: readonly EffectiveRule[], nowMs: number): Promise<void> {
    const byName = new Map(rules.map((r) => [r.name, r]));
    for (const a of await firingAlerts(this.#d.store.db)) {
      const rule = byName.get(a.rule);
      if (!rule?.escalate || a.acked_at !== null || a.flapping) continue;
      const sentUpTo = a.escalated_at === null ? -1 : a.escalated_at - a.fired_at;
      const due = rule.escalate
        .map((level, i) => ({ ...level, level: i + 1 }))
        .filter((l) => l.afterMs > sentUpTo && l.afterMs <= nowMs - a.fired_at);
      if (due.length === 0) continue;
      await this.#d.store.write((trx) => updateAlert(trx, a.id, { escalated_at: nowMs }));
      for (const l of due)
        await this.#d.notifier.send(
          this.#notice('alert.escalated', rule, a, { level: l.level, of: rule.escalate.length }),
          l.to,
          this.#d.ops() ?? {},
          nowMs,
        );
    }
  }

  #notice(
    event: string,
    rule: EffectiveRule,
    a: OpAlertsTable,
    escalation?: { level: number; of: number },
  ): Notice {
    const verb =
      event === 'alert.resolved'
        ? 'RESOLVED'
        : escalation
          ? `ESCALATED (not acknowledged, level ${escalation.level} of ${escalation.of})`
          : 'FIRING';
    return {
      event,
      severity: rule.severity,
      alertId: a.id,
      ...(rule.quiet ? { quiet: rule.quiet } : {}),
      subject: `[Waygate ${rule.severity}] ${verb}: ${rule.name} ${a.subject}`,
      text: [
        `${verb}: ${a.summary}`,
        `rule: ${rule.name} (${rule.condition})`,
        `alert: ${a.id}, fired ${new Date(a.fired_at).toISOString()}`,
        ...(a.resolved_at ? [`resolved ${new Date(a.resolved_at).toISOString()}`] : []),
        ...(a.incident_id ? [`incident: ${a.incident_id}`] : []),
      ].join('\n'),
      data: {
        alert: {
          id: a.id,
          rule: rule.name,
          condition: rule.condition,
          subject: a.subject,
          status: a.status,
          summary: a.summary,
          value: a.value,
          threshold: a.threshold,
          partner: a.partner,
          interface: a.interface,
          firedAt: new Date(a.fired_at).toISOString(),
          resolvedAt: a.resolved_at === null ? null : new Date(a.resolved_at).toISOString(),
          incidentId: a.incident_id,
        },
        ...(escalation ? { escalation } : {}),
      },
    };
  }

  /** An operator acknowledges a firing alert: no escalation follows. */
  acknowledge(id: string, actor: string, nowMs = Date.now()): Promise<OpAlertsTable> {
    return acknowledgeAlert(this.#d.store, id, actor, nowMs);
  }
}

/**
 * Acknowledges a firing alert (API and CLI alike): recorded on the alert, on its incident's
 * timeline and in the audit log in one transaction; a refusal (no such alert, not firing) is
 * audited too.
 */
export async function acknowledgeAlert(
  store: Store,
  id: string,
  actor: string,
  nowMs = Date.now(),
): Promise<OpAlertsTable> {
  return audited(
    store,
    { actor, action: 'alert.acknowledge', target: id, detail: {} },
    nowMs,
    async (trx) => {
      const a = await getAlert(trx, id);
      if (!a || a.status === 'pending')
        throw new WaygateError('alert_not_found', `no alert ${id}: list the alerts to find its id`);
      if (a.status !== 'firing')
        throw new WaygateError(
          'alert_not_firing',
          `alert ${id} is ${a.status}${a.resolved_at === null ? '' : ` since ${new Date(a.resolved_at).toISOString()}`}: only a firing alert is acknowledged`,
        );
      if (a.acked_at !== null) return { result: a, detail: { rule: a.rule, already: true } };
      await updateAlert(trx, id, { acked_at: nowMs, acked_by: actor });
      if (a.incident_id)
        await insertIncidentEvent(trx, {
          id: newId('ine', nowMs),
          incident_id: a.incident_id,
          at: nowMs,
          actor,
          kind: 'acknowledged',
          text: `alert ${id} acknowledged`,
        });
      return { result: { ...a, acked_at: nowMs, acked_by: actor }, detail: { rule: a.rule } };
    },
  );
}
