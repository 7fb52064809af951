/** Orders: accept (202, idempotent), read one with its logistics data, search with a cursor. */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import {
  enrichLines,
  maskAddress,
  OrderInput,
  OrderStatusSchema,
  CountryCode,
  SINGLE_LINE_TEXT_PATTERN,
  WaygateError,
} from '../../domain/index.js';
import { can, ownsSource } from '../../security/permissions.js';
import { acceptOrder } from '../../pipeline/accept-order.js';
import { declarationsOfOrder } from '../../store/customs.js';
import { getOrderRow, historyForOrder, listOrders, orderFields, readOrder } from '../../store/orders.js';
import { shipmentsForOrder } from '../../store/shipments.js';
import { eventsForWaybill } from '../../store/tracking.js';
import type { OrdersTable } from '../../store/schema.js';
import type { GatewayDeps, OrderSources } from '../types.js';
import type { Admission } from '../admission.js';
import { nonceClaimFor } from '../auth.js';
import { Accepted, Duplicate, ErrorBody, OrderDetail, OrderList } from './views.js';

/**
 * The example order of examples/order.json (the one the README shows and the example scripts
 * send), shown on /docs; a build without the examples folder simply shows none.
 */
function exampleOrders(): unknown[] {
  try {
    return [JSON.parse(readFileSync(new URL('../../../examples/order.json', import.meta.url), 'utf8'))];
  } catch {
    return [];
  }
}

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object(
  {
    status: Type.Optional(OrderStatusSchema),
    source: Type.Optional(Type.String({ maxLength: 64 })),
    country: Type.Optional(CountryCode),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    // Canonical text: a NUL or control character can match nothing and PostgreSQL refuses NUL.
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: SINGLE_LINE_TEXT_PATTERN })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  422: ErrorBody,
};
const security = [{ apiKey: [], signature: [] }];

function summary(row: OrdersTable) {
  const o = orderFields(row);
  return {
    id: o.id,
    source: o.source,
    externalId: o.externalId,
    status: o.status,
    currency: o.currency,
    totalValue: o.totalValue,
    destinationCountry: o.destinationCountry,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^ord_[0-9a-z]{26}$/.test(id))
    throw new WaygateError('invalid_cursor', 'cursor is not one this API returned', { field: 'cursor' });
  return id;
}

/**
 * A source the hub does not know is refused with the ones it does, unless the config allows
 * ad-hoc sources; a key bound to a partner may always submit that partner's own orders.
 */
function checkSource(source: string, boundTo: string | undefined, sources: OrderSources | undefined): void {
  if (boundTo) {
    if (source !== boundTo)
      throw new WaygateError(
        'source_not_allowed',
        `this key acts for ${boundTo} and may only submit orders with source ${boundTo}`,
      );
    return;
  }
  if (!sources || sources.allowAdHoc || sources.known.includes(source)) return;
  const known = [...sources.known].sort();
  const list = known.length > 0 ? `known sources: ${known.join(', ')}` : 'no sales channel is configured';
  throw new WaygateError(
    'unknown_source',
    `source ${source} is not a configured sales channel (${list}); add it to the partner config, or set orders.allowAdHocSources: true`,
    [{ field: '/source', message: `must be one of ${known.join(', ') || '(none configured)'}` }],
  );
}

