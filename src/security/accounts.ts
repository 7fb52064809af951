/**
 * People's accounts [004-8] [004-9] [003-5.1] [000-5]: one account per person with a role, password
 * login with an optional TOTP code, sessions, failed-login lockout, password rotation and reset,
 * and the quarterly review that freezes long-inactive accounts.
 *
 * - Login answers the same `invalid_credentials` for an unknown username, a wrong password and
 *   a locked account (even when the password is right), and does the same work for each (argon2,
 *   one audit write), so neither the answer nor its timing tells which usernames exist or which
 *   are locked, and a lockout gives no password oracle. The person learns of a lock from the
 *   answer's message (which names the possibility to everyone), from an administrator
 *   (`waygate user list` shows it) and from the audit log (`user.locked`).
 * - Session tokens and reset tokens are random and opaque; only their SHA-256 is stored, so a
 *   copy of the database gives no usable token. Sessions end after 30 idle minutes or 12 hours.
 * - An expired password still logs in, but the session carries no permission until the password
 *   is changed (`mustChangePassword`); only POST /v1/auth/password accepts it.
 * - Every action writes an audit row (never a password, token or code).
 */
import { createHash, randomBytes } from 'node:crypto';
import { WaygateError } from '../domain/index.js';
import { recordAudit, type AuditOutcome } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import type { Executor } from '../store/transaction.js';
import {
  claimPasswordReset,
  claimTotpStep,
  countFailure,
  findPasswordReset,
  findSession,
  findUserById,
  findUserByUsername,
  getSetting,
  insertPasswordReset,
  insertSession,
  insertUser,
  listUserRows,
  revokeSession,
  revokeUserSessions,
  setSetting,
  touchSession,
  updateUser,
  voidPasswordResets,
  type UserRow,
} from '../store/users.js';
import type { UserStatus } from '../store/users-schema.js';
import {
  DEFAULT_POLICY_PRESET,
  PASSWORD_POLICIES,
  checkPassword,
  describeRejection,
  isPolicyPreset,
  normalisePassword,
  passwordExpired,
  passwordExpiresAt,
  type PasswordPolicy,
  type PasswordRejection,
} from './password-policy.js';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { assertCanGrant, type Grantor } from './grants.js';
import { isRole, permissionsOfRole, type Caller, type Role } from './permissions.js';
import type { SecretBox } from './secret-box.js';
import { matchTotp, newTotpSecret, totpUri } from './totp.js';

export interface AccountOptions {
  /** Failed logins in a row that lock the account. */
  maxFailedLogins: number;
  lockoutMs: number;
  sessionIdleMs: number;
  sessionMaxMs: number;
  resetTokenTtlMs: number;
  /** `last_seen_at` is written at most this often per session (not on every request). */
  sessionTouchMs: number;
  /** How long the policy preset read from settings is reused before it is read again. */
  policyCacheMs: number;
  totpIssuer: string;
}

export const ACCOUNT_DEFAULTS: AccountOptions = {
  maxFailedLogins: 5,
  lockoutMs: 15 * 60_000,
  sessionIdleMs: 30 * 60_000,
  sessionMaxMs: 12 * 3_600_000,
  resetTokenTtlMs: 30 * 60_000,
  sessionTouchMs: 60_000,
  policyCacheMs: 10_000,
  totpIssuer: 'Waygate',
};

/** Quarterly review [004-8]: accounts without a login for this many days are frozen. */
export const DEFAULT_INACTIVE_DAYS = 90;

const POLICY_SETTING = 'password_policy';
const SESSION_PREFIX = 'wgs_';
const RESET_PREFIX = 'wgr_';
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

export const USER_STATUSES: readonly UserStatus[] = ['active', 'frozen', 'disabled'];

/**
 * 423 at the gateway, with Retry-After: only to a caller who is already signed in (changing the
 * password). Login never answers it: see invalidCredentials.
 */
export class AccountLockedError extends WaygateError {
  readonly retryAfterS: number;
  constructor(retryAfterS: number) {
    super('account_locked', 'too many failed logins: the account is locked for a while', {
      retryAfterS,
    });
    this.name = 'AccountLockedError';
    this.retryAfterS = retryAfterS;
  }
}

// The catalogue's message for this code names the lock too: every caller reads the same words.
const invalidCredentials = () => new WaygateError('invalid_credentials');
const totpRequired = () =>
  new WaygateError('totp_required', 'this account needs the code from its authenticator app (totp)');
