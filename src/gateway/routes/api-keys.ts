/** API keys managed through the API (the dashboard's security page): never shows a secret twice. */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import { checkKeyGrant } from '../../security/api-key-policy.js';
import { auditRefusal } from '../../security/grant-audit.js';
import { assertCanGrant } from '../../security/grants.js';
import { createApiKey, findKeyGrant, listApiKeys, revokeApiKey, rotateApiKey } from '../../store/api-keys.js';
import { recordAudit } from '../../store/audit.js';
import type { GatewayDeps } from '../types.js';
import { requestGrantor } from './grantor.js';
import { ErrorBody } from './views.js';

const NewKey = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(Type.String({ maxLength: 40 }), { minItems: 1, maxItems: 40 }),
    partnerId: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' })),
    allowCidrs: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
    ratePerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
const KeyParams = Type.Object({ keyId: Type.String({ pattern: '^wk_[A-Za-z0-9_-]{6,40}$' }) });
const Rotate = Type.Object(
  { overlapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86_400 })) },
  { additionalProperties: false },
);
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const config = { permission: 'apikeys:manage' as const };
const tags = ['security'];

export const apiKeyRoutes =
  (deps: GatewayDeps, forget: (keyId: string) => void): FastifyPluginAsync =>
  async (app) => {
    const actor = (c: { kind: string; id: string } | undefined) => (c ? `${c.kind}:${c.id}` : 'anonymous');

    app.get(
      '/apikeys',
      { config, schema: { summary: 'List API keys (no secrets)', tags, response: errors } },
      async () => ({
        data: await listApiKeys(deps.store.db),
      }),
    );

    app.post<{ Body: Static<typeof NewKey> }>(
      '/apikeys',
      {
        config,
        schema: {
          summary: 'Create an API key; the secret is returned once',
          tags,
          body: NewKey,
          response: errors,
        },
      },
      async (req, reply) => {
        const b = req.body;
        const expiresAt = b.expiresAt ? Date.parse(b.expiresAt) : null;
        const scopes = checkKeyGrant({ ...b, expiresAt });
        const grant = {
          scopes,
          partnerId: b.partnerId ?? null,
          allowCidrs: b.allowCidrs ?? [],
          ratePerMinute: b.ratePerMinute ?? null,
          expiresAt,
        };
        const refused = {
          actor: actor(req.caller),
          action: 'apikey.created',
          target: 'apikey:new',
          detail: { scopes, partner: grant.partnerId },
        };
        const key = await auditRefusal(deps.store, refused, () =>
          deps.store.write(async (trx) => {
            assertCanGrant(await requestGrantor(req, trx, actor(req.caller)), grant);
            const created = await createApiKey(trx, deps.box, { name: b.name, ...grant });
            await recordAudit(trx, {
              actor: actor(req.caller),
              action: 'apikey.created',
              target: created.keyId,
              detail: {
                scopes,
                partner: grant.partnerId,
                allow: grant.allowCidrs,
                rate: grant.ratePerMinute,
              },
              outcome: 'ok',
            });
            return created;
          }),
        );
        return reply.code(201).send(key);
      },
    );

    app.post<{ Params: Static<typeof KeyParams>; Body: Static<typeof Rotate> | undefined }>(
      '/apikeys/:keyId/rotate',
      {
        config,
        // The body is optional: no body means the default overlap.
        preValidation: async (req) => {
          req.body ??= {};
        },
        schema: {
          summary: 'Issue a new secret; the old one stays valid for the overlap',
          tags,
          params: KeyParams,
          body: Rotate,
          response: errors,
        },
      },
      async (req) => {
        const overlapMs = (req.body?.overlapSeconds ?? 86_400) * 1000;
        const keyId = req.params.keyId;
        const refused = { actor: actor(req.caller), action: 'apikey.rotated', target: keyId, detail: {} };
        const rotated = await auditRefusal(deps.store, refused, () =>
          deps.store.write(async (trx) => {
            // The new secret goes to the caller: rotating hands over the key with all its grant.
            const held = await findKeyGrant(trx, keyId);
            if (!held) throw new WaygateError('apikey_not_found', `no active API key ${keyId}`);
            assertCanGrant(await requestGrantor(req, trx, actor(req.caller)), held);
            const r = await rotateApiKey(trx, deps.box, keyId, overlapMs);
            if (!r) throw new WaygateError('apikey_not_found', `no active API key ${keyId}`);
            await recordAudit(trx, {
              actor: actor(req.caller),
              action: 'apikey.rotated',
              target: r.keyId,
              detail: { overlapMs },
              outcome: 'ok',
            });
            return r;
          }),
        );
        forget(rotated.keyId);
        return { ...rotated, previousValidUntil: new Date(rotated.previousValidUntil).toISOString() };
      },
    );

    app.post<{ Params: Static<typeof KeyParams> }>(
      '/apikeys/:keyId/revoke',
      { config, schema: { summary: 'Revoke a key at once', tags, params: KeyParams, response: errors } },
      async (req) => {
        await deps.store.write(async (trx) => {
          if (!(await revokeApiKey(trx, req.params.keyId))) {
            throw new WaygateError('apikey_not_found', `no active API key ${req.params.keyId}`);
          }
          await recordAudit(trx, {
            actor: actor(req.caller),
            action: 'apikey.revoked',
            target: req.params.keyId,
            detail: {},
            outcome: 'ok',
          });
        });
        forget(req.params.keyId);
        return { keyId: req.params.keyId, revoked: true };
      },
    );
  };
