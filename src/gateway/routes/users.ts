/**
 * Account administration [004-8] [000-5] (permission `users:manage`): list, create, change role,
 * freeze/unfreeze/disable, lift a lockout, remove a lost second factor, issue a reset token, and
 * the quarterly inactivity review. Answers never carry a hash, secret or session.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import { AccountService, DEFAULT_INACTIVE_DAYS } from '../../security/accounts.js';
import { ROLES, can } from '../../security/permissions.js';
import type { AccountRouteDeps } from './auth.js';
import { requestGrantor } from './grantor.js';
import { ErrorBody } from './views.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const RoleSchema = Type.Union(
  ROLES.map((r) => Type.Literal(r)),
  { description: 'a role of the permission model' },
);
const UsernameParams = Type.Object({
  username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$' }),
});
const UserView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('frozen'), Type.Literal('disabled')]),
  locked: Type.Boolean(),
  lockedUntil: Nullable(Type.String({ format: 'date-time' })),
  totpEnabled: Type.Boolean(),
  passwordChangedAt: Type.String({ format: 'date-time' }),
  passwordExpiresAt: Nullable(Type.String({ format: 'date-time' })),
  lastLoginAt: Nullable(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
});
const UserList = Type.Object({ data: Type.Array(UserView) });
const CreateBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 64 }),
    role: RoleSchema,
    password: Type.String({ minLength: 1, maxLength: 1024, description: 'must meet the policy in force' }),
  },
  { additionalProperties: false },
);
const RoleBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });
const ResetToken = Type.Object({
  token: Type.String({ description: 'hand it over out of band; valid once, for 30 minutes' }),
  expiresAt: Type.String({ format: 'date-time' }),
});
const ReviewBody = Type.Object(
  {
    inactiveDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: DEFAULT_INACTIVE_DAYS })),
    dryRun: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
const ReviewAnswer = Type.Object({
  inactiveDays: Type.Integer(),
  dryRun: Type.Boolean(),
  accounts: Type.Array(
    Type.Object({
      id: Type.String(),
      username: Type.String(),
      role: Type.String(),
      lastLoginAt: Nullable(Type.String({ format: 'date-time' })),
      inactiveDays: Type.Integer(),
    }),
  ),
});

const tags = ['users'];
const security = [{ apiKey: [], signature: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const config = { permission: 'users:manage' as const };

export const userRoutes =
  (deps: AccountRouteDeps): FastifyPluginAsync =>
  async (app) => {
    const accounts = deps.accounts ?? new AccountService({ store: deps.store, box: deps.box });
    const actor = (caller: { id: string } | undefined) => caller?.id ?? 'anonymous';
    /** Who grants: nobody grants a role whose permissions they lack (security/grants.ts). */
    const grantor = (req: FastifyRequest) => requestGrantor(req, deps.store.db, actor(req.caller));

    // The gateway's hook checks the permission; checked here again so these routes can never be
    // registered open by mistake.
    app.addHook('preHandler', async (req) => {
      if (!can(req.caller, 'users:manage'))
        throw new WaygateError('missing_permission', 'this caller lacks the users:manage permission', {
          required: 'users:manage',
        });
    });

    app.get(
      '/users',
      {
        config,
        schema: { summary: 'List accounts', tags, security, response: { 200: UserList, ...errors } },
      },
      async () => ({ data: await accounts.listUsers() }),
    );

    app.post<{ Body: Static<typeof CreateBody> }>(
      '/users',
      {
        config,
        schema: {
          summary: 'Create an account',
          description:
            'A refused password lists every reason in `details` (`code` per rule). The caller must hold ' +
            'every permission of the role, and only an administrator creates an `admin` ' +
            '(403 `grant_exceeds_grantor`).',
          tags,
          security,
          body: CreateBody,
          response: { 201: UserView, ...errors },
        },
      },
      async (req, reply) => reply.code(201).send(await accounts.addUser(await grantor(req), req.body)),
    );

    app.post<{ Body: Static<typeof ReviewBody> }>(
      '/users/review',
      {
        config,
        schema: {
          summary: 'Quarterly review: freeze accounts inactive for more than N days (default 90)',
          description: '`dryRun` only lists them. The body may be empty.',
          tags,
          security,
          body: ReviewBody,
          response: { 200: ReviewAnswer, ...errors },
        },
        preValidation: async (req) => {
          req.body ??= {};
        },
      },
      async (req) =>
        accounts.reviewAccounts({
          actor: actor(req.caller),
          ...(req.body.inactiveDays !== undefined ? { inactiveDays: req.body.inactiveDays } : {}),
          ...(req.body.dryRun !== undefined ? { dryRun: req.body.dryRun } : {}),
        }),
    );

    app.post<{ Params: Static<typeof UsernameParams>; Body: Static<typeof RoleBody> }>(
      '/users/:username/role',
      {
        config,
        schema: {
          summary: 'Change an account’s role',
          tags,
          security,
          params: UsernameParams,
          body: RoleBody,
          response: { 200: UserView, ...errors },
        },
      },
      async (req) => accounts.setRole(await grantor(req), req.params.username, req.body.role),
    );

    const statusRoute = (path: string, summary: string, status: 'active' | 'frozen' | 'disabled') =>
      app.post<{ Params: Static<typeof UsernameParams> }>(
        `/users/:username/${path}`,
        {
          config,
          schema: { summary, tags, security, params: UsernameParams, response: { 200: UserView, ...errors } },
        },
        async (req) => accounts.setStatus(await grantor(req), req.params.username, status),
      );
    statusRoute('freeze', 'Freeze an account (reversible); its sessions end', 'frozen');
    statusRoute('unfreeze', 'Unfreeze an account; inactivity is counted afresh', 'active');
    statusRoute('disable', 'Disable the account of a leaver; its sessions end', 'disabled');

    app.post<{ Params: Static<typeof UsernameParams> }>(
      '/users/:username/unlock',
      {
        config,
        schema: {
          summary: 'Lift a failed-login lockout early',
          tags,
          security,
          params: UsernameParams,
          response: { 200: UserView, ...errors },
        },
      },
      async (req) => accounts.unlock(await grantor(req), req.params.username),
    );

    app.post<{ Params: Static<typeof UsernameParams> }>(
      '/users/:username/totp/remove',
      {
        config,
        schema: {
          summary: 'Remove the second factor (a lost phone); the person enrols again after logging in',
          tags,
          security,
          params: UsernameParams,
          response: { 200: UserView, ...errors },
        },
      },
      async (req) => accounts.removeTotp(await grantor(req), req.params.username),
    );

    app.post<{ Params: Static<typeof UsernameParams> }>(
      '/users/:username/reset-token',
      {
        config,
        schema: {
          summary: 'Issue a one-time password reset token (30 minutes)',
          description:
            'There is no mailer: hand the token to the person out of band. Issuing one voids earlier ones.',
          tags,
          security,
          params: UsernameParams,
          response: { 201: ResetToken, ...errors },
        },
      },
      async (req, reply) => {
        const r = await accounts.requestReset(await grantor(req), req.params.username);
        reply.header('cache-control', 'no-store');
        return reply.code(201).send({ token: r.token, expiresAt: new Date(r.expiresAt).toISOString() });
      },
    );
  };