const totpInvalid = () =>
  new WaygateError('totp_invalid', 'the authenticator code is wrong, expired or was already used');
const sessionInvalid = () =>
  new WaygateError('session_invalid', 'sign in again: the session is unknown, expired or ended');
const resetTokenInvalid = () =>
  new WaygateError('reset_token_invalid', 'the reset token is unknown, expired or was already used');
const passwordExpiredError = () =>
  new WaygateError('password_expired', 'the password has expired: change it first (POST /v1/auth/password)');
const accountInactive = (status: string) =>
  new WaygateError(
    status === 'disabled' ? 'account_disabled' : 'account_frozen',
    `the account is ${status}: ask an administrator`,
  );
const userNotFound = () => new WaygateError('user_not_found', 'no such user');

function passwordRejected(reasons: PasswordRejection[], policy: PasswordPolicy, field: string) {
  return new WaygateError(
    'password_rejected',
    `the password does not meet the ${policy.preset} policy: ${reasons.map((r) => describeRejection(r, policy)).join('; ')}`,
    reasons.map((code) => ({ field, code, message: describeRejection(code, policy) })),
  );
}

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const newToken = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The token of an `Authorization: Bearer <token>` header, if it is one. */
export function bearerToken(authorization: string | string[] | undefined): string | undefined {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  const m = value?.match(/^Bearer +([A-Za-z0-9_-]{1,200})$/i);
  return m?.[1];
}

/** True for tokens that look like ours (cheap filter before any database read). */
export const isSessionToken = (token: string) => token.startsWith(SESSION_PREFIX) && token.length <= 200;

/** An account as shown to administrators: never a hash, secret or token. */
export interface UserView {
  id: string;
  username: string;
  role: string;
  status: string;
  locked: boolean;
  lockedUntil: string | null;
  totpEnabled: boolean;
  passwordChangedAt: string;
  passwordExpiresAt: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface LoginResult {
  /** `password_expired`: the session may only change the password [004-9]. */
  status: 'ok' | 'password_expired';
  token: string;
  expiresAt: number;
  userId: string;
  role: Role;
  mustChangePassword: boolean;
}

export interface SessionInfo {
  caller: Caller;
  userId: string;
  username: string;
  role: Role;
  /** Absolute end of the session. */
  expiresAt: number;
  /** The caller has no permission until the password is changed. */
  mustChangePassword: boolean;
}

export interface ReviewedAccount {
  id: string;
  username: string;
  role: string;
  lastLoginAt: string | null;
  inactiveDays: number;
}

export interface ReviewResult {
  inactiveDays: number;
  dryRun: boolean;
  /** Accounts inactive longer than `inactiveDays`; frozen unless `dryRun`. */
  accounts: ReviewedAccount[];
}

export interface AccountDeps {
  store: Store;
  /** Seals TOTP secrets at rest. */
  box: SecretBox;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now?: () => number;
  options?: Partial<AccountOptions>;
}

type AuditBase = { actor: string; action: string; target: string };

export class AccountService {
  readonly options: AccountOptions;
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #now: () => number;
  #policy: { value: PasswordPolicy; until: number } | undefined;

  constructor(deps: AccountDeps) {
    this.#store = deps.store;
    this.#box = deps.box;
    this.#now = deps.now ?? Date.now;
    this.options = { ...ACCOUNT_DEFAULTS, ...deps.options };
  }

  // ---- policy -------------------------------------------------------------------------------

  /** The password policy in force (the preset stored in settings, else `waygate-default`). */
  async policy(): Promise<PasswordPolicy> {
    const now = this.#now();
    if (this.#policy && this.#policy.until > now) return this.#policy.value;
    const stored = await getSetting(this.#store.db, POLICY_SETTING);
    const value = PASSWORD_POLICIES[stored && isPolicyPreset(stored) ? stored : DEFAULT_POLICY_PRESET];
    this.#policy = { value, until: now + this.options.policyCacheMs };
    return value;
  }

  async setPolicy(actor: string, preset: string): Promise<PasswordPolicy> {
    return this.#attempt(
      { actor, action: 'user.policy_changed', target: 'settings:password_policy' },
      async (a) => {
        if (!isPolicyPreset(preset))
          throw new WaygateError('invalid_policy_preset', `unknown password policy preset ${preset}`, [
            { field: '/preset', message: `must be one of ${Object.keys(PASSWORD_POLICIES).join(', ')}` },
          ]);
        const before = (await this.policy()).preset;
        const now = this.#now();
        await this.#store.write(async (trx) => {
          await setSetting(trx, POLICY_SETTING, preset, now);
          await a.ok(trx, { from: before, to: preset });
        });
        this.#policy = undefined;
        return PASSWORD_POLICIES[preset];
      },
    );
  }

