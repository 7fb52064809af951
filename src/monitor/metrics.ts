/**
 * The hub's Prometheus metrics [000-13] [004-1]: partner calls (per partner, by outcome and
 * status or error code, latency, bytes), jobs per interface (job kind) and partner, the gateway's
 * own API calls per route, and — read when scraped — queue depth and oldest-job age per kind,
 * dead letters, channel health, circuit state, 429 gates and probe results.
 *
 * Labels carry identifiers the hub chose (partner ids from the config, job kinds, route
 * patterns, catalogue codes, HTTP statuses), never data from a request or a partner's text: no
 * personal data can reach a label. Every label passes a guard that keeps at most a fixed number
 * of distinct values and folds the rest into `other`, so a misbehaving caller or partner cannot
 * blow up the series count (the test feeds thousands of distinct values and counts the series).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HttpObservation } from '../connectors/http.js';
import type { JobObservation } from '../pipeline/worker.js';
import type { KindStats } from '../store/queue.js';
import type { ChannelView } from '../pipeline/policy/runtime.js';

/** What a label value may look like: an identifier, never free text. */
const IDENTIFIER = /^[A-Za-z0-9/][A-Za-z0-9._:/{}-]{0,79}$/;

/** Keeps at most `max` distinct values of one label; later ones and non-identifiers read `other`. */
export class LabelGuard {
  readonly #seen = new Set<string>();
  constructor(readonly max: number) {}

  of(value: string | null | undefined): string {
    if (value === null || value === undefined || value === '') return 'none';
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.max || !IDENTIFIER.test(value)) return 'other';
    this.#seen.add(value);
    return value;
  }
}

/** Latency buckets, seconds: from a fast local call to a partner's timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A partner as the metrics read it when scraped. */
export interface PartnerHealthView {
  id: string;
  tier: string;
  suspendedUntil: string | null;
  channels: ChannelView[];
}

export interface MetricsSources {
  /** Jobs per kind and status (store/queue.ts `stats()`). */
  queueStats?: () => Promise<KindStats[]>;
  /** Every carrier's channels, breakers, 429 gates and last probe. */
  partners?: () => PartnerHealthView[];
  /** Figures other modules add at scrape time (alerts firing, incidents open, …). */
  extra?: Array<() => Promise<void> | void>;
}

export interface MetricsOptions {
  /** Include the Node.js process metrics (default true; tests turn them off). */
  processMetrics?: boolean;
  /** Distinct values kept per label (default 200). */
  maxLabelValues?: number;
}

const statusLabel = (status: number): string =>
  Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other';

const outcomeOfStatus = (status: number): string =>
  status === 429
    ? 'rate_limited'
    : status >= 500
      ? 'server_error'
      : status >= 400
        ? 'client_error'
        : 'success';

export class HubMetrics {
  readonly registry = new Registry();
  readonly #partners: LabelGuard;
  readonly #kinds: LabelGuard;
  readonly #codes: LabelGuard;
  readonly #routes: LabelGuard;
  readonly #channels: LabelGuard;
  readonly #sources: MetricsSources = {};

  readonly partnerRequests: Counter<'partner' | 'method' | 'outcome' | 'code'>;
  readonly partnerDuration: Histogram<'partner' | 'method'>;
  readonly partnerBytes: Counter<'partner' | 'direction'>;
  readonly jobs: Counter<'interface' | 'partner' | 'outcome' | 'code'>;
  readonly jobDuration: Histogram<'interface' | 'partner'>;
  readonly retries: Counter<'interface' | 'partner'>;
  readonly apiRequests: Counter<'route' | 'method' | 'status'>;
  readonly apiDuration: Histogram<'route' | 'method'>;
  readonly queueJobs: Gauge<'interface' | 'status'>;
  readonly queueOldestAge: Gauge<'interface'>;
  readonly deadLetters: Gauge<'interface'>;
  readonly channelUp: Gauge<'partner' | 'tier' | 'channel'>;
  readonly channelCircuit: Gauge<'partner' | 'channel' | 'state'>;
  readonly channelActive: Gauge<'partner' | 'channel'>;
  readonly channelFailures: Gauge<'partner' | 'channel'>;
  readonly rateLimitGate: Gauge<'partner' | 'channel'>;
  readonly partnerSuspended: Gauge<'partner'>;
  readonly probeUp: Gauge<'partner' | 'channel'>;
  readonly probeLatency: Gauge<'partner' | 'channel'>;
  readonly probeAge: Gauge<'partner' | 'channel'>;
  readonly alertsFiring: Gauge<'severity'>;
  readonly incidentsOpen: Gauge<'severity' | 'overdue'>;
  readonly delayedShipments: Gauge<'reason'>;

