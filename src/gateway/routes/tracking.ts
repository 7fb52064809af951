import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import { orderSource } from '../../store/orders.js';
import { findShipmentByWaybill } from '../../store/shipments.js';
import { eventsForWaybill } from '../../store/tracking.js';
import type { GatewayDeps } from '../types.js';
import { ownsSource, type Caller } from '../../security/permissions.js';
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
        config: { permission: 'tracking:read' },
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
        if (!shipment || !(await callerOwnsOrder(deps, req.caller, shipment.orderId))) {
          throw new WaygateError('shipment_not_found', `no shipment with waybill ${req.params.waybillNo}`);
        }
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

/** A partner-bound caller sees the tracking of its own orders only (OWASP API1). */
async function callerOwnsOrder(deps: GatewayDeps, caller: Caller | undefined, orderId: string) {
  if (!caller?.partnerId) return caller !== undefined;
  const source = await orderSource(deps.store.db, orderId);
  return source !== undefined && ownsSource(caller, source);
}
