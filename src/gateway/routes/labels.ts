/**
 * `GET /v1/shipments/{waybillNo}/label`: the carrier's label as stored with the waybill (sealed
 * at rest), in its own format — PDF, PNG or ZPL, told by its bytes. A label prints the consignee's
 * name, address and phone, so it takes `pii:read`, a partner-bound caller sees only its own
 * orders' labels, and the answer is never cached. Unknown waybill (or another partner's): 404.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import { shipmentLabel } from '../../pipeline/labels.js';
import { ownsSource, type Caller } from '../../security/permissions.js';
import { orderSource } from '../../store/orders.js';
import { findShipmentByWaybill } from '../../store/shipments.js';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

const Params = Type.Object({ waybillNo: Type.String({ minLength: 1, maxLength: 64 }) });
const Query = Type.Object(
  { carrier: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

export const LABEL_CONTENT_TYPES: Readonly<Record<string, string>> = {
  PDF: 'application/pdf',
  PNG: 'image/png',
  ZPL: 'application/x-zpl',
};

export const labelRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
      '/shipments/:waybillNo/label',
      {
        config: { permission: 'pii:read' },
        schema: {
          summary:
            "The carrier's label of a waybill (PDF, PNG or ZPL, by its bytes), stored sealed with the waybill",
          tags: ['tracking'],
          security: [{ apiKey: [], signature: [] }],
          params: Params,
          querystring: Query,
          response: { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody },
        },
      },
      async (req, reply) => {
        const { waybillNo } = req.params;
        const shipment = await findShipmentByWaybill(deps.store.db, waybillNo, req.query.carrier);
        if (!shipment || !(await callerOwnsOrder(deps, req.caller, shipment.orderId))) {
          throw new WaygateError('shipment_not_found', `no shipment with waybill ${waybillNo}`);
        }
        const got = await shipmentLabel(deps.store, deps.carriers.get(shipment.carrier), {
          id: shipment.id,
          carrier: shipment.carrier,
          waybillNo: shipment.waybillNo,
        });
        if ('none' in got) {
          if (got.none === 'not_issued')
            throw new WaygateError('label_not_found', `${shipment.carrier} issues no label for ${waybillNo}`);
          throw new WaygateError(
            'label_unavailable',
            `the label of ${waybillNo} is not available now: ${got.reason}`,
          );
        }
        const label = got.found;
        const ext = label.format.toLowerCase();
        return reply
          .code(200)
          .header('content-type', LABEL_CONTENT_TYPES[label.format] ?? 'application/octet-stream')
          .header('content-disposition', `attachment; filename="${safeName(waybillNo)}.${ext}"`)
          .header('cache-control', 'no-store')
          .header('x-content-type-options', 'nosniff')
          .send(label.data);
      },
    );
  };

/** The waybill as a file name: letters, digits, dash and underscore only. */
const safeName = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

/** A partner-bound caller sees the labels of its own orders only (OWASP API1). */
async function callerOwnsOrder(deps: GatewayDeps, caller: Caller | undefined, orderId: string) {
  if (!caller?.partnerId) return caller !== undefined;
  const source = await orderSource(deps.store.db, orderId);
  return source !== undefined && ownsSource(caller, source);
}