  /** Every reason the password is refused for this user under the policy in force. */
  async checkNewPassword(username: string, password: string): Promise<PasswordRejection[]> {
    return checkPassword(password, await this.policy(), { username });
  }

  // ---- accounts ----------------------------------------------------------------------------

  /** Creates an account; the grantor must hold every permission of its role [004-8]. */
  async addUser(
    grantor: Grantor,
    input: { username: string; role: string; password: string },
  ): Promise<UserView> {
    const base = { actor: grantor.actor, action: 'user.created', target: 'user:new' };
    return this.#attempt(base, async (a) => {
      const username = normaliseUsername(input.username);
      if (!USERNAME.test(username))
        throw new WaygateError('invalid_username', 'username must be 3 to 64 of a-z, 0-9, ".", "_", "-"', [
          {
            field: '/username',
            message: 'must be 3 to 64 of a-z, 0-9, ".", "_", "-" and start with a letter or digit',
          },
        ]);
      const role = this.#role(input.role);
      assertCanGrant(grantor, { role });
      const policy = await this.policy();
      const reasons = checkPassword(input.password, policy, { username });
      if (reasons.length > 0) throw passwordRejected(reasons, policy, '/password');
      if (await findUserByUsername(this.#store.db, username))
        throw new WaygateError('username_taken', 'an account with this username exists');
      const passwordHash = await hashPassword(input.password);
      const now = this.#now();
      const row: UserRow = {
        id: newId('usr', now),
        username,
        role,
        password_hash: passwordHash,
        password_changed_at: now,
        failed_count: 0,
        locked_until: null,
        status: 'active',
        totp_secret_enc: null,
        totp_pending_enc: null,
        totp_last_step: null,
        last_login_at: null,
        reactivated_at: null,
        created_at: now,
        updated_at: now,
      };
      a.target = row.id;
      await this.#store.write(async (trx) => {
        await insertUser(trx, row);
        await a.ok(trx, { role });
      });
      return this.#view(row, policy, now);
    });
  }

  async listUsers(): Promise<UserView[]> {
    const policy = await this.policy();
    const now = this.#now();
    return (await listUserRows(this.#store.db)).map((r) => this.#view(r, policy, now));
  }

  async getUser(username: string): Promise<UserView> {
    const row = await findUserByUsername(this.#store.db, normaliseUsername(username));
    if (!row) throw userNotFound();
    return this.#view(row, await this.policy(), this.#now());
  }

  /**
   * An account as a grantor (the CLI's `--as`): the permissions of its role, on the terms a
   * session would have them (active, with a current password). `actor` names it in the audit log.
   */
  async grantorFor(username: string, actor: (userId: string) => string): Promise<Grantor> {
    const user = await findUserByUsername(this.#store.db, normaliseUsername(username));
    if (!user) throw userNotFound();
    if (user.status !== 'active') throw accountInactive(user.status);
    const role = this.#role(user.role);
    if (passwordExpired(await this.policy(), user.password_changed_at, this.#now()))
      throw passwordExpiredError();
    return {
      actor: actor(user.id),
      kind: 'user',
      userId: user.id,
      role,
      permissions: permissionsOfRole(role),
    };
  }

  /** Changes a role; the grantor must hold every permission of both the old and the new role. */
  async setRole(grantor: Grantor, username: string, role: string): Promise<UserView> {
    return this.#adminChange(grantor, 'user.role_changed', username, async (user, trx, now) => {
      const next = this.#role(role);
      if (user.id === grantor.userId)
        throw new WaygateError('cannot_change_own_role', 'ask another administrator to change your role');
      assertCanGrant(grantor, { role: heldRole(user.role) });
      assertCanGrant(grantor, { role: next });
      await updateUser(trx, user.id, { role: next }, now);
      return { patch: { role: next }, detail: { from: user.role, to: next } };
    });
  }

  /**
   * Freeze (reversible), unfreeze, or disable (a leaver) an account; ending its sessions unless
   * active. Unfreezing gives the account's permissions back, so it needs a grantor who holds
   * them; freezing and disabling take permissions away, so a `users:manage` holder may contain
   * any account, an administrator's too.
   */
  async setStatus(grantor: Grantor, username: string, status: UserStatus): Promise<UserView> {
    const action =
      status === 'active' ? 'user.unfrozen' : status === 'frozen' ? 'user.frozen' : 'user.disabled';
    return this.#adminChange(grantor, action, username, async (user, trx, now) => {
      if (!USER_STATUSES.includes(status))
        throw new WaygateError('invalid_status', `unknown status ${status}`);
      if (status === 'active') assertCanGrant(grantor, { role: heldRole(user.role) });
      if (user.id === grantor.userId && status !== 'active')
        throw new WaygateError(
          'cannot_freeze_self',
          'ask another administrator to freeze or disable your account',
        );
      const patch = {
        status,
        ...(status === 'active' && user.status !== 'active' ? { reactivated_at: now } : {}),
      };
      await updateUser(trx, user.id, patch, now);
      const revokedSessions = status === 'active' ? 0 : await revokeUserSessions(trx, user.id, now);
      return { patch, detail: { from: user.status, to: status, revokedSessions } };
    });
  }

  /** Lifts a lockout early; it lets password guessing go on, so only for a role the grantor holds. */
  async unlock(grantor: Grantor, username: string): Promise<UserView> {
    return this.#adminChange(grantor, 'user.unlocked', username, async (user, trx, now) => {
      assertCanGrant(grantor, { role: heldRole(user.role) });
      const patch = { failed_count: 0, locked_until: null };
      await updateUser(trx, user.id, patch, now);
      return { patch, detail: { wasLocked: user.locked_until !== null && user.locked_until > now } };
    });
  }

  /** Removes the second factor (a lost phone); the person enrols again after logging in. */
  async removeTotp(grantor: Grantor, username: string): Promise<UserView> {
    return this.#adminChange(grantor, 'user.totp_removed', username, async (user, trx, now) => {
      assertCanGrant(grantor, { role: heldRole(user.role) });
      const patch = { totp_secret_enc: null, totp_pending_enc: null, totp_last_step: null };
      await updateUser(trx, user.id, patch, now);
      return { patch, detail: {} };
    });
  }

  // ---- login and sessions ------------------------------------------------------------------

  async login(input: { username: string; password: string; totp?: string }): Promise<LoginResult> {
    const username = normaliseUsername(input.username);
    const user = USERNAME.test(username) ? await findUserByUsername(this.#store.db, username) : undefined;
    // argon2 runs whether or not the account exists: same work, same timing.
    const passwordOk = await verifyPassword(user?.password_hash ?? (await dummyHash()), input.password);
    const now = this.#now();
    if (!user) {
      // The attempted username is not recorded: people type passwords into the username field.
      await this.#auditAlone(
        { actor: 'anonymous', action: 'user.login_failed', target: 'user:unknown' },
        { reason: 'unknown_user' },
        'rejected',
      );
      throw invalidCredentials();
    }
    const failed = { actor: 'anonymous', action: 'user.login_failed', target: user.id };
    if (user.locked_until !== null && user.locked_until > now) {
      // Attempts during a lockout are refused without counting, so the lock does not grow
      // forever, and with the same answer as a wrong password, right password or not.
      await this.#auditAlone(failed, { reason: 'locked' }, 'rejected');
      throw invalidCredentials();
    }
    if (!passwordOk) {
      await this.#countFailure(user, failed, 'wrong_password');
      throw invalidCredentials();
    }
    if (user.status !== 'active') {
      await this.#auditAlone(failed, { reason: `account_${user.status}` }, 'rejected');
      throw accountInactive(user.status);
    }
    if (user.totp_secret_enc !== null) {
      if (!input.totp) {
        await this.#auditAlone(failed, { reason: 'totp_required' }, 'rejected');
        throw totpRequired();
      }
      const step = matchTotp(this.#box.open(user.totp_secret_enc), input.totp, now);
      const fresh =
        step !== undefined && (await this.#store.write((trx) => claimTotpStep(trx, user.id, step, now)));
      if (!fresh) {
        await this.#countFailure(user, failed, step === undefined ? 'totp_invalid' : 'totp_replayed');
        throw totpInvalid();
      }
    }

    const policy = await this.policy();
    const mustChangePassword = passwordExpired(policy, user.password_changed_at, now);
    const rehashed = needsRehash(user.password_hash) ? await hashPassword(input.password) : undefined;
    const token = newToken(SESSION_PREFIX);
    const expiresAt = now + this.options.sessionMaxMs;
    await this.#store.write(async (trx) => {
      await updateUser(
        trx,
        user.id,
        {
          failed_count: 0,
          locked_until: null,
          last_login_at: now,
          ...(rehashed ? { password_hash: rehashed } : {}),
        },
        now,
      );
      await insertSession(trx, {
        token_hash: sha256(token),
        user_id: user.id,
        created_at: now,
        expires_at: expiresAt,
        last_seen_at: now,
        revoked_at: null,
      });
      await recordAudit(
        trx,
        {
          actor: user.id,
          action: 'user.login',
          target: user.id,
          detail: { secondFactor: user.totp_secret_enc !== null, rotationDue: mustChangePassword },
          outcome: 'ok',
        },
        now,
      );
    });
    return {
      status: mustChangePassword ? 'password_expired' : 'ok',
      token,
      expiresAt,
      userId: user.id,
      role: this.#role(user.role),
      mustChangePassword,
    };
  }

  /**
   * Who a session token belongs to, or undefined when it is unknown, revoked, idle too long, past
   * its absolute end, or its account is not active. Refreshes the idle timer.
   */
  async resolveSessionInfo(token: string): Promise<SessionInfo | undefined> {
    if (!isSessionToken(token)) return undefined;
    const tokenHash = sha256(token);
    const found = await findSession(this.#store.db, tokenHash);
    if (!found) return undefined;
    const { session, user } = found;
    const now = this.#now();
    if (session.revoked_at !== null || session.expires_at <= now) return undefined;
    if (session.last_seen_at + this.options.sessionIdleMs <= now) return undefined;
    if (user.status !== 'active' || !isRole(user.role)) return undefined;
    if (now - session.last_seen_at >= this.options.sessionTouchMs)
      await this.#store.write((trx) => touchSession(trx, tokenHash, now));
    const mustChangePassword = passwordExpired(await this.policy(), user.password_changed_at, now);
    return {
      caller: {
        kind: 'user',
        id: user.id,
        role: user.role,
        permissions: mustChangePassword ? new Set() : permissionsOfRole(user.role),
      },
      userId: user.id,
      username: user.username,
      role: user.role,
      expiresAt: session.expires_at,
      mustChangePassword,
    };
  }

  /** The caller a session token stands for (see resolveSessionInfo), for the gateway's auth hook. */
  async resolveSession(token: string): Promise<Caller | undefined> {
    return (await this.resolveSessionInfo(token))?.caller;
  }

  /** Ends a session; false when it was not a live one. */
  async logout(token: string): Promise<boolean> {
    const info = await this.resolveSessionInfo(token);
    if (!info) return false;
    const now = this.#now();
    return this.#store.write(async (trx) => {
      const ended = await revokeSession(trx, sha256(token), now);
      await recordAudit(
        trx,
        { actor: info.userId, action: 'user.logout', target: info.userId, detail: {}, outcome: 'ok' },
        now,
      );
      return ended;
    });
  }

  // ---- passwords ---------------------------------------------------------------------------

  /**
   * Changes the session's own password: the current one must be right (a wrong one counts as a
   * failed login), the new one must meet the policy and differ. Other sessions of the account end.
   */
  async changePassword(
    token: string,
    currentPassword: string,
    newPassword: string,
  ): Promise<{ passwordExpiresAt: number | null }> {
    const info = await this.resolveSessionInfo(token);
    if (!info) throw sessionInvalid();
    const base = { actor: info.userId, action: 'user.password_changed', target: info.userId };
    const user = await findUserById(this.#store.db, info.userId);
    if (!user) throw sessionInvalid();
    const now = this.#now();
    if (user.locked_until !== null && user.locked_until > now) {
      // A lock stops guessing through a stolen session as it stops guessing at login: the
      // current password is not even checked, and the attempt does not extend the lock.
      await this.#auditAlone(base, { reason: 'locked' }, 'rejected');
      throw new AccountLockedError(Math.ceil((user.locked_until - now) / 1000));
    }
    if (!(await verifyPassword(user.password_hash, currentPassword))) {
      // The caller is signed in as this account, so it may learn that its account is now locked.
      const lockedUntil = await this.#countFailure(user, base, 'wrong_password');
      if (lockedUntil === undefined) throw invalidCredentials();
      throw new AccountLockedError(Math.ceil((lockedUntil - this.#now()) / 1000));
    }
    return this.#attempt(base, async (a) => {
      const policy = await this.policy();
      const reasons = checkPassword(newPassword, policy, { username: user.username });
      if (normalisePassword(newPassword) === normalisePassword(currentPassword))
        reasons.push('same_as_current');
      if (reasons.length > 0) throw passwordRejected(reasons, policy, '/newPassword');
      const passwordHash = await hashPassword(newPassword);
      const changedAt = this.#now();
      await this.#store.write(async (trx) => {
        await updateUser(
          trx,
          user.id,
          { password_hash: passwordHash, password_changed_at: changedAt },
          changedAt,
        );
        const revokedSessions = await revokeUserSessions(trx, user.id, changedAt, sha256(token));
        await a.ok(trx, { revokedSessions });
      });
      return { passwordExpiresAt: passwordExpiresAt(policy, changedAt) };
    });
  }

  /**
   * Issues a one-time reset token (valid 30 minutes) for an administrator to hand over. There is
   * no mailer yet: the operator delivers the token out of band (in person, by phone, or through the
   * company's own messaging), never in a ticket or chat log that others read.
   */
  async requestReset(
    grantor: Grantor,
    username: string,
  ): Promise<{ token: string; expiresAt: number; userId: string }> {
    const base = { actor: grantor.actor, action: 'user.reset_requested', target: 'user:unknown' };
    return this.#attempt(base, async (a) => {
      const user = await findUserByUsername(this.#store.db, normaliseUsername(username));
      if (!user) throw userNotFound();
      a.target = user.id;
      // Whoever holds the token takes over the account, with its role.
      assertCanGrant(grantor, { role: heldRole(user.role) });
      if (user.status === 'disabled') throw accountInactive(user.status);
      const token = newToken(RESET_PREFIX);
      const now = this.#now();
      const expiresAt = now + this.options.resetTokenTtlMs;
      await this.#store.write(async (trx) => {
        await voidPasswordResets(trx, user.id, now);
        await insertPasswordReset(trx, {
          token_hash: sha256(token),
          user_id: user.id,
          created_at: now,
          expires_at: expiresAt,
        });
        await a.ok(trx, { validForS: Math.round(this.options.resetTokenTtlMs / 1000) });
      });
      return { token, expiresAt, userId: user.id };
    });
  }

  /** Sets a new password with a reset token: clears any lockout and ends every session. */
  async completeReset(token: string, newPassword: string): Promise<void> {
    await this.#attempt(
      { actor: 'anonymous', action: 'user.password_reset', target: 'user:unknown' },
      async (a) => {
        if (!token.startsWith(RESET_PREFIX) || token.length > 200) throw resetTokenInvalid();
        const tokenHash = sha256(token);
        const reset = await findPasswordReset(this.#store.db, tokenHash);
        if (!reset) throw resetTokenInvalid();
        a.target = reset.user_id;
        a.actor = reset.user_id;
        const now = this.#now();
        if (reset.used_at !== null || reset.expires_at <= now) throw resetTokenInvalid();
        const user = await findUserById(this.#store.db, reset.user_id);
        if (!user || user.status === 'disabled') throw resetTokenInvalid();
        const policy = await this.policy();
        const reasons = checkPassword(newPassword, policy, { username: user.username });
        if (await verifyPassword(user.password_hash, newPassword)) reasons.push('same_as_current');
        // A refused password leaves the token usable, so the person can try another one.
        if (reasons.length > 0) throw passwordRejected(reasons, policy, '/newPassword');
        const passwordHash = await hashPassword(newPassword);
        await this.#store.write(async (trx) => {
          if (!(await claimPasswordReset(trx, tokenHash, now))) throw resetTokenInvalid();
          await voidPasswordResets(trx, user.id, now);
          await updateUser(
            trx,
            user.id,
            { password_hash: passwordHash, password_changed_at: now, failed_count: 0, locked_until: null },
            now,
          );
          const revokedSessions = await revokeUserSessions(trx, user.id, now);
          await a.ok(trx, { revokedSessions });
        });
      },
    );
  }

  // ---- TOTP --------------------------------------------------------------------------------

  /**
   * Starts TOTP enrolment: returns the otpauth:// URI (for a QR code) and the base32 secret once.
   * The secret is kept sealed and takes effect only when confirmed with a code.
   */
  async enrolTotp(token: string): Promise<{ otpauthUri: string; secret: string }> {
    const info = await this.#fullSession(token);
    return this.#attempt(
      { actor: info.userId, action: 'user.totp_enrol_started', target: info.userId },
      async (a) => {
        const secret = newTotpSecret();
        const now = this.#now();
        await this.#store.write(async (trx) => {
          await updateUser(trx, info.userId, { totp_pending_enc: this.#box.seal(secret) }, now);
          await a.ok(trx, {});
        });
        return { otpauthUri: totpUri(secret, info.username, this.options.totpIssuer), secret };
      },
    );
  }

  /** Confirms enrolment with a current code; from then on every login needs a code. */
  async confirmTotp(token: string, code: string): Promise<void> {
    const info = await this.#fullSession(token);
    await this.#attempt(
      { actor: info.userId, action: 'user.totp_enabled', target: info.userId },
      async (a) => {
        const user = await findUserById(this.#store.db, info.userId);
        if (!user?.totp_pending_enc)
          throw new WaygateError('totp_not_enrolling', 'start enrolment first (POST /v1/auth/totp/enrol)');
        const pending = user.totp_pending_enc;
        const now = this.#now();
        const step = matchTotp(this.#box.open(pending), code, now);
        if (step === undefined) throw totpInvalid();
        await this.#store.write(async (trx) => {
          await updateUser(
            trx,
            user.id,
            { totp_secret_enc: pending, totp_pending_enc: null, totp_last_step: step },
            now,
          );
          await a.ok(trx, {});
        });
      },
    );
  }

  // ---- review ------------------------------------------------------------------------------

  /**
   * The quarterly access review [004-8]: active accounts with no login (or creation, or
   * unfreezing) for more than `inactiveDays` days are frozen, each with an audit row. `dryRun`
   * only lists them.
   */
  async reviewAccounts(
    opts: { inactiveDays?: number; dryRun?: boolean; actor?: string } = {},
  ): Promise<ReviewResult> {
    const inactiveDays = opts.inactiveDays ?? DEFAULT_INACTIVE_DAYS;
    const dryRun = opts.dryRun ?? false;
    const actor = opts.actor ?? 'system:review';
    if (!Number.isInteger(inactiveDays) || inactiveDays < 1)
      throw new WaygateError(
        'invalid_inactive_days',
        'inactiveDays must be a whole number of days, at least 1',
      );
    const now = this.#now();
    const cutoff = now - inactiveDays * 86_400_000;
    const stale = (await listUserRows(this.#store.db, { status: 'active' })).filter(
      (u) => lastActivity(u) < cutoff,
    );
    const accounts = stale.map((u) => ({
      id: u.id,
      username: u.username,
      role: u.role,
      lastLoginAt: iso(u.last_login_at),
      inactiveDays: Math.floor((now - lastActivity(u)) / 86_400_000),
    }));
    await this.#store.write(async (trx) => {
      for (const u of dryRun ? [] : stale) {
        await updateUser(trx, u.id, { status: 'frozen' }, now);
        await revokeUserSessions(trx, u.id, now);
        await recordAudit(
          trx,
          {
            actor,
            action: 'user.frozen',
            target: u.id,
            detail: { reason: 'inactive', inactiveDays },
            outcome: 'ok',
          },
          now,
        );
      }
      await recordAudit(
        trx,
        {
          actor,
          action: 'user.review',
          target: 'users',
          detail: { inactiveDays, dryRun, count: stale.length },
          outcome: 'ok',
        },
        now,
      );
    });
    return { inactiveDays, dryRun, accounts };
  }

  // ---- internals ---------------------------------------------------------------------------

  #role(role: string): Role {
    if (!isRole(role))
      throw new WaygateError('invalid_role', `unknown role ${role}`, [
        { field: '/role', message: 'is not a role' },
      ]);
    return role;
  }

  async #fullSession(token: string): Promise<SessionInfo> {
    const info = await this.resolveSessionInfo(token);
    if (!info) throw sessionInvalid();
    if (info.mustChangePassword) throw passwordExpiredError();
    return info;
  }

  #view(r: UserRow, policy: PasswordPolicy, now: number): UserView {
    const locked = r.locked_until !== null && r.locked_until > now;
    return {
      id: r.id,
      username: r.username,
      role: r.role,
      status: r.status,
      locked,
      lockedUntil: locked ? iso(r.locked_until) : null,
      totpEnabled: r.totp_secret_enc !== null,
      passwordChangedAt: new Date(Number(r.password_changed_at)).toISOString(),
      passwordExpiresAt: iso(passwordExpiresAt(policy, Number(r.password_changed_at))),
      lastLoginAt: iso(r.last_login_at),
      createdAt: new Date(Number(r.created_at)).toISOString(),
    };
  }

  /** Counts a failure (locking the account at the limit) and audits it; the lock's end when it locked. */
  async #countFailure(user: UserRow, base: AuditBase, reason: string): Promise<number | undefined> {
    const now = this.#now();
    const lockedUntil = await this.#store.write(async (trx) => {
      const failures = await countFailure(trx, user.id, now);
      await recordAudit(trx, { ...base, detail: { reason, failures }, outcome: 'rejected' }, now);
      if (failures < this.options.maxFailedLogins) return undefined;
      const until = now + this.options.lockoutMs;
      await updateUser(trx, user.id, { failed_count: 0, locked_until: until }, now);
      await recordAudit(
        trx,
        {
          actor: 'system',
          action: 'user.locked',
          target: user.id,
          detail: { failures, lockedForS: Math.round(this.options.lockoutMs / 1000) },
          outcome: 'ok',
        },
        now,
      );
      return until;
    });
    return lockedUntil;
  }

  /** An administrator's change to one account: found by username, written and audited together. */
  async #adminChange(
    grantor: Grantor,
    action: string,
    username: string,
    change: (
      user: UserRow,
      trx: Executor,
      now: number,
    ) => Promise<{ patch: Partial<UserRow>; detail: Record<string, unknown> }>,
  ): Promise<UserView> {
    return this.#attempt({ actor: grantor.actor, action, target: 'user:unknown' }, async (a) => {
      const user = await findUserByUsername(this.#store.db, normaliseUsername(username));
      if (!user) throw userNotFound();
      a.target = user.id;
      const now = this.#now();
      const patch = await this.#store.write(async (trx) => {
        const { patch, detail } = await change(user, trx, now);
        await a.ok(trx, detail);
        return patch;
      });
      return this.#view({ ...user, ...patch }, await this.policy(), now);
    });
  }

  /**
   * Runs an audited action: `fn` writes its own success row with `a.ok(trx, detail)` inside its
   * transaction; a refusal or failure is audited here, in a transaction of its own.
   */
  async #attempt<T>(
    base: AuditBase,
    fn: (
      a: AuditBase & { ok: (trx: Executor, detail: Record<string, unknown>) => Promise<void> },
    ) => Promise<T>,
  ): Promise<T> {
    const a = {
      ...base,
      ok: (trx: Executor, detail: Record<string, unknown>) =>
        recordAudit(
          trx,
          { actor: a.actor, action: a.action, target: a.target, detail, outcome: 'ok' },
          this.#now(),
        ),
    };
    try {
      return await fn(a);
    } catch (err) {
      const refused = err instanceof WaygateError;
      const detail: Record<string, unknown> = { error: refused ? err.code : 'internal' };
      if (refused && err.code === 'password_rejected' && Array.isArray(err.details))
        detail.reasons = (err.details as { code: string }[]).map((d) => d.code);
      await this.#auditAlone(a, detail, refused ? 'rejected' : 'failed');
      throw err;
    }
  }

  async #auditAlone(base: AuditBase, detail: Record<string, unknown>, outcome: AuditOutcome): Promise<void> {
    const now = this.#now();
    try {
      await this.#store.write((trx) =>
        recordAudit(
          trx,
          { actor: base.actor, action: base.action, target: base.target, detail, outcome },
          now,
        ),
      );
    } catch {
      // The store itself is failing: the action did not happen either.
    }
  }
}

/** The role an account holds, for grant checks; an unknown stored role counts as admin (fail closed). */
function heldRole(role: string): Role {
  return isRole(role) ? role : 'admin';
}

function lastActivity(u: UserRow): number {
  return Math.max(Number(u.last_login_at ?? 0), Number(u.reactivated_at ?? 0), Number(u.created_at));
}
