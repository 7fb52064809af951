/**
 * The product catalogue over the API: SKU master data for customs. Saving products (audited,
 * all or nothing) releases the `needs_data` orders that waited for them in the same transaction.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Product, WaygateError } from '../../domain/index.js';
import { MAX_PRODUCTS_PER_CALL, saveProducts } from '../../pipeline/catalogue.js';
import { getProduct, listProducts, waitingSummary } from '../../store/products.js';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const security = [{ apiKey: [], signature: [] }];
const tags = ['products'];
const actorOf = (caller: { kind: string; id: string } | undefined) =>
  caller ? `${caller.kind}:${caller.id}` : 'anonymous';

const SKU = { minLength: 1, maxLength: 64 };
const ProductView = Type.Composite([
  Product,
  Type.Object({ createdAt: Type.String(), updatedAt: Type.String() }),
]);
const SaveBody = Type.Object(
  { products: Type.Array(Product, { minItems: 1, maxItems: MAX_PRODUCTS_PER_CALL }) },
  { additionalProperties: false },
);
const Saved = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  released: Type.Array(Type.String()),
  stillWaiting: Type.Array(Type.String()),
});
const ListQuery = Type.Object(
  {
    prefix: Type.Optional(Type.String(SKU)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const ProductList = Type.Object({
  data: Type.Array(ProductView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  waiting: Type.Object({ orders: Type.Integer(), skus: Type.Integer() }),
});

const encodeCursor = (sku: string) => Buffer.from(sku, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const sku = Buffer.from(cursor, 'base64url').toString('utf8');
  if (sku.length === 0 || sku.length > 64 || encodeCursor(sku) !== cursor) {
    throw new WaygateError('invalid_cursor', 'cursor is not one this API returned', { field: 'cursor' });
  }
  return sku;
}

export const productRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: Static<typeof SaveBody> }>(
      '/products',
      {
        config: { permission: 'products:write' },
        schema: {
          summary: 'Add or replace products (by SKU), releasing the orders waiting for them',
          description: `1 to ${MAX_PRODUCTS_PER_CALL} products; all are saved or none (400 names every bad field). Orders in needs_data that the new data completes become accepted and their shipments are queued in the same transaction; their ids come back in \`released\`.`,
          tags,
          security,
          body: SaveBody,
          response: { 200: Saved, ...errors },
        },
      },
      async (req) => {
        const saved = await saveProducts(deps.store, req.body.products, actorOf(req.caller));
        if (saved.released.length > 0) deps.notifyWork();
        return saved;
      },
    );

    app.get<{ Querystring: Static<typeof ListQuery> }>(
      '/products',
      {
        config: { permission: 'products:read' },
        schema: {
          summary: 'List products by SKU (ascending, cursor pagination), with how many orders wait for data',
          tags,
          security,
          querystring: ListQuery,
          response: { 200: ProductList, ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        const limit = q.limit ?? 100;
        const rows = await listProducts(deps.store.db, {
          limit: limit + 1,
          ...(q.prefix ? { skuPrefix: q.prefix } : {}),
          ...(q.cursor ? { afterSku: decodeCursor(q.cursor) } : {}),
        });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          data: page,
          nextCursor: rows.length > limit && last ? encodeCursor(last.sku) : null,
          waiting: await waitingSummary(deps.store.db),
        };
      },
    );

    app.get<{ Params: { sku: string } }>(
      '/products/:sku',
      {
        config: { permission: 'products:read' },
        schema: {
          summary: 'Read one product',
          tags,
          security,
          params: Type.Object({ sku: Type.String(SKU) }),
          response: { 200: ProductView, ...errors },
        },
      },
      async (req) => {
        const product = await getProduct(deps.store.db, req.params.sku);
        if (!product) throw new WaygateError('product_not_found', `no product with SKU ${req.params.sku}`);
        return product;
      },
    );
  };
