/** Channel health and policy reload history, for operators and the dashboard. */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
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

const PartnerParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }) });
const ReleaseBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 300, description: 'why (kept in the audit log)' }) },
  { additionalProperties: false },
);
const Released = Type.Object({
  partnerId: Type.String(),
  wasParked: Type.Boolean(),
  jobsReleased: Type.Integer(),
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
            'Carriers and sales platforms with their tier, suspension and per-channel health (breaker state, probes, active channel)',
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
    app.post<{ Params: Static<typeof PartnerParams>; Body: Static<typeof ReleaseBody> }>(
      '/partners/:id/release',
      {
        config: { permission: 'partners:manage' },
        schema: {
          summary: 'Release a partner parked after 429s',
          description:
            "Ends the partner's 429 gates and suspension on every node and makes the jobs they deferred " +
            'due now. Every partner-supplied wait is already capped by policy (docs/security.md); this is ' +
            'for an operator who knows the partner is ready sooner. Audited as `partner.released`.',
          tags: ['partners'],
          security,
          params: PartnerParams,
          body: ReleaseBody,
          response: { 200: Released, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (req) => {
        if (!deps.releasePartner) throw new WaygateError('partner_not_found');
        return deps.releasePartner(
          req.params.id,
          req.caller?.id ?? 'anonymous',
          req.body.reason,
          'POST /v1/partners/{id}/release',
        );
      },
    );
  };