export const orderRoutes =
  (deps: GatewayDeps, admission: Admission): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: OrderInput; Headers: Static<typeof IdempotencyHeaders> }>(
      '/orders',
      {
        config: { permission: 'orders:write', nonceInWrite: true },
        schema: {
          summary: 'Accept an order',
          description:
            'Stored durably with its shipment job before the answer (202). Lines without customs data (hsCode, originCountry, weightGrams) are filled from the product catalogue; when it lacks a SKU the order is kept as `needs_data` (202 with `missing`) and moves on by itself once the product is added. A retry with the same Idempotency-Key answers 202 again with the same id. Re-posting the same source + externalId answers 200 with the stored order and `"duplicate": true` when the body is the same, 409 `order_conflict` naming the fields that differ when it is not (the stored order is unchanged). A source that is not a configured sales channel answers 422 `unknown_source` listing the known ones.',
          tags: ['orders'],
          security,
          body: { ...OrderInput, examples: exampleOrders() },
          headers: IdempotencyHeaders,
          response: { 200: Duplicate, 202: Accepted, ...errors },
        },
      },
      async (req, reply) => {
        checkSource(req.body.source, req.caller?.partnerId, deps.orderSources?.());
        const idempotencyKey = req.headers['idempotency-key'];
        return admission.run(reply, async () => {
          const result = await acceptOrder(deps.store, req.body, {
            caller: req.caller?.id ?? 'anonymous',
            ...(idempotencyKey ? { idempotencyKey } : {}),
            ...(req.nonceClaim ? { first: nonceClaimFor(req) } : {}),
            conflicts: 'refuse',
          });
          if (result.created) deps.notifyWork();
          if (result.replay === 'external-id' && result.status)
            return reply.code(200).send({ id: result.id, status: result.status, duplicate: true });
          if (!result.created) reply.header('idempotent-replayed', 'true');
          if (result.missing) {
            return reply.code(202).send({ id: result.id, status: 'needs_data', missing: result.missing });
          }
          return reply.code(202).send({ id: result.id, status: 'accepted' });
        });
      },
    );

    app.get<{ Params: Static<typeof IdParams> }>(
      '/orders/:id',
      {
        config: { permission: 'orders:read' },
        schema: {
          summary: 'Read an order with its shipments, tracking summary and history',
          tags: ['orders'],
          security,
          params: IdParams,
          response: { 200: OrderDetail, ...errors },
        },
      },
      async (req) => {
        const row = await getOrderRow(deps.store.db, req.params.id);
        // Another partner's order answers exactly like a missing one (OWASP API1): no oracle.
        if (!row || !ownsSource(req.caller, row.source)) {
          throw new WaygateError('order_not_found', `no order ${req.params.id}`);
        }
        const order = await readOrder(deps.store.keys, row);
        const shipments = await shipmentsForOrder(deps.store.db, order.id);
        const first = shipments[0];
        const events = first ? await eventsForWaybill(deps.store.db, first.carrier, first.waybillNo) : [];
        return {
          ...summary(row),
          recipient: can(req.caller, 'pii:read') ? order.recipient : maskAddress(order.recipient),
          items: order.items,
          ...(order.status === 'needs_data' ? { missing: enrichLines(order.items, new Map()).missing } : {}),
          placedAt: order.placedAt,
          ...(order.notes !== undefined
            ? { notes: can(req.caller, 'pii:read') ? order.notes : '[masked]' }
            : {}),
          shipments,
          tracking: {
            status: first?.status ?? null,
            lastEvent: events.at(-1) ?? null,
            events: events.length,
            estimatedDelivery: first?.estimatedDelivery ?? null,
          },
          customs: {
            status: events.some((e) => e.stage === 'import_customs' || e.stage === 'export_customs')
              ? latestCustoms(events)
              : 'not_started',
            ...(can(req.caller, 'customs:read')
              ? {
                  declarations: (await declarationsOfOrder(deps.store.db, order.id)).map((d) => ({
                    id: d.id,
                    messageType: d.message_type,
                    document: d.document,
                    status: d.status,
                    ...(d.last_code ? { code: d.last_code } : {}),
                    updatedAt: new Date(Number(d.updated_at)).toISOString(),
                  })),
                }
              : {}),
          },
          history: await historyForOrder(deps.store.db, order.id),
        };
      },
    );

    app.get<{ Querystring: Static<typeof ListQuery> }>(
      '/orders',
      {
        config: { permission: 'orders:read' },
        schema: {
          summary: 'Search orders (newest first, cursor pagination)',
          tags: ['orders'],
          security,
          querystring: ListQuery,
          response: { 200: OrderList, ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const limit = q.limit ?? 50;
        // A partner's key lists only its own orders, whatever source it asks for.
        const partnerId = req.caller?.partnerId;
        if (partnerId && q.source && q.source !== partnerId) return { data: [], nextCursor: null };
        const rows = await listOrders(deps.store.db, {
          limit: limit + 1,
          ...(q.status ? { status: q.status } : {}),
          ...(partnerId ? { source: partnerId } : q.source ? { source: q.source } : {}),
          ...(q.country ? { destinationCountry: q.country } : {}),
          ...(q.from ? { createdFrom: Date.parse(q.from) } : {}),
          ...(q.to ? { createdTo: Date.parse(q.to) } : {}),
          ...(q.q ? { text: q.q } : {}),
          ...(q.cursor ? { beforeId: decodeCursor(q.cursor) } : {}),
        });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          data: page.map(summary),
          nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
        };
      },
    );
  };

function latestCustoms(events: readonly { stage: string; code: string }[]): string {
  const last = events.filter((e) => e.stage === 'import_customs' || e.stage === 'export_customs').at(-1);
  if (!last) return 'not_started';
  if (last.code.endsWith('_RELEASED'))
    return last.code.startsWith('IMPORT') ? 'import_released' : 'export_released';
  if (last.code.endsWith('_HELD') || last.code === 'DUTIES_PAYMENT_REQUIRED') return 'held';
  return 'processing';
}
