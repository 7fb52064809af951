/**
 * People's sign-in [004-8] [004-9] [003-5.1]: login (password, then a TOTP code when enrolled),
 * logout, password change and reset, TOTP enrolment. Sessions are `Authorization: Bearer <token>`.
 *
 * These routes are `auth: 'none'` for the gateway's hook and check the session themselves: login
 * and reset have none yet, and a session whose password expired may still change the password
 * while it holds no permission for anything else.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import { AccountLockedError, AccountService, bearerToken } from '../../security/accounts.js';
import type { SecretBox } from '../../security/secret-box.js';
import type { Store } from '../../store/db.js';
import { sendError } from '../errors.js';
import { ErrorBody } from './views.js';

export interface AccountRouteDeps {
  store: Store;
  box: SecretBox;
  /** Shared with the auth hook when given; otherwise the routes make their own (state is in the store). */
  accounts?: AccountService;
}

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    totp: Type.Optional(
      Type.String({ pattern: '^[0-9 ]{6,8}$', description: 'the 6-digit authenticator code' }),
    ),
  },
  { additionalProperties: false },
);
const LoginAnswer = Type.Object({
  token: Type.String({ description: 'send as `Authorization: Bearer <token>`' }),
  expiresAt: Type.String({ format: 'date-time', description: 'absolute end; 30 idle minutes end it sooner' }),
  role: Type.String(),
  mustChangePassword: Type.Boolean({
    description: 'the password expired: only POST /v1/auth/password is allowed until it is changed',
  }),
});
const SessionAnswer = Type.Object({
  username: Type.String(),
  role: Type.String(),
  permissions: Type.Array(Type.String()),
  expiresAt: Type.String({ format: 'date-time' }),
  mustChangePassword: Type.Boolean(),
});
const ChangeBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 1024 }),
    newPassword: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
const Changed = Type.Object({
  passwordExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const ResetBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200 }),
    newPassword: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
const Enrolment = Type.Object({
  otpauthUri: Type.String({ description: 'show as a QR code; shown once' }),
  secret: Type.String({ description: 'base32, for typing in by hand; shown once' }),
});
const ConfirmBody = Type.Object(
  { code: Type.String({ pattern: '^[0-9 ]{6,8}$' }) },
  { additionalProperties: false },
);
const TotpEnabled = Type.Object({ totpEnabled: Type.Literal(true) });

const tags = ['auth'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody };
const iso = (ms: number) => new Date(ms).toISOString();

function sessionToken(req: FastifyRequest): string {
  const token = bearerToken(req.headers.authorization);
  if (!token)
    throw new WaygateError('session_required', 'send Authorization: Bearer <token> from POST /v1/auth/login');
  return token;
}

