/** Data-subject requests through the API [001-7.3]: export and erase a consignee’s personal data. */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { eraseSubject, exportSubject } from '../../pipeline/data-subject.js';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

const Subject = Type.Object(
  {
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9 ()-]{5,24}$' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
type Subject = Static<typeof Subject>;

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody };
const security = [{ apiKey: [], signature: [] }];
const actorOf = (caller: { kind: string; id: string } | undefined) =>
  caller ? `${caller.kind}:${caller.id}` : 'anonymous';

export const privacyRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: Subject }>(
      '/privacy/export',
      {
        config: { permission: 'dsr:export' },
        schema: {
          summary: 'Export all personal data held about a consignee (by e-mail and/or phone)',
          tags: ['privacy'],
          security,
          body: Subject,
          response: errors,
        },
      },
      async (req) => exportSubject(deps.store, req.body, actorOf(req.caller)),
    );
    app.post<{ Body: Subject }>(
      '/privacy/erase',
      {
        config: { permission: 'dsr:erase' },
        schema: {
          summary: 'Erase a consignee’s personal data; orders keep their non-personal data',
          description: 'Refused with 409 `subject_has_open_orders` while an order is still on its way.',
          tags: ['privacy'],
          security,
          body: Subject,
          response: {
            200: Type.Object({
              subjectRef: Type.String(),
              ordersErased: Type.Array(Type.String()),
              partnerMessagesErased: Type.Integer(),
            }),
            ...errors,
          },
        },
      },
      async (req) => eraseSubject(deps.store, req.body, actorOf(req.caller)),
    );
  };
