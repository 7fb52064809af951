/**
 * Operations at run time: the call statistics written every flush, alert rules evaluated on their
 * timer, tracking delays checked on theirs, reports written on schedule. One object the hub starts
 * and stops; the operations file it reads is swapped on reload (`setFile`).
 * With several nodes on one store, alert evaluation, delay checks and scheduled reports run on one
 * node at a time (store leases); a scheduled report is written once for the cluster.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '../store/db.js';
import { AlertEngine, type AlertSources } from './alerts.js';
import { CallStats } from './call-stats.js';
import { DelayWatch } from './delays.js';
import { Incidents } from './incidents.js';
import { Notifier } from './notify.js';
import { deadlinesOf, ms, type OperationsFile } from './ops-config.js';
import type { HubMetrics } from './metrics.js';
import {
  acquireLease,
  firingAlerts,
  listIncidents,
  listShipmentExceptions,
  releaseLease,
} from '../store/operations.js';

const DELAYS_LEASE = 'delays';
import { ReportScheduler } from './reports/schedule.js';

export interface OperationsOptions {
  store: Store;
  log: Logger;
  sources: AlertSources;
  file?: OperationsFile;
  /** Node id written with this node's statistics. */
  node?: string;
  /** Bucket of the call statistics (default 1 min; tests use seconds). */
  statsBucketMs?: number;
}

export class Operations {
  readonly stats: CallStats;
  readonly notifier: Notifier;
  readonly incidents: Incidents;
  readonly alerts: AlertEngine;
  readonly delays: DelayWatch;
  readonly reports: ReportScheduler;
  readonly #store: Store;
  readonly #log: Logger;
  #file: OperationsFile;
  readonly #timers: NodeJS.Timeout[] = [];
  #running = false;
  readonly #busy = new Set<string>();
  readonly #node: string;

  constructor(o: OperationsOptions) {
    this.#store = o.store;
    this.#log = o.log;
    this.#file = o.file ?? {};
    this.#node = o.node ?? `node-${randomUUID().slice(0, 8)}`;
    this.stats = new CallStats(this.#node, o.statsBucketMs);
    this.notifier = new Notifier(o.store);
    this.incidents = new Incidents(o.store, () => deadlinesOf(this.#file));
    this.alerts = new AlertEngine({
      store: o.store,
      notifier: this.notifier,
      incidents: this.incidents,
      ops: () => this.#file,
      sources: o.sources,
      log: o.log,
      node: this.#node,
    });
    this.delays = new DelayWatch(o.store, this.notifier, () => this.#file, o.log);
    this.reports = new ReportScheduler(o.store, () => this.#file, o.log, this.#node);
  }

  /** This node's id: its statistics rows and its hold on the store's leases carry it. */
  get node(): string {
    return this.#node;
  }

  get file(): OperationsFile {
    return this.#file;
  }

  /** A reloaded operations file: timers follow its new intervals. */
  setFile(file: OperationsFile): void {
    this.#file = file;
    if (this.#running) {
      this.#stopTimers();
      this.#startTimers();
    }
  }

  /** Runs `task` unless its previous run is still going (a slow store never piles runs up). */
  #every(name: string, everyMs: number, task: () => Promise<unknown>): void {
    const t = setInterval(() => {
      if (this.#busy.has(name)) return;
      this.#busy.add(name);
      task()
        .catch((err: Error) => this.#log.error({ task: name, err: err.message }, 'operations task failed'))
        .finally(() => this.#busy.delete(name));
    }, everyMs);
    t.unref();
    this.#timers.push(t);
  }

  #startTimers(): void {
    const f = this.#file;
    this.#every('stats', ms(f.statsFlushEvery, '15s'), () => this.stats.flush(this.#store.db));
    this.#every('alerts', ms(f.evaluateEvery, '30s'), () => this.alerts.evaluate());
    const checkEvery = ms(f.delays?.checkEvery, '5m');
    // One node checks delays at a time, so a merchant is told once.
    this.#every('delays', checkEvery, async () => {
      const now = Date.now();
      const ttl = Math.max(15_000, 3 * checkEvery);
      if (await this.#store.write((trx) => acquireLease(trx, DELAYS_LEASE, this.#node, now, ttl)))
        await this.delays.check(now);
    });
    this.#every('reports', 60_000, () => this.reports.tick());
  }

  #stopTimers(): void {
    for (const t of this.#timers.splice(0)) clearInterval(t);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startTimers();
  }

  /** Figures for /metrics: alerts firing, incidents open, shipments delayed. */
  registerMetrics(metrics: HubMetrics): void {
    metrics.addSource(async () => {
      const [alerts, incidents, delays] = await Promise.all([
        firingAlerts(this.#store.db),
        listIncidents(this.#store.db, { status: 'open', limit: 10_000 }),
        listShipmentExceptions(this.#store.db, { open: true, limit: 100_000 }),
      ]);
      metrics.alertsFiring.reset();
      for (const a of alerts) metrics.alertsFiring.inc({ severity: a.severity });
      metrics.incidentsOpen.reset();
      for (const i of incidents)
        metrics.incidentsOpen.inc({
          severity: i.severity,
          overdue: i.deadline_at < Date.now() ? 'yes' : 'no',
        });
      metrics.delayedShipments.reset();
      for (const d of delays) metrics.delayedShipments.inc({ reason: d.reason });
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#stopTimers();
    await this.stats.flush(this.#store.db).catch(() => undefined);
    await this.alerts.stepDown().catch(() => undefined);
    await this.#store.write((trx) => releaseLease(trx, DELAYS_LEASE, this.#node)).catch(() => undefined);
    this.notifier.close();
  }
}
