/**
 * Service quality as the console shows it [001-6.5]: per time bucket and per interface / partner,
 * volume, success rate, latency and timeliness, from what the store already records (orders,
 * shipments, the API call audit, jobs' errors). The monthly per-partner error breakdown
 * [003-6.2] uses the same sources over a calendar month. Orders and shipments are read through the
 * hourly rollups on SQLite (store/stats-rollups.ts, migration 028).
 */
import type { Store } from '../store/db.js';
import { apiCallSeries, partnerJobErrors, type Window } from '../store/console-stats.js';
import {
  carrierTimeliness,
  failedOrdersBySource,
  orderVolumeSeries,
  ordersBySource,
  shipmentsByCarrierStatus,
} from '../store/stats-rollups.js';
import { parseJobError } from '../store/dlq.js';

/** An order's waybill within this time counts as on time (the tier A target of [004-1]). */
export const DEFAULT_ON_TIME_MS = 3_600_000;

export interface QualityQuery extends Window {
  bucketMs: number;
  onTimeMs?: number;
}

const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** The overview: series for the charts and a table row per interface and per partner. */
export async function serviceQuality(store: Store, q: QualityQuery) {
  const db = store.db;
  const onTimeMs = q.onTimeMs ?? DEFAULT_ON_TIME_MS;
  const [volume, sources, carriers, api] = await Promise.all([
    orderVolumeSeries(db, store.dialect, q, q.bucketMs),
    ordersBySource(db, store.dialect, q),
    carrierTimeliness(db, store.dialect, q, q.bucketMs, onTimeMs),
    apiCallSeries(db, store.dialect, q, q.bucketMs),
  ]);

  const buckets: number[] = [];
  for (let at = Math.floor(q.from / q.bucketMs) * q.bucketMs; at < q.to; at += q.bucketMs) buckets.push(at);
  const index = new Map(buckets.map((at, i) => [at, i]));
  const zeros = () => buckets.map(() => 0);

  const received = zeros();
  const failed = zeros();
  for (const r of volume) {
    const i = index.get(r.at);
    if (i === undefined) continue;
    received[i] = (received[i] ?? 0) + r.count;
    if (r.status === 'failed') failed[i] = (failed[i] ?? 0) + r.count;
  }

  const perCarrier = new Map<string, { shipments: number[]; waitSum: number[]; onTime: number[] }>();
  const carrierTotals = new Map<
    string,
    { shipments: number; waitSumMs: number; onTime: number; exceptions: number; delivered: number }
  >();
  for (const r of carriers) {
    const i = index.get(r.at);
    if (i === undefined) continue;
    let s = perCarrier.get(r.carrier);
    if (!s) perCarrier.set(r.carrier, (s = { shipments: zeros(), waitSum: zeros(), onTime: zeros() }));
    s.shipments[i] = (s.shipments[i] ?? 0) + r.shipments;
    s.waitSum[i] = (s.waitSum[i] ?? 0) + r.waitSumMs;
    s.onTime[i] = (s.onTime[i] ?? 0) + r.onTime;
    const t = carrierTotals.get(r.carrier) ?? {
      shipments: 0,
      waitSumMs: 0,
      onTime: 0,
      exceptions: 0,
      delivered: 0,
    };
    t.shipments += r.shipments;
    t.waitSumMs += r.waitSumMs;
    t.onTime += r.onTime;
    t.exceptions += r.exceptions;
    t.delivered += r.delivered;
    carrierTotals.set(r.carrier, t);
  }

  const calls = zeros();
  const callErrors = zeros();
  const callMs = zeros();
  const routes = new Map<
    string,
    { calls: number; clientErrors: number; serverErrors: number; msSum: number; msMax: number }
  >();
  for (const r of api) {
    const i = index.get(r.at);
    if (i === undefined) continue;
    calls[i] = (calls[i] ?? 0) + r.calls;
    callErrors[i] = (callErrors[i] ?? 0) + r.serverErrors;
    callMs[i] = (callMs[i] ?? 0) + r.msSum;
    const t = routes.get(r.route) ?? { calls: 0, clientErrors: 0, serverErrors: 0, msSum: 0, msMax: 0 };
    t.calls += r.calls;
    t.clientErrors += r.clientErrors;
    t.serverErrors += r.serverErrors;
    t.msSum += r.msSum;
    t.msMax = Math.max(t.msMax, r.msMax);
    routes.set(r.route, t);
  }

  const shippedTotal = [...carrierTotals.values()].reduce((a, t) => a + t.shipments, 0);
  const receivedTotal = received.reduce((a, b) => a + b, 0);
  const failedTotal = failed.reduce((a, b) => a + b, 0);

  return {
    from: new Date(q.from).toISOString(),
    to: new Date(q.to).toISOString(),
    bucketMs: q.bucketMs,
    onTimeMs,
    totals: {
      received: receivedTotal,
      failed: failedTotal,
      shipped: shippedTotal,
      /** Orders that did not fail, of those received (null without traffic). */
      successRate: ratio(receivedTotal - failedTotal, receivedTotal),
      apiCalls: calls.reduce((a, b) => a + b, 0),
    },
    series: {
      at: buckets.map((at) => new Date(at).toISOString()),
      received,
      failed,
      successRate: received.map((r, i) => ratio(r - (failed[i] ?? 0), r)),
      apiCalls: calls,
      apiAvgMs: calls.map((c, i) => (c === 0 ? null : (callMs[i] ?? 0) / c)),
      apiServerErrors: callErrors,
      carriers: [...perCarrier].map(([carrier, s]) => ({
        carrier,
        shipments: s.shipments,
        avgWaitMs: s.shipments.map((c, i) => (c === 0 ? null : (s.waitSum[i] ?? 0) / c)),
        onTimeRate: s.shipments.map((c, i) => ratio(s.onTime[i] ?? 0, c)),
      })),
    },
    interfaces: [...routes]
      .map(([route, t]) => ({
        route,
        calls: t.calls,
        clientErrors: t.clientErrors,
        serverErrors: t.serverErrors,
        successRate: ratio(t.calls - t.serverErrors, t.calls),
        avgMs: t.calls === 0 ? null : t.msSum / t.calls,
        maxMs: t.msMax,
      }))
      .sort((a, b) => b.calls - a.calls),
    partners: [...carrierTotals]
      .map(([carrier, t]) => ({
        partner: carrier,
        shipments: t.shipments,
        delivered: t.delivered,
        exceptions: t.exceptions,
        avgWaitMs: t.shipments === 0 ? null : t.waitSumMs / t.shipments,
        onTimeRate: ratio(t.onTime, t.shipments),
      }))
      .sort((a, b) => a.partner.localeCompare(b.partner)),
    sources: summariseSources(sources),
  };
}

