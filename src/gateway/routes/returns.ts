/**
 * Returns over the API [001-6.3.3] [002-5.4]: authorise a return on an order
 * (`POST /v1/orders/{id}/returns`, `orders:write`), list them (`GET /v1/returns`) and read one
 * with every step it took (`GET /v1/returns/{id}`), both `orders:read`. A request the rules
 * refuse answers 4xx with its catalogue code and stores nothing (docs/returns.md).
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import { authoriseReturn } from '../../pipeline/return-requests.js';
import { cancelReturn, RETURN_STATUSES, returnView, returnWithEvents } from '../../pipeline/returns.js';
import { ownsSource } from '../../security/permissions.js';
import { getOrderRow } from '../../store/orders.js';
import { listReturns, returnById } from '../../store/returns.js';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

const security = [{ apiKey: [], signature: [] }];
const tags = ['returns'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const SKU = { minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$' };

const OrderParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ReturnParams = Type.Object({ id: Type.String({ pattern: '^rma_[0-9a-z]{26}$' }) });

export const ReturnBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('refund'), Type.Literal('exchange')], {
      description: '`refund` pays back what comes back; `exchange` sends a replacement order',
    }),
    reason: Type.String({ minLength: 1, maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }),
    reference: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$',
        description: 'your id of the return: a second request with it is refused (409 return_duplicate)',
      }),
    ),
    lines: Type.Array(
      Type.Object(
        {
          sku: Type.String(SKU),
          quantity: Type.Integer({ minimum: 1, maximum: 100_000 }),
          exchangeSku: Type.Optional(
            Type.String({ ...SKU, description: 'exchanges: the SKU to send instead' }),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 500 },
    ),
  },
  { additionalProperties: false },
);

const CancelBody = Type.Object(
  {
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }),
    ),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    order: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(Type.Union(RETURN_STATUSES.map((s) => Type.Literal(s)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    before: Type.Optional(Type.String({ pattern: '^rma_[0-9a-z]{26}$' })),
  },
  { additionalProperties: false },
);

export const returnRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Params: Static<typeof OrderParams>; Body: Static<typeof ReturnBody> }>(
      '/orders/:id/returns',
      {
        config: { permission: 'orders:write' },
        schema: {
          summary: 'Authorise a return on a shipped order (refund or exchange)',
          description:
            'Checked against what was shipped and what earlier returns take back: an unknown order answers 404 `order_not_found`, an order not shipped yet 409 `return_order_not_shipped`, a SKU not in the order 422 `return_line_unknown`, more units than can still be returned 422 `return_quantity_exceeds_shipped`, a reference used before 409 `return_duplicate`. 201 with the return; its steps (warehouse, label, tracking, receipt, refund or replacement) then run as jobs.',
          tags,
          security,
          params: OrderParams,
          body: ReturnBody,
          response: { ...errors, 409: ErrorBody, 422: ErrorBody },
        },
      },
      async (req, reply) => {
        const row = await getOrderRow(deps.store.db, req.params.id);
        // Another partner's order answers exactly like a missing one: no oracle.
        if (!row || !ownsSource(req.caller, row.source))
          throw new WaygateError('order_not_found', `no order ${req.params.id}`, { orderId: req.params.id });
        const b = req.body;
        const done = await deps.store.write((trx) =>
          authoriseReturn(
            trx,
            {
              orderId: row.id,
              origin: 'api',
              ...(b.reference !== undefined ? { reference: b.reference } : {}),
              kind: b.kind,
              reason: b.reason,
              lines: b.lines,
            },
            { warehouses: deps.returnWarehouses?.() ?? [], duplicates: 'refuse' },
          ),
        );
        deps.notifyWork();
        const ret = await returnById(deps.store.db, done.returnId);
        return reply.code(201).send(ret ? returnView(ret) : { id: done.returnId });
      },
    );

    app.get<{ Querystring: Static<typeof ListQuery> }>(
      '/returns',
      {
        config: { permission: 'orders:read' },
        schema: {
          summary: 'Returns, newest first (by order, by status); `next` is the `before` of the next page',
          tags,
          security,
          querystring: ListQuery,
          response: errors,
        },
      },
      async (req) => {
        const limit = req.query.limit ?? 50;
        const rows = await listReturns(deps.store.db, {
          limit: limit + 1,
          ...(req.query.order !== undefined ? { orderId: req.query.order } : {}),
          ...(req.query.status !== undefined ? { status: req.query.status } : {}),
          ...(req.query.before !== undefined ? { beforeId: req.query.before } : {}),
        });
        const visible: typeof rows = [];
        for (const r of rows.slice(0, limit)) {
          const order = await getOrderRow(deps.store.db, r.order_id);
          if (order && ownsSource(req.caller, order.source)) visible.push(r);
        }
        const last = rows.length > limit ? rows[limit - 1] : undefined;
        return { items: visible.map(returnView), ...(last ? { next: last.id } : {}) };
      },
    );

    app.post<{ Params: Static<typeof ReturnParams>; Body: Static<typeof CancelBody> }>(
      '/returns/:id/cancel',
      {
        config: { permission: 'orders:write' },
        schema: {
          summary: 'Cancel a return before its parcel is on the way',
          description:
            'Body `{}` or `{"reason": "…"}`. Only a return that is `requested`, `announced` or `label_issued`: once the carrier has the parcel or the warehouse received it, 409 `return_not_cancellable` (details give its status). The shop is told; its units can be returned again. An unknown return answers 404 `return_not_found`.',
          tags,
          security,
          params: ReturnParams,
          body: CancelBody,
          response: { ...errors, 409: ErrorBody },
        },
      },
      async (req) => {
        const ret = await returnById(deps.store.db, req.params.id);
        const order = ret ? await getOrderRow(deps.store.db, ret.order_id) : undefined;
        if (!ret || !order || !ownsSource(req.caller, order.source))
          throw new WaygateError('return_not_found', `no return ${req.params.id}`);
        const reason =
          req.body?.reason ?? `by ${req.caller ? `${req.caller.kind} ${req.caller.id}` : 'the API'}`;
        await deps.store.write((trx) => cancelReturn(trx, ret.id, reason, Date.now()));
        deps.notifyWork();
        const done = await returnById(deps.store.db, ret.id);
        return returnWithEvents(deps.store.db, done ?? ret);
      },
    );

    app.get<{ Params: Static<typeof ReturnParams> }>(
      '/returns/:id',
      {
        config: { permission: 'orders:read' },
        schema: {
          summary: 'A return with every step it took',
          tags,
          security,
          params: ReturnParams,
          response: errors,
        },
      },
      async (req) => {
        const ret = await returnById(deps.store.db, req.params.id);
        const order = ret ? await getOrderRow(deps.store.db, ret.order_id) : undefined;
        if (!ret || !order || !ownsSource(req.caller, order.source))
          throw new WaygateError('return_not_found', `no return ${req.params.id}`);
        return returnWithEvents(deps.store.db, ret);
      },
    );
  };
