/** Response shapes of the order and tracking routes (also their OpenAPI schemas). */
import { Type } from '@sinclair/typebox';
import {
  Address,
  OrderLine,
  OrderStatusSchema,
  ShipmentStatusSchema,
  TrackingEvent,
} from '../../domain/index.js';

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Unknown(),
    /** The request's id (also in the X-Request-Id header): quote it when asking about this answer. */
    requestId: Type.String(),
  }),
});

/** What a `needs_data` order waits for: per SKU, the customs fields the catalogue must supply. */
export const MissingDataView = Type.Array(
  Type.Object({ sku: Type.String(), fields: Type.Array(Type.String()) }),
);
export const Accepted = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('accepted'), Type.Literal('needs_data')]),
  missing: Type.Optional(MissingDataView),
});
/** An identical re-post of an order already stored (same source + externalId, same contents). */
export const Duplicate = Type.Object({
  id: Type.String(),
  status: OrderStatusSchema,
  duplicate: Type.Literal(true),
});

export const ShipmentView = Type.Object({
  id: Type.String(),
  carrier: Type.String(),
  waybillNo: Type.String(),
  status: ShipmentStatusSchema,
  labelUrl: Type.Union([Type.String(), Type.Null()]),
  estimatedDelivery: Type.Union([Type.String(), Type.Null()]),
  lastEventAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

export const TrackingSummary = Type.Object({
  status: Type.Union([ShipmentStatusSchema, Type.Null()]),
  lastEvent: Type.Union([TrackingEvent, Type.Null()]),
  events: Type.Integer(),
  estimatedDelivery: Type.Union([Type.String(), Type.Null()]),
});

export const OrderSummary = Type.Object({
  id: Type.String(),
  source: Type.String(),
  externalId: Type.String(),
  status: OrderStatusSchema,
  currency: Type.String(),
  totalValue: Type.String(),
  destinationCountry: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const OrderDetail = Type.Composite([
  OrderSummary,
  Type.Object({
    recipient: Address,
    items: Type.Array(OrderLine),
    /** Present while the order is `needs_data`. */
    missing: Type.Optional(MissingDataView),
    placedAt: Type.Union([Type.String(), Type.Null()]),
    notes: Type.Optional(
      Type.String({
        description:
          "The order's notes; `[masked]` for a caller without pii:read (they hold names and numbers)",
      }),
    ),
    shipments: Type.Array(ShipmentView),
    tracking: TrackingSummary,
    customs: Type.Object({
      status: Type.String(),
      /** The order's CEB declarations (shown to callers holding customs:read). */
      declarations: Type.Optional(
        Type.Array(
          Type.Object({
            id: Type.String(),
            messageType: Type.String(),
            document: Type.String(),
            status: Type.String(),
            code: Type.Optional(Type.String()),
            updatedAt: Type.String(),
          }),
        ),
      ),
    }),
    history: Type.Array(Type.Object({ at: Type.String(), status: Type.String(), note: Type.String() })),
  }),
]);

export const OrderList = Type.Object({
  data: Type.Array(OrderSummary),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const TrackingView = Type.Object({
  waybillNo: Type.String(),
  carrier: Type.String(),
  orderId: Type.String(),
  status: ShipmentStatusSchema,
  estimatedDelivery: Type.Union([Type.String(), Type.Null()]),
  lastEventAt: Type.Union([Type.String(), Type.Null()]),
  events: Type.Array(TrackingEvent),
});
