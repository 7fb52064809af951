/**
 * Tracking delays to merchants [002-4.4]. Each lane (carrier → destination country) has an
 * expected transit time and a no-scan threshold: configured in the operations file, or learned
 * from the lane's delivered shipments (the configured percentile of their transit times, once
 * there are enough of them). A shipment not yet delivered that has had no scan for longer than
 * its lane's threshold, whose ETA has passed, or that is held in customs gets an exception —
 * recorded once per shipment and reason, written on its order's history — and its merchant (the
 * order's source) is told by a signed webhook. An exception resolves by itself when the
 * shipment scans again, leaves customs or reaches its end.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import { appendHistory, getOrderRow } from '../store/orders.js';
import {
  activeShipments,
  deliveredTransits,
  insertShipmentException,
  listShipmentExceptions,
  markExceptionNotified,
  resolveExceptions,
  type ActiveShipment,
} from '../store/operations.js';
import type { Notifier } from './notify.js';
import { ms, type OperationsFile } from './ops-config.js';

export const DELAY_REASONS = ['no_scan', 'eta_passed', 'customs_hold'] as const;
export type DelayReason = (typeof DELAY_REASONS)[number];

export interface LaneExpectation {
  carrier: string;
  destination: string;
  transitMs: number | null;
  noScanAfterMs: number;
  source: 'configured' | 'learned' | 'default';
  samples: number;
}

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Every lane's expectation: configured lanes first, then lanes learned from delivered history. */
export async function laneExpectations(
  store: Store,
  ops: OperationsFile,
  nowMs = Date.now(),
): Promise<LaneExpectation[]> {
  const d = ops.delays ?? {};
  const defaultNoScan = ms(d.noScanAfter, '72h');
  const lanes = new Map<string, LaneExpectation>();
  for (const l of d.lanes ?? [])
    lanes.set(`${l.carrier}|${l.destination}`, {
      carrier: l.carrier,
      destination: l.destination,
      transitMs: ms(l.transit, 0),
      noScanAfterMs: ms(l.noScanAfter, defaultNoScan),
      source: 'configured',
      samples: 0,
    });
  const minSamples = d.learn?.minSamples ?? 20;
  const p = d.learn?.percentile ?? 90;
  const history = await deliveredTransits(store.db, nowMs - ms(d.learn?.lookback, '60d'));
  const byLane = new Map<string, number[]>();
  for (const h of history) {
    const key = `${h.carrier}|${h.destination}`;
    const list = byLane.get(key) ?? [];
    list.push(h.transitMs);
    byLane.set(key, list);
  }
  for (const [key, times] of byLane) {
    if (lanes.has(key) || times.length < minSamples) continue;
    const [carrier, destination] = key.split('|') as [string, string];
    times.sort((a, b) => a - b);
    lanes.set(key, {
      carrier,
      destination,
      transitMs: percentile(times, p),
      noScanAfterMs: defaultNoScan,
      source: 'learned',
      samples: times.length,
    });
  }
  return [...lanes.values()];
}

interface Finding {
  reason: DelayReason;
  detail: string;
}

function findings(
  s: ActiveShipment,
  lane: LaneExpectation | undefined,
  defaultNoScan: number,
  nowMs: number,
): Finding[] {
  const out: Finding[] = [];
  if (s.status === 'customs_held') out.push({ reason: 'customs_hold', detail: 'held in customs' });
  const noScanAfter = lane?.noScanAfterMs ?? defaultNoScan;
  const last = s.lastEventAt ?? s.createdAt;
  if (nowMs - last > noScanAfter)
    out.push({
      reason: 'no_scan',
      detail: `no scan since ${new Date(last).toISOString()} (lane threshold ${Math.round(noScanAfter / 3_600_000)} h)`,
    });
  const etaFromCarrier = s.estimatedDelivery ? Date.parse(s.estimatedDelivery) : NaN;
  // A date-only ETA means "by the end of that day".
  const eta = Number.isFinite(etaFromCarrier)
    ? etaFromCarrier + (/^\d{4}-\d{2}-\d{2}$/.test(s.estimatedDelivery ?? '') ? 86_400_000 : 0)
    : lane?.transitMs
      ? s.createdAt + lane.transitMs
      : NaN;
  if (Number.isFinite(eta) && nowMs > eta)
    out.push({ reason: 'eta_passed', detail: `expected by ${new Date(eta).toISOString()}` });
  return out;
}

