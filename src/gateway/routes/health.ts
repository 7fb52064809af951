import type { FastifyPluginAsync } from 'fastify';
import type { GatewayDeps } from '../types.js';
import type { AdmissionView } from '../admission.js';

/**
 * `/healthz`: the process answers. `/readyz`: this node can take new work now — the store
 * answers, the workers run, and admission has room (requests in progress below the limit, the
 * queue's backlog below its bound). A node that would refuse new orders with 503 is not ready,
 * and the body says why, so a balancer sends the work elsewhere.
 */
export const healthRoutes =
  (deps: GatewayDeps, admission: AdmissionView): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
      const [serving, capacity] = await Promise.all([
        deps.isReady().catch(() => false),
        admission.capacity(),
      ]);
      const reasons = [
        ...(serving
          ? []
          : [{ code: 'not_serving', message: 'the store does not answer or the workers are stopped' }]),
        ...capacity.reasons,
      ];
      const ready = reasons.length === 0;
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        ...(ready ? {} : { reasons }),
        admission: {
          inFlight: capacity.inFlight,
          maxInFlight: capacity.maxInFlight,
          backlog: capacity.backlog,
          maxBacklog: capacity.maxBacklog,
        },
      });
    });
  };
