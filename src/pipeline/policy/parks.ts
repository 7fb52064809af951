/**
 * Parked partners, durable. A partner that answers 429 is parked — its channels gated, or the
 * whole partner suspended [004-2.2] — for at most what its policy allows (policy.ts
 * `partnerWaitMs`). A park long enough to matter is written to the store, so a restart does not
 * forget it (and start hammering a partner that asked for quiet), and an operator can release
 * it with `waygate partners release ID` (or Hub.releasePartner in process). A release is recorded
 * as its own row, so every hub node (and the one that wrote the park) clears the park it holds
 * in memory on its next sync, and the jobs the park deferred are due again at once.
 */
import { recordAudit } from '../../store/audit.js';
import type { Store } from '../../store/db.js';
import {
  deleteSetting,
  PARK_PREFIX as PARK,
  putSetting,
  releaseDeferredJobs,
  RELEASE_PREFIX as RELEASE,
  settingsWithPrefix,
} from '../../store/partner-parks.js';
import type { Executor } from '../../store/transaction.js';
import type { ParkState, PartnerRuntime } from './runtime.js';

export interface StoredPark {
  partnerId: string;
  state: ParkState;
  reason: string;
  /** When the park was (last) written. */
  atMs: number;
}

export interface StoredRelease {
  partnerId: string;
  atMs: number;
  actor: string;
}

const finite = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function parseState(value: unknown): ParkState {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const channels: Record<string, number> = {};
  if (typeof v.channels === 'object' && v.channels !== null) {
    for (const [name, until] of Object.entries(v.channels)) channels[name] = finite(until);
  }
  return { suspendedUntil: finite(v.suspendedUntil), channels };
}

/** Writes a partner's park: the runtime's current gates (which only grow until a release). */
export async function savePark(ex: Executor, park: StoredPark): Promise<void> {
  const value = JSON.stringify({ state: park.state, reason: park.reason.slice(0, 300), atMs: park.atMs });
  await putSetting(ex, `${PARK}${park.partnerId}`, value, park.atMs);
}

async function rows(ex: Executor, prefix: string): Promise<Array<{ id: string; value: unknown }>> {
  const found = await settingsWithPrefix(ex, prefix);
  return found.map((r) => {
    let value: unknown;
    try {
      value = JSON.parse(r.value);
    } catch {
      value = undefined;
    }
    return { id: r.key.slice(prefix.length), value };
  });
}

export async function loadParks(ex: Executor): Promise<StoredPark[]> {
  return (await rows(ex, PARK)).map(({ id, value }) => {
    const v = (value ?? {}) as Record<string, unknown>;
    return {
      partnerId: id,
      state: parseState(v.state),
      reason: typeof v.reason === 'string' ? v.reason : '',
      atMs: finite(v.atMs),
    };
  });
}

export async function loadReleases(ex: Executor): Promise<StoredRelease[]> {
  return (await rows(ex, RELEASE)).map(({ id, value }) => {
    const v = (value ?? {}) as Record<string, unknown>;
    return { partnerId: id, atMs: finite(v.atMs), actor: typeof v.actor === 'string' ? v.actor : '' };
  });
}

export interface ReleaseResult {
  partnerId: string;
  /** A park was stored for the partner (it may already have run out). */
  wasParked: boolean;
  /** Jobs moved from later to now. */
  jobsReleased: number;
}

/**
 * Releases a parked partner: the stored park is removed, the release recorded (every node clears
 * its in-memory gates on its next sync), the jobs the park deferred made due now, and the act
 * audited — all in one transaction. `kinds` are the job kinds that call partners without naming
 * one (a shipment's carrier is chosen when it runs); those deferred are made due too, and a job
 * of another partner simply defers again without spending an attempt.
 */
export async function releasePark(
  store: Store,
  partnerId: string,
  opts: { actor: string; reason: string; kinds: readonly string[]; interface: string; nowMs?: number },
): Promise<ReleaseResult> {
  const nowMs = opts.nowMs ?? Date.now();
  return store.write(async (trx) => {
    const wasParked = await deleteSetting(trx, `${PARK}${partnerId}`);
    await putSetting(
      trx,
      `${RELEASE}${partnerId}`,
      JSON.stringify({ atMs: nowMs, actor: opts.actor }),
      nowMs,
    );
    const jobsReleased = await releaseDeferredJobs(trx, partnerId, opts.kinds, nowMs);
    const result: ReleaseResult = { partnerId, wasParked, jobsReleased };
    await recordAudit(
      trx,
      {
        actor: opts.actor,
        action: 'partner.released',
        target: `partner:${partnerId}`,
        detail: {
          reason: opts.reason.slice(0, 300),
          wasParked: result.wasParked,
          jobsReleased: result.jobsReleased,
        },
        outcome: 'ok',
        interface: opts.interface,
      },
      nowMs,
    );
    return result;
  });
}

/**
 * Brings a node's in-memory gates in line with the store: a release recorded after a partner's
 * park clears it; a stored park (a restart, another node) is applied, capped by the policy in
 * force. Returns the partners released here.
 */
export async function syncParks(
  ex: Executor,
  runtimes: Iterable<PartnerRuntime<unknown>>,
  seen: Map<string, number>,
  nowMs = Date.now(),
): Promise<string[]> {
  const [parks, releases] = await Promise.all([loadParks(ex), loadReleases(ex)]);
  const byId = new Map<string, PartnerRuntime<unknown>>();
  for (const r of runtimes) byId.set(r.id, r);
  const released: string[] = [];
  for (const rel of releases) {
    const rt = byId.get(rel.partnerId);
    if (!rt || rel.atMs <= (seen.get(rel.partnerId) ?? 0)) continue;
    seen.set(rel.partnerId, rel.atMs);
    // A park started after the release (a new 429) is not what the operator released.
    if (rt.shared.parkedAt <= rel.atMs && rt.release(nowMs)) released.push(rel.partnerId);
  }
  for (const park of parks) {
    const rt = byId.get(park.partnerId);
    if (!rt) continue;
    const releasedAt = releases.find((r) => r.partnerId === park.partnerId)?.atMs ?? 0;
    if (park.atMs > releasedAt) rt.applyPark(park.state, park.atMs, nowMs);
  }
  return released;
}
