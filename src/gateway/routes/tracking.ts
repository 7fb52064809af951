import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { notFound, type ShipmentStatus } from '../../domain/index.js';
import { eventsForWaybill } from '../../store/tracking.js';
import type { GatewayDeps } from '../app.js';
import { ErrorBody, TrackingView } from './views.js';

const Params = Type.Object({ waybillNo: Type.String({ minLength: 1, maxLength: 64 }) });
const Query = Type.Object(
  { carrier: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

export const trackingRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
      '/shipments/:waybillNo/tracking',
      {
        schema: {
          summary: 'Normalised tracking of a waybill: events in the order they happened, newest status, ETA',
          tags: ['tracking'],
          security: [{ apiKey: [], signature: [] }],
          params: Params,
          querystring: Query,
          response: { 200: TrackingView, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
        },
      },
      async (req) => {
        let q = deps.store.db
          .selectFrom('shipments')
          .selectAll()
          .where('waybill_no', '=', req.params.waybillNo);
        if (req.query.carrier) q = q.where('carrier', '=', req.query.carrier);
        const shipment = await q.executeTakeFirst();
        if (!shipment)
          throw notFound('shipment_not_found', `no shipment with waybill ${req.params.waybillNo}`);
        const events = await eventsForWaybill(deps.store.db, shipment.carrier, shipment.waybill_no);
        return {
          waybillNo: shipment.waybill_no,
          carrier: shipment.carrier,
          orderId: shipment.order_id,
          status: shipment.status as ShipmentStatus,
          estimatedDelivery: shipment.estimated_delivery,
          lastEventAt:
            shipment.last_event_at === null ? null : new Date(shipment.last_event_at).toISOString(),
          events,
        };
      },
    );
  };
