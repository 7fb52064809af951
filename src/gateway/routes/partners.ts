/**
 * Partner pushes: order webhooks from platforms and tracking callbacks from carriers. Each is
 * verified in the partner's own scheme by its connector before anything is stored; a push that
 * fails verification is answered 401 and leaves no trace in the business tables.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import type { InboundRequest } from '../../connectors/types.js';
import { INBOUND_ORDER, INBOUND_TRACKING, queueInbound } from '../../pipeline/inbound.js';
import type { GatewayDeps } from '../types.js';
import type { Admission } from '../admission.js';
import { sendError } from '../errors.js';
import { ErrorBody } from './views.js';

const Params = Type.Object({ partnerId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }) });

function inbound(req: FastifyRequest): InboundRequest {
  return { headers: req.headers, rawBody: req.rawBody ?? '', nowMs: Date.now() };
}

export const partnerRoutes =
  (deps: GatewayDeps, admission: Admission): FastifyPluginAsync =>
  async (app) => {
    // Partners sign the raw body; accept whatever JSON they send and let the connector judge it.
    app.post<{ Params: Static<typeof Params> }>(
      '/webhooks/:partnerId/orders',
      {
        config: { auth: 'partner' },
        schema: {
          summary:
            'Order webhook from a sales platform: verified in the platform’s own signature scheme, stored and queued; 202 before transformation',
          tags: ['partners'],
          params: Params,
          response: {
            202: Type.Object({ id: Type.String(), status: Type.String() }),
            400: ErrorBody,
            401: ErrorBody,
            404: ErrorBody,
            503: ErrorBody,
          },
        },
      },
      async (req, reply) => {
        const platform = deps.platforms.get(req.params.partnerId);
        if (!platform)
          throw new WaygateError('partner_not_found', `no platform partner ${req.params.partnerId}`);
        const request = inbound(req);
        if (!platform.verifyWebhook(request)) {
          return sendError(
            reply,
            'partner_signature_invalid',
            `the ${platform.manifest.id} webhook signature does not verify`,
          );
        }
        // Admitted only once the partner is known: forged pushes never hold a slot.
        return admission.run(reply, async () => {
          const queued = await queueInbound(deps.store, INBOUND_ORDER, platform.manifest.id, request);
          if (!queued.duplicate) deps.notifyWork();
          return reply
            .code(202)
            .send({ id: queued.messageId, status: queued.duplicate ? 'duplicate' : 'queued' });
        });
      },
    );

    app.post<{ Params: Static<typeof Params> }>(
      '/callbacks/:partnerId/tracking',
      {
        config: { auth: 'partner' },
        schema: {
          summary:
            'Tracking push from a carrier: verified in the carrier’s own signature scheme, stored and queued; 202 before transformation',
          tags: ['partners'],
          params: Params,
          response: {
            202: Type.Object({ id: Type.String(), status: Type.String() }),
            400: ErrorBody,
            401: ErrorBody,
            404: ErrorBody,
          },
        },
      },
      async (req, reply) => {
        const carrier = deps.carriers.get(req.params.partnerId);
        if (!carrier?.verifyCallback || !carrier.parseCallback) {
          throw new WaygateError('partner_not_found', `no carrier ${req.params.partnerId} pushing tracking`);
        }
        const request = inbound(req);
        if (!carrier.verifyCallback(request)) {
          return sendError(
            reply,
            'partner_signature_invalid',
            `the ${carrier.manifest.id} callback signature does not verify`,
          );
        }
        const queued = await queueInbound(deps.store, INBOUND_TRACKING, carrier.manifest.id, request);
        if (!queued.duplicate) deps.notifyWork();
        return reply
          .code(202)
          .send({ id: queued.messageId, status: queued.duplicate ? 'duplicate' : 'queued' });
      },
    );
  };
