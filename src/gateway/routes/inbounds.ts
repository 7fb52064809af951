/**
 * Inbound receipts (ASN, first-mile replenishment) over the API: `POST /v1/inbounds` stores the
 * receipt, puts its quantities in transit and queues its announcement to the warehouse (202: the
 * warehouse is told through the queue, retried, never lost); `GET /v1/inbounds/{id}` shows what
 * the warehouse has received of each line. Creating needs `inventory:manage`, reading
 * `inventory:read`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import {
  closeInbound,
  createInbound,
  INBOUND_STATUSES,
  inboundView,
  listInboundViews,
} from '../../pipeline/inbounds.js';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

const SKU = { minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$' };
const security = [{ apiKey: [], signature: [] }];
const tags = ['inventory'];
const actorOf = (caller: { kind: string; id: string } | undefined) =>
  caller ? `${caller.kind}:${caller.id}` : 'anonymous';

const NewInboundBody = Type.Object(
  {
    warehouse: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'the warehouse partner' }),
    reference: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$',
        description: 'your own reference (PO or container number), unique per warehouse',
      }),
    ),
    expectedAt: Type.Optional(Type.String({ format: 'date-time' })),
    lines: Type.Array(
      Type.Object(
        { sku: Type.String(SKU), quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 500 },
    ),
  },
  { additionalProperties: false },
);
const Params = Type.Object({ id: Type.String({ pattern: '^inb_[0-9a-z]{26}$' }) });
const ListQuery = Type.Object(
  {
    warehouse: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' })),
    status: Type.Optional(Type.Union(INBOUND_STATUSES.map((s) => Type.Literal(s)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    before: Type.Optional(Type.String({ pattern: '^inb_[0-9a-z]{26}$' })),
  },
  { additionalProperties: false },
);
const CloseBody = Type.Object(
  {
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }),
    ),
  },
  { additionalProperties: false },
);

export const inboundRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: Static<typeof NewInboundBody> }>(
      '/inbounds',
      {
        config: { permission: 'inventory:manage' },
        schema: {
          summary:
            'Announce an inbound receipt (ASN) to a warehouse; its quantities are in transit until received',
          description:
            'Stored with its lines (quantities in transit) and queued for the warehouse in one transaction; 202 with the receipt. The same reference again with the same lines answers 200 with the stored receipt; with other lines 409 `inbound_conflict`. A warehouse that is not configured, or takes no inbound receipts, answers 422 `unknown_warehouse`.',
          tags,
          security,
          body: NewInboundBody,
          response: { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody, 422: ErrorBody },
        },
      },
      async (req, reply) => {
        const body = req.body;
        if (!deps.warehouses?.get(body.warehouse)?.createInbound)
          throw new WaygateError(
            'unknown_warehouse',
            `${body.warehouse} is not a configured warehouse that takes inbound receipts`,
            [
              {
                field: '/warehouse',
                message: 'is not a configured warehouse partner taking inbound receipts',
              },
            ],
          );
        const { created, inbound } = await createInbound(
          deps.store,
          {
            warehouse: body.warehouse,
            lines: body.lines,
            ...(body.reference !== undefined ? { reference: body.reference } : {}),
            ...(body.expectedAt !== undefined ? { expectedAt: body.expectedAt } : {}),
          },
          actorOf(req.caller),
        );
        if (created) deps.notifyWork?.();
        return reply.code(created ? 202 : 200).send(inbound);
      },
    );

    app.get<{ Querystring: Static<typeof ListQuery> }>(
      '/inbounds',
      {
        config: { permission: 'inventory:read' },
        schema: {
          summary: 'Inbound receipts, newest first, by warehouse and status',
          description:
            '`partial` and `received` are read from the lines, so a page may hold fewer than `limit`; `next` is the `before` of the next page while more receipts remain.',
          tags,
          security,
          querystring: ListQuery,
          response: { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (req) =>
        listInboundViews(deps.store.db, {
          limit: req.query.limit ?? 50,
          ...(req.query.warehouse !== undefined ? { warehouseId: req.query.warehouse } : {}),
          ...(req.query.status !== undefined ? { status: req.query.status } : {}),
          ...(req.query.before !== undefined ? { beforeId: req.query.before } : {}),
        }),
    );

    app.post<{ Params: Static<typeof Params>; Body: Static<typeof CloseBody> }>(
      '/inbounds/:id/close',
      {
        config: { permission: 'inventory:manage' },
        schema: {
          summary: 'Close a short-received receipt: what did not arrive leaves transit',
          description:
            'Body `{}` or `{"reason": "…"}`. For a receipt the warehouse has (`sent`, `partial`) or that failed to reach it: every line still expecting units takes the remainder out of transit (`asn_closed` in the SKU history) and the receipt is `closed`. Otherwise 409 `inbound_not_closable` with its status; unknown 404 `inbound_not_found`. Units reported later are on hand, not in transit.',
          tags,
          security,
          params: Params,
          body: CloseBody,
          response: { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
        },
      },
      async (req) => {
        const reason = req.body.reason ?? `by ${actorOf(req.caller)}`;
        const view = await deps.store.write((trx) => closeInbound(trx, req.params.id, reason));
        if (!view) throw new WaygateError('inbound_not_found', `no inbound receipt ${req.params.id}`);
        return view;
      },
    );

    app.get<{ Params: Static<typeof Params> }>(
      '/inbounds/:id',
      {
        config: { permission: 'inventory:read' },
        schema: {
          summary: 'An inbound receipt: each line expected, received and still in transit',
          tags,
          security,
          params: Params,
          response: { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (req) => {
        const view = await inboundView(deps.store.db, req.params.id);
        if (!view) throw new WaygateError('inbound_not_found', `no inbound receipt ${req.params.id}`);
        return view;
      },
    );
  };
