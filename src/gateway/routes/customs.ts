/**
 * Customs declarations over the API (docs/customs.md): `GET /v1/customs/declarations` (filter by
 * status or order), `GET /v1/customs/declarations/{id}` with its history and the discrepancies
 * that hold it, both under `customs:read`; `POST /v1/customs/declarations/{id}/override`
 * releases a held inventory list under `customs:override`, audited — the list is sent at the
 * next declaration run.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import { approveHold } from '../../pipeline/customs/declare.js';
import { customsDeclare } from '../../pipeline/jobs/customs-declare.js';
import {
  declarationHistory,
  getDeclaration,
  listDeclarations,
  type DeclarationRow,
} from '../../store/customs.js';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const security = [{ apiKey: [], signature: [] }];
const tags = ['customs'];
const ID = { pattern: '^[a-z]{2,8}_[0-9A-Za-z]{4,64}$' };

const ListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union(
        [
          'held',
          'queued',
          'declared',
          'accepted',
          'inspection',
          'rejected',
          'released',
          'returned',
          'failed',
        ].map((s) => Type.Literal(s)),
      ),
    ),
    orderId: Type.Optional(Type.String({ maxLength: 64 })),
    before: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String(ID) });
const OverrideBody = Type.Object(
  { reason: Type.String({ minLength: 3, maxLength: 500 }) },
  { additionalProperties: false },
);

const view = (d: DeclarationRow) => ({
  id: d.id,
  orderId: d.order_id,
  partnerId: d.partner_id,
  direction: d.direction,
  document: d.document,
  messageType: d.message_type,
  status: d.status,
  guid: d.guid,
  orderNo: d.order_no,
  logisticsNo: d.logistics_no,
  customsNo: d.customs_no,
  code: d.last_code,
  discrepancies: d.discrepancies ? (JSON.parse(d.discrepancies) as unknown[]) : [],
  overrideBy: d.override_by,
  sentAt: d.sent_at === null ? null : new Date(Number(d.sent_at)).toISOString(),
  createdAt: new Date(Number(d.created_at)).toISOString(),
  updatedAt: new Date(Number(d.updated_at)).toISOString(),
});

export const customsRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: Static<typeof ListQuery> }>(
      '/customs/declarations',
      {
        config: { permission: 'customs:read' },
        schema: {
          summary: 'Customs declarations, newest first, with their status and customs’ last code',
          tags,
          security,
          querystring: ListQuery,
          response: errors,
        },
      },
      async (req) => {
        const limit = req.query.limit ?? 100;
        const rows = await listDeclarations(deps.store.db, {
          limit,
          ...(req.query.status ? { status: req.query.status } : {}),
          ...(req.query.orderId ? { orderId: req.query.orderId } : {}),
          ...(req.query.before ? { beforeId: req.query.before } : {}),
        });
        return {
          data: rows.map(view),
          next: rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null,
        };
      },
    );

    app.get<{ Params: Static<typeof IdParams> }>(
      '/customs/declarations/:id',
      {
        config: { permission: 'customs:read' },
        schema: {
          summary: 'One declaration with its history (status, customs code, masked note)',
          tags,
          security,
          params: IdParams,
          response: errors,
        },
      },
      async (req) => {
        const d = await getDeclaration(deps.store.db, req.params.id);
        if (!d) throw new WaygateError('customs_declaration_not_found', `no declaration ${req.params.id}`);
        return { ...view(d), history: await declarationHistory(deps.store.db, d.id) };
      },
    );

    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof OverrideBody> }>(
      '/customs/declarations/:id/override',
      {
        config: { permission: 'customs:override' },
        schema: {
          summary: 'Release an inventory list held by the three-document match (audited)',
          tags,
          security,
          params: IdParams,
          body: OverrideBody,
          response: errors,
        },
      },
      async (req) => {
        const d = await getDeclaration(deps.store.db, req.params.id);
        if (!d) throw new WaygateError('customs_declaration_not_found', `no declaration ${req.params.id}`);
        const actor = req.caller ? `${req.caller.kind}:${req.caller.id}` : 'anonymous';
        // The declaration run that sends the list is queued with the override, or neither is kept.
        const ok = await approveHold(deps.store, d.id, actor, req.body.reason, Date.now(), (trx, held) =>
          customsDeclare.enqueue(trx, { orderId: held.order_id, stage: 'override' }).then(() => undefined),
        );
        if (!ok) throw new WaygateError('customs_not_held', `declaration ${d.id} is ${d.status}, not held`);
        const after = await getDeclaration(deps.store.db, d.id);
        return view(after!);
      },
    );
  };
