/**
 * Partner pushes: order webhooks from platforms and tracking callbacks from carriers, served by
 * one handler parameterised by the partner's kind. Each push is verified in the partner's own
 * scheme by its connector, over the exact bytes received, before anything is stored; a push
 * that fails verification is answered 401 and leaves no trace in the business tables.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import type { InboundRequest, ManifestBase } from '../../connectors/types.js';
import {
  INBOUND_ORDER,
  INBOUND_RETURN,
  INBOUND_STOCK,
  INBOUND_TRACKING,
  queueInbound,
  type InboundKind,
} from '../../pipeline/inbound.js';
import type { GatewayDeps } from '../types.js';
import type { Admission } from '../admission.js';
import { sendError } from '../errors.js';
import { ErrorBody } from './views.js';

const Params = Type.Object({ partnerId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }) });

/** A partner able to push, as the handler needs it: who it is and how it signs. */
interface Pusher {
  manifest: ManifestBase;
  verify(req: InboundRequest): boolean;
}

/** What differs between the kinds of push; the handler below is the same for all. */
interface PushRoute {
  url: string;
  summary: string;
  /** The job that turns the stored push into canonical records. */
  job: InboundKind;
  /** `webhook` or `callback`, for messages. */
  noun: string;
  find(deps: GatewayDeps, partnerId: string): Pusher | undefined;
  /** Why no partner answered to the id (the 404 message). */
  notFound(partnerId: string): string;
  /**
   * Whether the push takes an admission slot. Order webhooks create work (an order, a shipment
   * to buy) and are refused at capacity like API orders; a carrier's tracking callbacks only
   * update what exists and must not be refused while the hub is busy buying waybills.
   */
  admitted: boolean;
}

const ROUTES: readonly PushRoute[] = [
  {
    url: '/webhooks/:partnerId/orders',
    summary:
      'Order webhook from a sales platform: verified in the platform’s own signature scheme, stored and queued; 202 before transformation',
    job: INBOUND_ORDER,
    noun: 'webhook',
    find(deps, id) {
      const platform = deps.platforms.get(id);
      // A platform whose orders are pulled (no orders.webhook) takes no pushes: unknown here.
      const verify = platform?.verifyWebhook?.bind(platform);
      return platform && verify && { manifest: platform.manifest, verify: (r) => verify(r) };
    },
    notFound: (id) => `no platform partner ${id}`,
    admitted: true,
  },
  {
    url: '/webhooks/:partnerId/returns',
    summary:
      'Return request from a sales platform (a buyer asks to return or exchange): verified in the platform’s own signature scheme, stored and queued; 202 before it is authorised',
    job: INBOUND_RETURN,
    noun: 'return webhook',
    find(deps, id) {
      const platform = deps.platforms.get(id);
      const verify = platform?.verifyWebhook?.bind(platform);
      if (!platform?.parseReturnWebhook || !verify) return undefined;
      return { manifest: platform.manifest, verify: (r) => verify(r) };
    },
    notFound: (id) => `no platform ${id} sending return requests`,
    // A return creates work (a warehouse announcement, a label): refused at capacity like orders.
    admitted: true,
  },
  {
    url: '/callbacks/:partnerId/tracking',
    summary:
      'Tracking push from a carrier: verified in the carrier’s own signature scheme, stored and queued; 202 before transformation',
    job: INBOUND_TRACKING,
    noun: 'callback',
    find(deps, id) {
      const carrier = deps.carriers.get(id);
      if (!carrier?.verifyCallback || !carrier.parseCallback) return undefined;
      const verify = carrier.verifyCallback.bind(carrier);
      return { manifest: carrier.manifest, verify };
    },
    notFound: (id) => `no carrier ${id} pushing tracking`,
    admitted: false,
  },
  {
    url: '/webhooks/:partnerId/stock',
    summary:
      'Stock-change push from a warehouse (received, shipped, adjusted, damaged, returned): verified in the warehouse’s own signature scheme, stored and queued; 202 before it is applied',
    job: INBOUND_STOCK,
    noun: 'stock push',
    find(deps, id) {
      const warehouse = deps.warehouses?.get(id);
      if (!warehouse?.verifyStockPush || !warehouse.parseStockPush) return undefined;
      const verify = warehouse.verifyStockPush.bind(warehouse);
      return { manifest: warehouse.manifest, verify };
    },
    notFound: (id) => `no warehouse ${id} pushing stock changes`,
    // Stock changes only update what exists; they are never refused while the hub is busy.
    admitted: false,
  },
];

function inbound(req: FastifyRequest): InboundRequest {
  return {
    headers: req.headers,
    rawBody: req.rawBody ?? '',
    rawBytes: req.rawBytes ?? Buffer.alloc(0),
    nowMs: Date.now(),
  };
}

export const partnerRoutes =
  (deps: GatewayDeps, admission: Admission): FastifyPluginAsync =>
  async (app) => {
    for (const route of ROUTES) {
      // Partners sign the raw body; accept whatever JSON they send and let the connector judge it.
      app.post<{ Params: Static<typeof Params> }>(
        route.url,
        {
          config: { auth: 'partner' },
          schema: {
            summary: route.summary,
            tags: ['partners'],
            params: Params,
            response: {
              202: Type.Object({ id: Type.String(), status: Type.String() }),
              400: ErrorBody,
              401: ErrorBody,
              404: ErrorBody,
              ...(route.admitted ? { 503: ErrorBody } : {}),
            },
          },
        },
        async (req, reply) => {
          const partner = route.find(deps, req.params.partnerId);
          if (!partner) throw new WaygateError('partner_not_found', route.notFound(req.params.partnerId));
          const request = inbound(req);
          if (!partner.verify(request)) {
            return sendError(
              reply,
              'partner_signature_invalid',
              `the ${partner.manifest.id} ${route.noun} signature does not verify`,
            );
          }
          const store = async () => {
            const queued = await queueInbound(deps.store, route.job, partner.manifest, request);
            if (!queued.duplicate) deps.notifyWork();
            return reply
              .code(202)
              .send({ id: queued.messageId, status: queued.duplicate ? 'duplicate' : 'queued' });
          };
          // Admitted only once the partner is known: forged pushes never hold a slot.
          return route.admitted ? admission.run(reply, store) : store();
        },
      );
    }
  };