/** Login attempts per minute from one address. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 30;

export const authRoutes =
  (deps: AccountRouteDeps): FastifyPluginAsync =>
  async (app) => {
    const accounts = deps.accounts ?? new AccountService({ store: deps.store, box: deps.box });

    app.post<{ Body: Static<typeof LoginBody> }>(
      '/auth/login',
      {
        // Per address, whatever the account: slows credential stuffing across many usernames.
        config: { auth: 'none', rateLimit: { max: LOGIN_ATTEMPTS_PER_MINUTE, timeWindow: 60_000 } },
        schema: {
          summary: 'Log in with username, password and (when enrolled) a TOTP code',
          description:
            'An unknown username, a wrong password and a locked account (five failures in a row lock it ' +
            'for 15 minutes) all get the same 401 `invalid_credentials`, so the answer tells nobody which ' +
            'accounts exist or are locked; an administrator sees locks in the user list. Too many failures ' +
            'from one address or for one username answer 429 `auth_throttled` with Retry-After. An account ' +
            'with TOTP answers 401 `totp_required` until the code is sent.',
          tags,
          body: LoginBody,
          response: { 200: LoginAnswer, ...errors, 429: ErrorBody },
        },
      },
      async (req, reply) => {
        const r = await accounts.login(req.body);
        reply.header('cache-control', 'no-store');
        return {
          token: r.token,
          expiresAt: iso(r.expiresAt),
          role: r.role,
          mustChangePassword: r.mustChangePassword,
        };
      },
    );

    app.get(
      '/auth/session',
      {
        config: { auth: 'none' },
        schema: {
          summary: 'Who this session is: username, role, the permissions it holds and when it ends',
          description:
            'The console asks this to show only what the user may do; the API still checks every call. ' +
            'A session whose password expired holds no permission until the password is changed.',
          tags,
          response: { 200: SessionAnswer, ...errors },
        },
      },
      async (req, reply) => {
        const info = await accounts.resolveSessionInfo(sessionToken(req));
        if (!info)
          return sendError(
            reply,
            'session_invalid',
            'the session is unknown, expired or revoked; log in again',
          );
        reply.header('cache-control', 'no-store');
        return {
          username: info.username,
          role: info.role,
          permissions: [...info.caller.permissions].sort(),
          expiresAt: iso(info.expiresAt),
          mustChangePassword: info.mustChangePassword,
        };
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { auth: 'none' },
        schema: { summary: 'End this session', tags, response: { 204: Type.Null(), ...errors } },
      },
      async (req, reply) => {
        await accounts.logout(sessionToken(req));
        return reply.code(204).send();
      },
    );

    app.post<{ Body: Static<typeof ChangeBody> }>(
      '/auth/password',
      {
        config: { auth: 'none' },
        schema: {
          summary: 'Change your own password (also when it has expired)',
          description:
            'The new password must meet the policy in force and differ from the current one; your other sessions end. ' +
            'A refusal lists every reason in `details` (`code` per rule).',
          tags,
          body: ChangeBody,
          response: { 200: Changed, ...errors, 423: ErrorBody },
        },
      },
      async (req, reply) => {
        try {
          const r = await accounts.changePassword(
            sessionToken(req),
            req.body.currentPassword,
            req.body.newPassword,
          );
          return { passwordExpiresAt: r.passwordExpiresAt === null ? null : iso(r.passwordExpiresAt) };
        } catch (err) {
          if (!(err instanceof AccountLockedError)) throw err;
          reply.header('retry-after', String(err.retryAfterS));
          return sendError(reply, err.code, err.message, err.details);
        }
      },
    );

    app.post<{ Body: Static<typeof ResetBody> }>(
      '/auth/reset',
      {
        config: { auth: 'none' },
        schema: {
          summary: 'Set a new password with a one-time reset token from an administrator',
          description:
            'The token is valid 30 minutes and once. Any lockout is lifted and every session ends.',
          tags,
          body: ResetBody,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        await accounts.completeReset(req.body.token, req.body.newPassword);
        return reply.code(204).send();
      },
    );

    app.post(
      '/auth/totp/enrol',
      {
        config: { auth: 'none' },
        schema: {
          summary: 'Start TOTP enrolment: the otpauth:// URI and secret, shown once',
          description: 'Takes effect when confirmed with a code (POST /v1/auth/totp/confirm).',
          tags,
          response: { 200: Enrolment, ...errors },
        },
      },
      async (req, reply) => {
        const r = await accounts.enrolTotp(sessionToken(req));
        reply.header('cache-control', 'no-store');
        return r;
      },
    );

    app.post<{ Body: Static<typeof ConfirmBody> }>(
      '/auth/totp/confirm',
      {
        config: { auth: 'none' },
        schema: {
          summary: 'Confirm TOTP enrolment with the current code; from then on every login needs a code',
          tags,
          body: ConfirmBody,
          response: { 200: TotpEnabled, ...errors },
        },
      },
      async (req) => {
        await accounts.confirmTotp(sessionToken(req), req.body.code);
        return { totpEnabled: true as const };
      },
    );
  };
