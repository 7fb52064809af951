/**
 * Service-quality statistics for the console's overview and the monthly per-partner error
 * breakdown [001-6.5] [003-6.2] (permission `partners:read`: the figures carry no personal data).
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import { partnerErrorBreakdown, serviceQuality } from '../../monitor/service-quality.js';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

export const BUCKETS = { '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
/** At most this many points per series: bounds the work and the answer whatever is asked. */
export const MAX_BUCKETS = 2_000;

const QualityQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'default: `to` minus 24 h' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })),
    bucket: Type.Optional(
      Type.Union([Type.Literal('5m'), Type.Literal('1h'), Type.Literal('1d')], { default: '1h' }),
    ),
  },
  { additionalProperties: false },
);
const MonthQuery = Type.Object(
  { month: Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM (UTC)' }) },
  { additionalProperties: false },
);

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Rate = Nullable(Type.Number({ description: 'share 0..1; null without traffic' }));
const Series = Type.Array(Type.Number());
const NullableSeries = Type.Array(Nullable(Type.Number()));

const Quality = Type.Object({
  from: Type.String(),
  to: Type.String(),
  bucketMs: Type.Integer(),
  onTimeMs: Type.Integer(),
  totals: Type.Object({
    received: Type.Integer(),
    failed: Type.Integer(),
    shipped: Type.Integer(),
    successRate: Rate,
    apiCalls: Type.Integer(),
  }),
  series: Type.Object({
    at: Type.Array(Type.String()),
    received: Series,
    failed: Series,
    successRate: NullableSeries,
    apiCalls: Series,
    apiAvgMs: NullableSeries,
    apiServerErrors: Series,
    carriers: Type.Array(
      Type.Object({
        carrier: Type.String(),
        shipments: Series,
        avgWaitMs: NullableSeries,
        onTimeRate: NullableSeries,
      }),
    ),
  }),
  interfaces: Type.Array(
    Type.Object({
      route: Type.String(),
      calls: Type.Integer(),
      clientErrors: Type.Integer(),
      serverErrors: Type.Integer(),
      successRate: Rate,
      avgMs: Nullable(Type.Number()),
      maxMs: Type.Number(),
    }),
  ),
  partners: Type.Array(
    Type.Object({
      partner: Type.String(),
      shipments: Type.Integer(),
      delivered: Type.Integer(),
      exceptions: Type.Integer(),
      avgWaitMs: Nullable(Type.Number()),
      onTimeRate: Rate,
    }),
  ),
  sources: Type.Array(
    Type.Object({
      source: Type.String(),
      received: Type.Integer(),
      failed: Type.Integer(),
      cancelled: Type.Integer(),
      successRate: Rate,
    }),
  ),
});

const Breakdown = Type.Object({
  month: Type.String(),
  from: Type.String(),
  to: Type.String(),
  partners: Type.Array(
    Type.Object({
      partner: Type.String(),
      shipments: Type.Integer(),
      byStatus: Type.Record(Type.String(), Type.Integer()),
      errors: Type.Integer(),
      errorRate: Rate,
      codes: Type.Array(
        Type.Object({
          code: Type.String(),
          retrying: Type.Integer(),
          dead: Type.Integer(),
          total: Type.Integer(),
        }),
      ),
    }),
  ),
  failedOrders: Type.Array(Type.Object({ source: Type.String(), count: Type.Integer() })),
});

export const statsRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    const security: Array<Record<string, string[]>> = [{ apiKey: [], signature: [] }, { bearerAuth: [] }];
    const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };
    app.get<{ Querystring: Static<typeof QualityQuery> }>(
      '/stats/quality',
      {
        config: { permission: 'partners:read' },
        schema: {
          summary: 'Service quality: volume, success rate, latency and timeliness per interface and partner',
          description:
            'Series per time bucket (orders received and failed, API calls and their mean answer time, ' +
            'shipments per carrier with the mean wait from order to waybill and the share on time) and ' +
            `totals per API route, carrier and sales channel. At most ${MAX_BUCKETS} buckets.`,
          tags: ['statistics'],
          security,
          querystring: QualityQuery,
          response: { 200: Quality, ...errors },
        },
      },
      async (req) => {
        const bucketMs = BUCKETS[req.query.bucket ?? '1h'];
        const to = req.query.to ? Date.parse(req.query.to) : Date.now();
        const from = req.query.from ? Date.parse(req.query.from) : to - 86_400_000;
        if (!(from < to)) throw new WaygateError('invalid_request', '`from` must be before `to`');
        if ((to - from) / bucketMs > MAX_BUCKETS)
          throw new WaygateError(
            'invalid_request',
            `the window holds more than ${MAX_BUCKETS} buckets of ${req.query.bucket ?? '1h'}; choose a larger bucket or a shorter window`,
          );
        return serviceQuality(deps.store, { from, to, bucketMs });
      },
    );
    app.get<{ Querystring: Static<typeof MonthQuery> }>(
      '/stats/partner-errors',
      {
        config: { permission: 'partners:read' },
        schema: {
          summary: "A month's per-partner error breakdown",
          description:
            'Per partner: shipments by status, partner jobs that erred by error code (still retrying and ' +
            'dead-lettered), the error share; and orders that failed per sales channel.',
          tags: ['statistics'],
          security,
          querystring: MonthQuery,
          response: { 200: Breakdown, ...errors },
        },
      },
      async (req) => partnerErrorBreakdown(deps.store, req.query.month),
    );
  };
