import type { FastifyPluginAsync } from 'fastify';
import type { GatewayDeps } from '../app.js';

export const healthRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
      const ready = await deps.isReady().catch(() => false);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready' });
    });
  };
