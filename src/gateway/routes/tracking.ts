import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { notFound } from '../../domain/index.js';
import { findShipmentByWaybill } from '../../store/shipments.js';
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
        const shipment = await findShipmentByWaybill(deps.store.db, req.params.waybillNo, req.query.carrier);
        if (!shipment)
          throw notFound('shipment_not_found', `no shipment with waybill ${req.params.waybillNo}`);
        const events = await eventsForWaybill(deps.store.db, shipment.carrier, shipment.waybillNo);
        return {
          waybillNo: shipment.waybillNo,
          carrier: shipment.carrier,
          orderId: shipment.orderId,
          status: shipment.status,
          estimatedDelivery: shipment.estimatedDelivery,
          lastEventAt: shipment.lastEventAt,
          events,
        };
      },
    );
  };