export interface DelayCheckResult {
  checked: number;
  raised: number;
  notified: number;
  resolved: number;
}

export class DelayWatch {
  readonly #store: Store;
  readonly #notifier: Notifier;
  readonly #ops: () => OperationsFile | undefined;
  readonly #log: Logger | undefined;

  constructor(store: Store, notifier: Notifier, ops: () => OperationsFile | undefined, log?: Logger) {
    this.#store = store;
    this.#notifier = notifier;
    this.#ops = ops;
    this.#log = log;
  }

  async check(nowMs = Date.now()): Promise<DelayCheckResult> {
    const ops = this.#ops() ?? {};
    const defaultNoScan = ms(ops.delays?.noScanAfter, '72h');
    const lanes = new Map(
      (await laneExpectations(this.#store, ops, nowMs)).map((l) => [`${l.carrier}|${l.destination}`, l]),
    );
    const shipments = await activeShipments(this.#store.db, 20_000);
    const open = await listShipmentExceptions(this.#store.db, { open: true, limit: 50_000 });
    const result: DelayCheckResult = { checked: shipments.length, raised: 0, notified: 0, resolved: 0 };
    const stillHolding = new Set<string>();
    const openByKey = new Map(open.map((e) => [`${e.shipment_id}|${e.reason}`, e]));
    for (const s of shipments) {
      for (const f of findings(s, lanes.get(`${s.carrier}|${s.destination}`), defaultNoScan, nowMs)) {
        stillHolding.add(`${s.id}|${f.reason}`);
        const existing = openByKey.get(`${s.id}|${f.reason}`);
        // Raised before and its merchant already told (or none to tell): nothing to do.
        if (existing && existing.notified_at !== null) continue;
        const id = existing?.id ?? newId('dly', nowMs);
        const raised = await this.#store.write(async (trx) => {
          const inserted = await insertShipmentException(trx, {
            id,
            shipment_id: s.id,
            order_id: s.orderId,
            carrier: s.carrier,
            waybill_no: s.waybillNo,
            reason: f.reason,
            detail: f.detail,
            detected_at: nowMs,
            notified_at: null,
            resolved_at: null,
          });
          if (inserted) {
            const order = await getOrderRow(trx, s.orderId);
            await appendHistory(
              trx,
              s.orderId,
              order?.status ?? 'shipped',
              `delay exception ${f.reason}: ${f.detail}`,
              nowMs,
            );
          }
          return inserted;
        });
        if (raised) result.raised++;
        else if (!existing) continue;
        if (raised)
          this.#log?.warn(
            { shipment: s.id, carrier: s.carrier, reason: f.reason },
            'shipment delay exception',
          );
        const merchant = ops.delays?.merchants?.[s.source];
        if (!merchant) continue;
        // A merchant that did not answer is told again at the next check.
        const ok = await this.#notifier.webhook(
          {
            event: 'shipment.delayed',
            severity: 'minor',
            subject: `shipment ${s.waybillNo} delayed: ${f.reason}`,
            text: f.detail,
            shipmentId: s.id,
            data: {
              shipment: {
                id: s.id,
                orderId: s.orderId,
                carrier: s.carrier,
                waybillNo: s.waybillNo,
                status: s.status,
                destination: s.destination,
                lastScanAt: s.lastEventAt === null ? null : new Date(s.lastEventAt).toISOString(),
              },
              exception: {
                id,
                reason: f.reason,
                detail: f.detail,
                detectedAt: new Date(nowMs).toISOString(),
              },
            },
          },
          `merchant:${s.source}`,
          merchant,
          nowMs,
        );
        if (ok) {
          result.notified++;
          await this.#store.write((trx) => markExceptionNotified(trx, id, nowMs));
        }
      }
    }
    const cleared = open.filter((e) => !stillHolding.has(`${e.shipment_id}|${e.reason}`)).map((e) => e.id);
    await this.#store.write((trx) => resolveExceptions(trx, cleared, nowMs));
    result.resolved = cleared.length;
    return result;
  }
}
