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
import { createInbound, inboundView } from '../../pipeline/inbounds.js';
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
