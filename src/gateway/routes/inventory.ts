/**
 * Warehouse inventory over the API [000-2]: `GET /v1/inventory?sku=&warehouse=` (each SKU per
 * warehouse with on hand, reserved, available and in transit, the time and source of each figure,
 * and `source: "snapshot"` with its age while a warehouse is down), and a SKU's history.
 * Reading needs `inventory:read`.
 *
 * `/inventory/reconciliations[/{id}]` (routes/snapshots.ts) shares the prefix: the router prefers
 * the static segment, so a SKU named `reconciliations` would have its history read as report id
 * `history`; that one path is registered here as the SKU's history (test/inventory-routes.test.ts).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { stockViews } from '../../pipeline/inventory-view.js';
import { historyOf } from '../../store/inventory.js';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

const SKU = { minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$' };
const WAREHOUSE = { pattern: '^[a-z0-9][a-z0-9-]{0,62}$' };
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };
const security = [{ apiKey: [], signature: [] }];
const tags = ['inventory'];

const StockQuery = Type.Object(
  { sku: Type.Optional(Type.String(SKU)), warehouse: Type.Optional(Type.String(WAREHOUSE)) },
  { additionalProperties: false },
);
const HistoryParams = Type.Object({ sku: Type.String(SKU) });
const HistoryQuery = Type.Object(
  {
    warehouse: Type.Optional(Type.String(WAREHOUSE)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    before: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

type HistoryRequest = FastifyRequest<{
  Params: Static<typeof HistoryParams>;
  Querystring: Static<typeof HistoryQuery>;
}>;

/** The SKU shadowed by `/inventory/reconciliations/{id}` (see above). */
export const SHADOWED_SKU = 'reconciliations';

export const inventoryRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: Static<typeof StockQuery> }>(
      '/inventory',
      {
        config: { permission: 'inventory:read' },
        schema: {
          summary: 'Stock per SKU and warehouse, with the time and source of each figure',
          tags,
          security,
          querystring: StockQuery,
          response: errors,
        },
      },
      async (req) => ({
        items: await stockViews(
          deps.store.db,
          {
            ...(req.query.sku !== undefined ? { sku: req.query.sku } : {}),
            ...(req.query.warehouse !== undefined ? { warehouseId: req.query.warehouse } : {}),
          },
          deps.inventory ?? {},
        ),
      }),
    );

    app.get<{ Params: Static<typeof HistoryParams>; Querystring: Static<typeof HistoryQuery> }>(
      '/inventory/:sku/history',
      {
        config: { permission: 'inventory:read' },
        schema: {
          summary: "A SKU's stock history, newest first: every figure that changed, why and from where",
          tags,
          security,
          params: HistoryParams,
          querystring: HistoryQuery,
          response: errors,
        },
      },
      async (req) => history(req, req.params.sku),
    );

    app.get<{ Querystring: Static<typeof HistoryQuery> }>(
      `/inventory/${SHADOWED_SKU}/history`,
      {
        config: { permission: 'inventory:read' },
        // The same operation as /inventory/{sku}/history: not a second one in the API description.
        schema: { hide: true, querystring: HistoryQuery, response: errors },
      },
      async (req) => history(req as HistoryRequest, SHADOWED_SKU),
    );

    async function history(req: HistoryRequest, sku: string) {
      const limit = req.query.limit ?? 100;
      const rows = await historyOf(deps.store.db, sku, {
        limit,
        ...(req.query.warehouse !== undefined ? { warehouseId: req.query.warehouse } : {}),
        ...(req.query.before !== undefined ? { beforeId: req.query.before } : {}),
      });
      const last = rows.at(-1);
      return {
        sku,
        entries: rows.map((h) => ({
          id: h.id,
          at: new Date(h.at).toISOString(),
          warehouse: h.warehouse_id,
          change: h.change,
          source: h.source,
          reference: h.reference,
          delta: { onHand: h.on_hand_delta, reserved: h.reserved_delta, inTransit: h.in_transit_delta },
          after: { onHand: h.on_hand, reserved: h.reserved, inTransit: h.in_transit },
        })),
        next: rows.length === limit && last ? last.id : null,
      };
    }
  };
