/** The dead-letter queue: list, inspect, replay (optionally after an edit) and discard dead jobs. */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Address, OrderItem, OrderStatusSchema, maskAddress, WaygateError } from '../../domain/index.js';
import { discardDead, getDead, listDead, replayDead } from '../../pipeline/dead-letters.js';
import { cancelFailedOrder } from '../../pipeline/order-cancel.js';
import { JOB_KINDS } from '../../pipeline/jobs/index.js';
import type { GatewayDeps } from '../types.js';
import { can } from '../../security/permissions.js';
import { ErrorBody } from './views.js';

const JOB_ID = /^job_[0-9a-z]{26}$/;
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object(
  {
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    partner: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const DeadError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  partnerId: Type.Optional(Type.String()),
  status: Type.Optional(Type.Integer()),
  retryable: Type.Optional(Type.Boolean()),
  partnerCode: Type.Optional(Type.String()),
  partnerMessage: Type.Optional(Type.String()),
});

/**
 * The order's recipient as shown: the canonical address for callers with pii:read, else masked
 * (`+4930****4270`), which no longer matches the canonical patterns — so the shape only, or the
 * nullable `order` below would fail to serialise for exactly the callers it masks for.
 */
const required = new Set<string>(Address.required ?? []);
const ShownAddress = Type.Object(
  Object.fromEntries(
    Object.keys(Address.properties).map((k) => [
      k,
      required.has(k) ? Type.String() : Type.Optional(Type.String()),
    ]),
  ),
  { description: 'unmasked with pii:read, masked otherwise' },
);

const DeadSummary = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  partnerId: Nullable(Type.String()),
  orderId: Nullable(Type.String()),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  error: Nullable(DeadError),
  createdAt: Type.String(),
  deadAt: Type.String(),
});

const DeadList = Type.Object({ data: Type.Array(DeadSummary), nextCursor: Nullable(Type.String()) });

const DeadDetail = Type.Composite([
  DeadSummary,
  Type.Object({
    payload: Type.Unknown(),
    history: Type.Array(
      Type.Object({
        at: Type.String(),
        attempt: Type.Integer(),
        outcome: Type.String(),
        error: Nullable(DeadError),
        by: Type.Optional(Type.String()),
        edited: Type.Optional(Type.Array(Type.String())),
      }),
    ),
    order: Nullable(
      Type.Object({
        id: Type.String(),
        status: OrderStatusSchema,
        destinationCountry: Type.String(),
        currency: Type.String(),
        totalValue: Type.String(),
        recipient: ShownAddress,
        items: Type.Array(OrderItem),
      }),
    ),
  }),
]);

