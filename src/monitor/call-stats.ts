/**
 * Call statistics per minute, interface and partner: what alert rules and the daily/weekly
 * reports read. Each node keeps the running totals of its current minutes in memory (fed by the
 * worker's observations, the same ones /metrics counts) and writes them to the store every
 * flush; readers sum all nodes' rows. Latency is kept as a fixed-bucket histogram, so
 * percentiles over any window are computed from summed buckets.
 */
import type { JobObservation } from '../pipeline/worker.js';
import { upsertCallMinutes, type OpCallMinutesTable } from '../store/operations.js';
import type { Executor } from '../store/transaction.js';

/** Upper bounds of the latency buckets, ms; a last bucket holds everything above. */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

const MINUTE = 60_000;

interface Running {
  minute: number;
  iface: string;
  partner: string;
  calls: number;
  ok: number;
  dead: number;
  deferred: number;
  latencySum: number;
  buckets: number[];
  codes: Record<string, number>;
  dirty: boolean;
}

export class CallStats {
  readonly #node: string;
  readonly #bucketMs: number;
  readonly #running = new Map<string, Running>();

  /** `bucketMs`: a minute by default; reports and alert windows sum buckets of any size. */
  constructor(node: string, bucketMs = MINUTE) {
    this.#node = node;
    this.#bucketMs = bucketMs;
  }

  /** For the worker's `observe` (alongside the metrics). */
  readonly observe = (o: JobObservation, nowMs = Date.now()): void => {
    const minute = nowMs - (nowMs % this.#bucketMs);
    const partner = o.partnerId ?? 'none';
    const key = `${minute}|${o.kind}|${partner}`;
    let r = this.#running.get(key);
    if (!r) {
      r = {
        minute,
        iface: o.kind,
        partner,
        calls: 0,
        ok: 0,
        dead: 0,
        deferred: 0,
        latencySum: 0,
        buckets: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
        codes: {},
        dirty: true,
      };
      this.#running.set(key, r);
    }
    r.dirty = true;
    if (o.outcome === 'deferred') {
      r.deferred++;
      return;
    }
    r.calls++;
    if (o.outcome === 'ok') r.ok++;
    else {
      if (o.outcome === 'dead') r.dead++;
      r.codes[o.code] = (r.codes[o.code] ?? 0) + 1;
    }
    r.latencySum += o.durationMs;
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && o.durationMs > LATENCY_BOUNDS_MS[i]!) i++;
    r.buckets[i]!++;
  };

  /** Writes changed minutes; minutes older than two minutes are written once more and dropped. */
  async flush(ex: Executor, nowMs = Date.now()): Promise<number> {
    const rows: OpCallMinutesTable[] = [];
    const done: string[] = [];
    for (const [key, r] of this.#running) {
      const closed = r.minute < nowMs - 2 * Math.max(this.#bucketMs, MINUTE);
      if (r.dirty) {
        rows.push({
          minute: r.minute,
          node: this.#node,
          interface: r.iface,
          partner: r.partner,
          calls: r.calls,
          ok: r.ok,
          dead: r.dead,
          deferred: r.deferred,
          latency_ms_sum: r.latencySum,
          latency_buckets: JSON.stringify(r.buckets),
          codes: JSON.stringify(r.codes),
        });
        r.dirty = false;
      }
      if (closed) done.push(key);
    }
    if (rows.length > 0) await upsertCallMinutes(ex, rows);
    for (const key of done) this.#running.delete(key);
    return rows.length;
  }
}

/** Minutes summed: volume, successes, failures by code, latency histogram. */
export interface WindowSummary {
  calls: number;
  ok: number;
  dead: number;
  deferred: number;
  latencySum: number;
  buckets: number[];
  codes: Record<string, number>;
}

export function emptySummary(): WindowSummary {
  return {
    calls: 0,
    ok: 0,
    dead: 0,
    deferred: 0,
    latencySum: 0,
    buckets: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
    codes: {},
  };
}

export function addRow(into: WindowSummary, row: OpCallMinutesTable): WindowSummary {
  into.calls += row.calls;
  into.ok += row.ok;
  into.dead += row.dead;
  into.deferred += row.deferred;
  into.latencySum += row.latency_ms_sum;
  const buckets = JSON.parse(row.latency_buckets) as number[];
  buckets.forEach((n, i) => {
    into.buckets[i] = (into.buckets[i] ?? 0) + n;
  });
  for (const [code, n] of Object.entries(JSON.parse(row.codes) as Record<string, number>))
    into.codes[code] = (into.codes[code] ?? 0) + n;
  return into;
}

export function summarise(rows: readonly OpCallMinutesTable[]): WindowSummary {
  return rows.reduce(addRow, emptySummary());
}

/** Successes over calls; 1 with no calls (nothing failed). */
export function successRate(s: WindowSummary): number {
  return s.calls === 0 ? 1 : s.ok / s.calls;
}

/**
 * The latency percentile `p` (0–100) in ms from the histogram, interpolated linearly within
 * its bucket (the open last bucket reports its lower bound). 0 with no calls.
 */
export function percentileMs(s: WindowSummary, p: number): number {
  const total = s.buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = (p / 100) * total;
  let seen = 0;
  for (let i = 0; i < s.buckets.length; i++) {
    const n = s.buckets[i]!;
    if (seen + n >= rank && n > 0) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i];
      if (upper === undefined) return lower;
      return lower + ((rank - seen) / n) * (upper - lower);
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS.at(-1)!;
}