function summariseSources(rows: Array<{ source: string; status: string; count: number }>) {
  const by = new Map<string, { received: number; failed: number; cancelled: number }>();
  for (const r of rows) {
    const t = by.get(r.source) ?? { received: 0, failed: 0, cancelled: 0 };
    t.received += r.count;
    if (r.status === 'failed') t.failed += r.count;
    if (r.status === 'cancelled') t.cancelled += r.count;
    by.set(r.source, t);
  }
  return [...by]
    .map(([source, t]) => ({ source, ...t, successRate: ratio(t.received - t.failed, t.received) }))
    .sort((a, b) => a.source.localeCompare(b.source));
}

/** The calendar month `YYYY-MM` in UTC as a window. */
export function monthWindow(month: string): Window {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return { from: Date.UTC(y, m - 1, 1), to: Date.UTC(y, m, 1) };
}

/**
 * A month's per-partner error breakdown: shipments by status, jobs with errors by error code
 * (retrying and dead apart), the share of the partner's work that erred, and orders that failed
 * per sales channel.
 */
export async function partnerErrorBreakdown(store: Store, month: string) {
  const w = monthWindow(month);
  const [shipments, errors, failedOrders] = await Promise.all([
    shipmentsByCarrierStatus(store.db, store.dialect, w),
    partnerJobErrors(store.db, w),
    failedOrdersBySource(store.db, store.dialect, w),
  ]);
  type Row = {
    shipments: number;
    byStatus: Record<string, number>;
    codes: Map<string, { retrying: number; dead: number }>;
  };
  const partners = new Map<string, Row>();
  const row = (id: string) => {
    let r = partners.get(id);
    if (!r) partners.set(id, (r = { shipments: 0, byStatus: {}, codes: new Map() }));
    return r;
  };
  for (const s of shipments) {
    const r = row(s.carrier);
    r.shipments += s.count;
    r.byStatus[s.status] = (r.byStatus[s.status] ?? 0) + s.count;
  }
  for (const e of errors) {
    const code = parseJobError(e.lastError)?.code ?? 'error';
    const r = row(e.partnerId);
    const c = r.codes.get(code) ?? { retrying: 0, dead: 0 };
    if (e.status === 'dead') c.dead += e.count;
    else c.retrying += e.count;
    r.codes.set(code, c);
  }
  return {
    month,
    from: new Date(w.from).toISOString(),
    to: new Date(w.to).toISOString(),
    partners: [...partners]
      .map(([partner, r]) => {
        const errorsTotal = [...r.codes.values()].reduce((a, c) => a + c.retrying + c.dead, 0);
        return {
          partner,
          shipments: r.shipments,
          byStatus: r.byStatus,
          errors: errorsTotal,
          errorRate: ratio(errorsTotal, r.shipments + errorsTotal),
          codes: [...r.codes]
            .map(([code, c]) => ({ code, retrying: c.retrying, dead: c.dead, total: c.retrying + c.dead }))
            .sort((a, b) => b.total - a.total),
        };
      })
      .sort((a, b) => a.partner.localeCompare(b.partner)),
    failedOrders,
  };
}