  /** Children cached by their label values: the hot path does one Map lookup per series. */
  readonly #cache = new Map<string, { inc(n?: number): void; observe?(v: number): void }>();

  constructor(opts: MetricsOptions = {}) {
    const max = opts.maxLabelValues ?? 200;
    this.#partners = new LabelGuard(max);
    this.#kinds = new LabelGuard(Math.min(max, 100));
    this.#codes = new LabelGuard(Math.min(max, 150));
    this.#routes = new LabelGuard(max);
    this.#channels = new LabelGuard(Math.min(max, 20));
    const registers = [this.registry];
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'waygate_' });
    this.partnerRequests = new Counter({
      name: 'waygate_partner_requests_total',
      help: 'HTTP calls to partners by outcome (success, client_error, server_error, rate_limited, transport_error) and HTTP status or transport error code',
      labelNames: ['partner', 'method', 'outcome', 'code'],
      registers,
    });
    this.partnerDuration = new Histogram({
      name: 'waygate_partner_request_duration_seconds',
      help: 'Duration of HTTP calls to partners, answer read',
      labelNames: ['partner', 'method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.partnerBytes = new Counter({
      name: 'waygate_partner_payload_bytes_total',
      help: 'Bytes of request bodies sent to and answer bodies received from partners',
      labelNames: ['partner', 'direction'],
      registers,
    });
    this.jobs = new Counter({
      name: 'waygate_interface_calls_total',
      help: 'Runs of each interface (job kind) per partner by outcome (ok, retry, dead, deferred) and error code',
      labelNames: ['interface', 'partner', 'outcome', 'code'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'waygate_interface_call_duration_seconds',
      help: 'Duration of each interface run (job), partner call included',
      labelNames: ['interface', 'partner'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: 'waygate_retries_total',
      help: 'Failed runs scheduled for another attempt',
      labelNames: ['interface', 'partner'],
      registers,
    });
    this.apiRequests = new Counter({
      name: 'waygate_api_requests_total',
      help: 'Requests to the hub API by route pattern, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.apiDuration = new Histogram({
      name: 'waygate_api_request_duration_seconds',
      help: 'Duration of requests to the hub API by route pattern',
      labelNames: ['route', 'method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.queueJobs = new Gauge({
      name: 'waygate_queue_jobs',
      help: 'Jobs in the queue per interface (job kind) and status (ready, leased, dead)',
      labelNames: ['interface', 'status'],
      registers,
    });
    this.queueOldestAge = new Gauge({
      name: 'waygate_queue_oldest_job_age_seconds',
      help: 'Age of the oldest job waiting or running, per interface',
      labelNames: ['interface'],
      registers,
    });
    this.deadLetters = new Gauge({
      name: 'waygate_dead_letters',
      help: 'Jobs in the dead-letter queue per interface',
      labelNames: ['interface'],
      registers,
    });
    this.channelUp = new Gauge({
      name: 'waygate_channel_up',
      help: '1 when the channel’s circuit is closed (usable), else 0',
      labelNames: ['partner', 'tier', 'channel'],
      registers,
    });
    this.channelCircuit = new Gauge({
      name: 'waygate_channel_circuit_state',
      help: 'Circuit breaker state of each channel (1 for the state it is in)',
      labelNames: ['partner', 'channel', 'state'],
      registers,
    });
    this.channelActive = new Gauge({
      name: 'waygate_channel_active',
      help: '1 for the channel calls go to now; a standby at 1 means the partner failed over',
      labelNames: ['partner', 'channel'],
      registers,
    });
    this.channelFailures = new Gauge({
      name: 'waygate_channel_consecutive_failures',
      help: 'Consecutive failed calls on the channel',
      labelNames: ['partner', 'channel'],
      registers,
    });
    this.rateLimitGate = new Gauge({
      name: 'waygate_rate_limit_gate_seconds',
      help: 'Seconds until a channel may be called again after a 429 (0: open)',
      labelNames: ['partner', 'channel'],
      registers,
    });
    this.partnerSuspended = new Gauge({
      name: 'waygate_partner_suspended_seconds',
      help: 'Seconds left of a partner’s suspension after repeated 429s (0: not suspended)',
      labelNames: ['partner'],
      registers,
    });
    this.probeUp = new Gauge({
      name: 'waygate_probe_success',
      help: 'Result of the channel’s last probe (1 ok, 0 failed)',
      labelNames: ['partner', 'channel'],
      registers,
    });
    this.probeLatency = new Gauge({
      name: 'waygate_probe_latency_seconds',
      help: 'Latency of the channel’s last probe',
      labelNames: ['partner', 'channel'],
      registers,
    });
    this.probeAge = new Gauge({
      name: 'waygate_probe_age_seconds',
      help: 'Seconds since the channel’s last probe',
      labelNames: ['partner', 'channel'],
      registers,
    });
    this.alertsFiring = new Gauge({
      name: 'waygate_alerts_firing',
      help: 'Alerts firing now, per severity',
      labelNames: ['severity'],
      registers,
    });
    this.incidentsOpen = new Gauge({
      name: 'waygate_incidents_open',
      help: 'Incidents open, per severity and whether their deadline has passed',
      labelNames: ['severity', 'overdue'],
      registers,
    });
    this.delayedShipments = new Gauge({
      name: 'waygate_shipments_delayed',
      help: 'Shipments with an open delay exception, per reason',
      labelNames: ['reason'],
      registers,
    });
  }

  /** Where scrape-time figures come from (set once the hub has built them). */
  setSources(sources: MetricsSources): void {
    Object.assign(this.#sources, sources);
  }

  addSource(fn: () => Promise<void> | void): void {
    (this.#sources.extra ??= []).push(fn);
  }

  /** A partner id as a label value (bounded). */
  partner(id: string | null | undefined): string {
    return this.#partners.of(id);
  }

  #child<K extends string>(
    metric: Counter<K> | Histogram<K>,
    key: string,
    labels: Record<K, string>,
  ): { inc(n?: number): void; observe?(v: number): void } {
    let child = this.#cache.get(key);
    if (!child) {
      child = metric.labels(labels) as { inc(n?: number): void; observe?(v: number): void };
      // Bounded by the guards: partners × kinds × outcomes × codes, far below this.
      if (this.#cache.size < 100_000) this.#cache.set(key, child);
    }
    return child;
  }

  /** For createHttpClient's `observe`: one partner call. */
  readonly observeHttp = (o: HttpObservation): void => {
    const partner = this.#partners.of(o.partnerId);
    const [outcome, code] =
      o.status !== undefined
        ? [outcomeOfStatus(o.status), statusLabel(o.status)]
        : ['transport_error', this.#codes.of(o.error ?? 'unknown')];
    this.#child(this.partnerRequests, `r|${partner}|${o.method}|${outcome}|${code}`, {
      partner,
      method: o.method,
      outcome,
      code,
    }).inc();
    this.#child(this.partnerDuration, `d|${partner}|${o.method}`, {
      partner,
      method: o.method,
    }).observe!(o.durationMs / 1000);
    if (o.bytesSent > 0)
      this.#child(this.partnerBytes, `bs|${partner}`, { partner, direction: 'sent' }).inc(o.bytesSent);
    if (o.bytesReceived > 0)
      this.#child(this.partnerBytes, `br|${partner}`, { partner, direction: 'received' }).inc(
        o.bytesReceived,
      );
  };

  /** For the worker's `observe`: one job's fate. */
  readonly observeJob = (o: JobObservation): void => {
    const iface = this.#kinds.of(o.kind);
    const partner = this.#partners.of(o.partnerId);
    const code = this.#codes.of(o.code);
    this.#child(this.jobs, `j|${iface}|${partner}|${o.outcome}|${code}`, {
      interface: iface,
      partner,
      outcome: o.outcome,
      code,
    }).inc();
    if (o.outcome === 'deferred') return;
    this.#child(this.jobDuration, `jd|${iface}|${partner}`, { interface: iface, partner }).observe!(
      o.durationMs / 1000,
    );
    if (o.outcome === 'retry')
      this.#child(this.retries, `jr|${iface}|${partner}`, { interface: iface, partner }).inc();
  };

  /** One request to the hub's API; `route` is the route pattern (never the URL). */
  observeApi(route: string | undefined, method: string, status: number, durationMs: number): void {
    const r = this.#routes.of(route ?? 'unmatched');
    const m = /^[A-Z]{3,7}$/.test(method) ? method : 'other';
    const s = statusLabel(status);
    this.#child(this.apiRequests, `a|${r}|${m}|${s}`, { route: r, method: m, status: s }).inc();
    this.#child(this.apiDuration, `ad|${r}|${m}`, { route: r, method: m }).observe!(durationMs / 1000);
  }

  /** Reads the scrape-time figures into their gauges. */
  async refresh(nowMs = Date.now()): Promise<void> {
    const src = this.#sources;
    if (src.queueStats) {
      const stats = await src.queueStats();
      this.queueJobs.reset();
      this.queueOldestAge.reset();
      this.deadLetters.reset();
      const oldest = new Map<string, number>();
      for (const s of stats) {
        const iface = this.#kinds.of(s.kind);
        this.queueJobs.inc({ interface: iface, status: s.status }, s.count);
        if (s.status === 'dead') this.deadLetters.inc({ interface: iface }, s.count);
        if ((s.status === 'ready' || s.status === 'leased') && s.oldestCreatedAt !== null) {
          oldest.set(iface, Math.min(oldest.get(iface) ?? Infinity, s.oldestCreatedAt));
        }
      }
      for (const [iface, at] of oldest)
        this.queueOldestAge.set({ interface: iface }, Math.max(0, (nowMs - at) / 1000));
    }
    if (src.partners) {
      for (const g of [
        this.channelUp,
        this.channelCircuit,
        this.channelActive,
        this.channelFailures,
        this.rateLimitGate,
        this.partnerSuspended,
        this.probeUp,
        this.probeLatency,
        this.probeAge,
      ])
        g.reset();
      for (const p of src.partners()) {
        const partner = this.#partners.of(p.id);
        const suspended = p.suspendedUntil ? Date.parse(p.suspendedUntil) - nowMs : 0;
        this.partnerSuspended.set({ partner }, Math.max(0, suspended / 1000));
        for (const c of p.channels) {
          const channel = this.#channels.of(c.name);
          const l = { partner, channel };
          this.channelUp.set({ partner, tier: p.tier, channel }, c.state === 'closed' ? 1 : 0);
          for (const state of ['closed', 'open', 'half_open'])
            this.channelCircuit.set({ ...l, state }, c.state === state ? 1 : 0);
          this.channelActive.set(l, c.active ? 1 : 0);
          this.channelFailures.set(l, c.consecutiveFailures);
          const gate = c.rateLimitedUntil ? Date.parse(c.rateLimitedUntil) - nowMs : 0;
          this.rateLimitGate.set(l, Math.max(0, gate / 1000));
          if (c.lastProbe) {
            this.probeUp.set(l, c.lastProbe.ok ? 1 : 0);
            this.probeLatency.set(l, c.lastProbe.latencyMs / 1000);
            this.probeAge.set(l, Math.max(0, (nowMs - Date.parse(c.lastProbe.at)) / 1000));
          }
        }
      }
    }
    for (const fn of src.extra ?? []) await fn();
  }

  /** The text exposition, figures refreshed first. */
  async render(): Promise<{ contentType: string; body: string }> {
    await this.refresh();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