/** What each kind's edit may change, from the job registry (the edit itself is checked there). */
const editRules = JOB_KINDS.map((k) =>
  k.editFields
    ? `${k.name}: ${Object.entries(k.editFields)
        .map(([field, what]) => `\`${field}\` (${what})`)
        .join(', ')}`
    : `${k.name}: none (replayed as it is)`,
).join('; ');

const ReplayBody = Type.Object(
  {
    edit: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description: `What to change before the replay, by job kind — ${editRules}. A field the kind does not allow is refused (400, naming it).`,
        },
      ),
    ),
  },
  { additionalProperties: false },
);
type ReplayBody = Static<typeof ReplayBody>;

const DiscardBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);

const Replayed = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  status: Type.Literal('ready'),
  orderId: Nullable(Type.String()),
  orderStatus: Nullable(OrderStatusSchema),
  edited: Type.Array(Type.String()),
});
const Discarded = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  status: Type.Literal('discarded'),
  orderId: Nullable(Type.String()),
  orderStatus: Nullable(OrderStatusSchema),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const security = [{ apiKey: [], signature: [] }];
const tags = ['dead-letter queue'];

const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!JOB_ID.test(id))
    throw new WaygateError('invalid_cursor', 'cursor is not one this API returned', { field: 'cursor' });
  return id;
}

export const dlqRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    const actor = (caller: { id: string } | undefined) => caller?.id ?? 'anonymous';

    app.get<{ Querystring: Static<typeof ListQuery> }>(
      '/dlq',
      {
        config: { permission: 'dlq:read' },
        schema: {
          summary: 'List dead jobs (newest first, cursor pagination)',
          description: '`partner` matches the job’s partner or the partner whose error dead-lettered it.',
          tags,
          security,
          querystring: ListQuery,
          response: { 200: DeadList, ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const limit = q.limit ?? 50;
        const rows = await listDead(deps.store.db, {
          limit: limit + 1,
          ...(q.kind ? { kind: q.kind } : {}),
          ...(q.partner ? { partnerId: q.partner } : {}),
          ...(q.cursor ? { beforeId: decodeCursor(q.cursor) } : {}),
        });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return { data: page, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
      },
    );

    app.get<{ Params: Static<typeof IdParams> }>(
      '/dlq/:id',
      {
        config: { permission: 'dlq:read' },
        schema: {
          summary: 'Inspect a dead job: payload, every attempt, the last error, its order',
          tags,
          security,
          params: IdParams,
          response: { 200: DeadDetail, ...errors },
        },
      },
      async (req) => {
        // The partner's own error text may name the consignee: unsealed only for pii:read.
        const personal = can(req.caller, 'pii:read');
        const dead = await getDead(deps.store.db, deps.store.keys, req.params.id, { personal });
        if (!dead.order || personal) return dead;
        return { ...dead, order: { ...dead.order, recipient: maskAddress(dead.order.recipient) } };
      },
    );

    app.post<{ Params: Static<typeof IdParams>; Body: ReplayBody | undefined }>(
      '/dlq/:id/replay',
      {
        config: { permission: 'dlq:manage' },
        schema: {
          summary: 'Replay a dead job, optionally after fixing its order',
          description:
            'The job is ready at once with a fresh attempt budget; a failed order goes back to accepted. ' +
            '`edit` is applied first, in the same transaction, by the edit rules of the job’s kind ' +
            '(e.g. shipment.create fixes the order, validated against the canonical schemas). ' +
            'The body may be empty.',
          tags,
          security,
          params: IdParams,
          body: ReplayBody,
          response: { 200: Replayed, ...errors },
        },
        // A replay without an edit may come without a body; validate it as `{}`.
        preValidation: async (req) => {
          req.body ??= {};
        },
      },
      async (req) => {
        const edit = req.body?.edit;
        const result = await replayDead(deps.store, req.params.id, actor(req.caller), edit);
        deps.notifyWork();
        return result;
      },
    );

    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof DiscardBody> }>(
      '/dlq/:id/discard',
      {
        config: { permission: 'dlq:manage' },
        schema: {
          summary: 'Discard a dead job for good (its order stays failed)',
          tags,
          security,
          params: IdParams,
          body: DiscardBody,
          response: { 200: Discarded, ...errors },
        },
      },
      async (req) => discardDead(deps.store, req.params.id, actor(req.caller), req.body.reason),
    );

    // Beside the dead letters: cancelling is how an operator closes a failed order for good.
    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof DiscardBody> }>(
      '/orders/:id/cancel',
      {
        config: { permission: 'dlq:manage' },
        schema: {
          summary: 'Cancel a failed order',
          description:
            'Only a `failed` order (its shipment job dead-lettered) can be cancelled: it becomes `cancelled`, ' +
            'which is final, and its dead jobs are deleted with it. Audited as `order.cancel`.',
          tags: ['orders'],
          security,
          params: IdParams,
          body: DiscardBody,
          response: {
            200: Type.Object({
              id: Type.String(),
              status: Type.Literal('cancelled'),
              discardedJobs: Type.Array(Type.String()),
            }),
            ...errors,
          },
        },
      },
      async (req) => cancelFailedOrder(deps.store, req.params.id, actor(req.caller), req.body.reason),
    );
  };
