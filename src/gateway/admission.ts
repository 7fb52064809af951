/**
 * Admission control [003-6.4]: the gateway accepts only work it can hold. Two bounds guard the
 * routes that create work: requests being processed at once, and the backlog of jobs waiting
 * in the queue. Above either, the caller gets 503 with Retry-After before anything is stored,
 * so an accepted order is never at risk and a refused one is simply sent again later.
 *
 * Only authenticated work is counted, and a slot cannot leak: a work route runs its work through
 * `run` once the caller is known (API key routes: in the handler, after the auth hook,
 * validation and the rate limit; partner pushes: once the partner's signature verifies). The
 * slot is taken right before the work and given back in `finally` when it ends — returned,
 * thrown, whatever the client did meanwhile. A client that sends half a body and walks away
 * never reaches a handler, so it never holds a slot; one that closes the connection while its
 * order is being stored holds it until the store is done, which is the work it caused.
 */
import type { FastifyReply } from 'fastify';
import { sendError } from './errors.js';

export interface AdmissionLimits {
  /** Work-creating requests processed at once on this node. */
  maxInFlight: number;
  /** Jobs waiting in the queue (all nodes) above which new work is refused. */
  maxBacklog: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = { maxInFlight: 1024, maxBacklog: 200_000 };

const BACKLOG_REFRESH_MS = 250;

/** Why new work would be refused now; empty when there is room. */
export interface CapacityReason {
  code: 'overloaded' | 'backlog_full';
  message: string;
}

export interface Capacity {
  inFlight: number;
  maxInFlight: number;
  backlog: number;
  maxBacklog: number;
  reasons: CapacityReason[];
}

/** What readiness probes and tests may see of admission. */
export interface AdmissionView {
  /** Work-creating requests admitted on this node whose response has not ended yet. */
  inFlight(): number;
  /** The current figures and, when new work would be refused, why. */
  capacity(): Promise<Capacity>;
}

export interface Admission extends AdmissionView {
  /**
   * Runs `work` as admitted work, holding one slot exactly while it runs; when the node is at
   * capacity, answers 503 with Retry-After instead and returns the reply without running it.
   */
  run<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply>;
}

export function createAdmission(limits: () => AdmissionLimits, backlog: () => Promise<number>): Admission {
  let inFlight = 0;
  let knownBacklog = 0;
  let checkedAt = 0;
  let refreshing: Promise<void> | undefined;
  const refresh = () => {
    refreshing ??= backlog()
      .then((n) => {
        knownBacklog = n;
        checkedAt = Date.now();
      })
      .catch(() => undefined)
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };
  const freshBacklog = async () => {
    if (Date.now() - checkedAt > BACKLOG_REFRESH_MS) await refresh();
    return knownBacklog;
  };
  const reasonsFor = (l: AdmissionLimits, queued: number): CapacityReason[] => {
    const reasons: CapacityReason[] = [];
    if (inFlight >= l.maxInFlight)
      reasons.push({
        code: 'overloaded',
        message: `the hub is at capacity (${l.maxInFlight} requests in progress)`,
      });
    if (queued >= l.maxBacklog)
      reasons.push({
        code: 'backlog_full',
        message: `the queue holds ${queued} jobs (limit ${l.maxBacklog})`,
      });
    return reasons;
  };

  async function run<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
    const queued = await freshBacklog();
    // From the check to the increment nothing awaits, so concurrent admissions cannot overshoot.
    const [refused] = reasonsFor(limits(), queued);
    if (refused) {
      const wait = refused.code === 'overloaded' ? 1 : 5;
      reply.header('retry-after', String(wait));
      return sendError(reply, refused.code, `${refused.message}; retry after ${wait} s`);
    }
    inFlight++;
    try {
      return await work();
    } finally {
      inFlight--;
    }
  }

  return {
    run,
    inFlight: () => inFlight,
    capacity: async () => {
      const queued = await freshBacklog();
      const l = limits();
      return {
        inFlight,
        maxInFlight: l.maxInFlight,
        backlog: queued,
        maxBacklog: l.maxBacklog,
        reasons: reasonsFor(l, queued),
      };
    },
  };
}
