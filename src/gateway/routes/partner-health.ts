/** Channel health and policy reload history, for operators and the dashboard. */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

const ChannelView = Type.Object({
  name: Type.String(),
  url: Type.String(),
  state: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
  active: Type.Boolean(),
  consecutiveFailures: Type.Integer(),
  calls: Type.Integer(),
  failures: Type.Integer(),
  rateLimitedUntil: Type.Union([Type.String(), Type.Null()]),
  lastProbe: Type.Union([
    Type.Object({
      at: Type.String(),
      ok: Type.Boolean(),
      latencyMs: Type.Number(),
      error: Type.Optional(Type.String()),
    }),
    Type.Null(),
  ]),
});

const PartnerView = Type.Object({
  id: Type.String(),
  tier: Type.String(),
  suspendedUntil: Type.Union([Type.String(), Type.Null()]),
  channels: Type.Array(ChannelView),
});

const ConfigEventView = Type.Object({
  at: Type.String(),
  file: Type.String(),
  outcome: Type.Union([Type.Literal('applied'), Type.Literal('rejected')]),
  message: Type.String(),
});

export const partnerHealthRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    const security = [{ apiKey: [], signature: [] }];
    app.get(
      '/partners',
      {
        config: { permission: 'partners:read' },
        schema: {
          summary:
            'Carriers with their tier, suspension and per-channel health (breaker state, probes, active channel)',
          tags: ['partners'],
          security,
          response: { 200: Type.Object({ data: Type.Array(PartnerView) }), 401: ErrorBody },
        },
      },
      async () => ({ data: deps.partnerHealth?.() ?? [] }),
    );
    app.get(
      '/partners/config-events',
      {
        config: { permission: 'partners:read' },
        schema: {
          summary: 'Partner policy reloads: applied and rejected edits, newest last',
          tags: ['partners'],
          security,
          response: { 200: Type.Object({ data: Type.Array(ConfigEventView) }), 401: ErrorBody },
        },
      },
      async () => ({ data: [...(deps.configEvents?.() ?? [])] }),
    );
  };
