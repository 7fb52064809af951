/**
 * Admission control [003-6.4]: the gateway accepts only work it can hold. Two bounds guard the
 * routes that create work: requests being processed at once, and the backlog of jobs waiting
 * in the queue. Above either, the caller gets 503 with Retry-After before anything is stored,
 * so an accepted order is never at risk and a refused one is simply sent again later.
 */
import type { FastifyInstance } from 'fastify';
import { sendError } from './errors.js';

export interface AdmissionLimits {
  /** Work-creating requests processed at once on this node. */
  maxInFlight: number;
  /** Jobs waiting in the queue (all nodes) above which new work is refused. */
  maxBacklog: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = { maxInFlight: 1024, maxBacklog: 200_000 };

const BACKLOG_REFRESH_MS = 250;

export function installAdmission(
  app: FastifyInstance,
  limits: () => AdmissionLimits,
  backlog: () => Promise<number>,
  isWorkRoute: (method: string, url: string) => boolean,
): void {
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

  app.addHook('onRequest', async (req, reply) => {
    if (!isWorkRoute(req.method, req.url)) return;
    const l = limits();
    if (inFlight >= l.maxInFlight) {
      reply.header('retry-after', '1');
      return sendError(
        reply,
        'overloaded',
        `the hub is at capacity (${l.maxInFlight} requests in progress); retry after 1 s`,
      );
    }
    if (Date.now() - checkedAt > BACKLOG_REFRESH_MS) await refresh();
    if (knownBacklog >= l.maxBacklog) {
      reply.header('retry-after', '5');
      return sendError(
        reply,
        'backlog_full',
        `the queue holds ${knownBacklog} jobs (limit ${l.maxBacklog}); retry after 5 s`,
      );
    }
    inFlight++;
    req.admitted = true;
  });
  app.addHook('onResponse', async (req) => {
    if (req.admitted) inFlight--;
  });
}
