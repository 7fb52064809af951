import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountService, type LoginResult } from '../src/security/accounts.js';
import { operatorGrantor } from '../src/security/grants.js';
import { secretBoxFromKey } from '../src/security/secret-box.js';
import { totpCode } from '../src/security/totp.js';
import { listAudit } from '../src/store/audit.js';
import { findUserByUsername } from '../src/store/users.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { expectCode } from './helpers/errors.js';

const MIN = 60_000;
const DAY = 86_400_000;
const START = Date.parse('2030-03-01T09:00:00Z');

// Obviously fake credentials, each meeting the waygate-default policy.
const PASSWORD = 'Tangerine#K42-violin';
const NEW_PASSWORD = 'Harbour&Quartz-9731';
const THIRD_PASSWORD = 'Marimba+Glacier-5520';

describe.each(DIALECTS)('accounts (%s)', (dialect) => {
  let store: TestStore;
  let clock: number;
  let accounts: AccountService;
  /** Every secret a test handled: none may appear in the audit log. */
  let secrets: string[];

  const login = async (username: string, password: string, totp?: string): Promise<LoginResult> => {
    const r = await accounts.login({ username, password, ...(totp ? { totp } : {}) });
    secrets.push(r.token);
    return r;
  };

  beforeEach(async () => {
    store = await freshStore(dialect);
    clock = START;
    accounts = new AccountService({ store, box: secretBoxFromKey(randomBytes(32)), now: () => clock });
    secrets = [PASSWORD, NEW_PASSWORD, THIRD_PASSWORD];
    await accounts.addUser(operatorGrantor('cli:test'), {
      username: 'kim.lee',
      role: 'logistics_ops',
      password: PASSWORD,
    });
  });

  afterEach(async () => {
    // The audit log never holds a password, token, TOTP code or secret.
    const audit = JSON.stringify(await listAudit(store.db, { limit: 1000 }));
    for (const s of secrets) expect(audit).not.toContain(s);
    await store.destroy();
  });

  it('logs in with the right password and the session stands for the role', async () => {
    const r = await login('Kim.Lee', PASSWORD);
    expect(r).toMatchObject({ status: 'ok', role: 'logistics_ops', mustChangePassword: false });
    expect(r.expiresAt).toBe(START + 12 * 60 * MIN);
    const caller = await accounts.resolveSession(r.token);
    expect(caller).toMatchObject({ kind: 'user', id: r.userId, role: 'logistics_ops' });
    expect(caller?.permissions.has('dlq:manage')).toBe(true);
    expect(caller?.permissions.has('users:manage')).toBe(false);

    const row = await findUserByUsername(store.db, 'kim.lee');
    expect(row?.password_hash).toMatch(/^\$argon2id\$/);
    const audit = await listAudit(store.db, { action: 'user.login', limit: 10 });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: r.userId, target: r.userId, outcome: 'ok' });
  });

  it('gives the same answer for a wrong password and an unknown user', async () => {
    const wrong = await expectCode(login('kim.lee', NEW_PASSWORD), 'invalid_credentials');
    const unknown = await expectCode(login('nobody.here', PASSWORD), 'invalid_credentials');
    expect(unknown.message).toBe(wrong.message);
    const failed = await listAudit(store.db, { action: 'user.login_failed', limit: 10 });
    expect(failed.map((a) => a.detail.reason).sort()).toEqual(['unknown_user', 'wrong_password']);
    expect(JSON.stringify(failed)).not.toContain('nobody.here');
  });

  it('locks the account after 5 failures, refuses even the right password, and unlocks after 15 minutes', async () => {
    for (let i = 0; i < 5; i++)
      await expectCode(login('kim.lee', `Wrong#Guess-${i}abc`), 'invalid_credentials');
    expect(await accounts.getUser('kim.lee')).toMatchObject({
      locked: true,
      lockedUntil: new Date(clock + 15 * MIN).toISOString(),
    });

    clock += 5 * MIN;
    // The right password during the lock gets the wrong password's answer: no oracle for guessing.
    const sixth = await expectCode(login('kim.lee', PASSWORD), 'invalid_credentials');
    const unknown = await expectCode(login('nobody.here', PASSWORD), 'invalid_credentials');
    expect(sixth.message).toBe(unknown.message);
    expect(sixth.message).toMatch(/locked/);
    expect(await listAudit(store.db, { action: 'user.locked', limit: 10 })).toHaveLength(1);

    clock += 10 * MIN;
    expect((await login('kim.lee', PASSWORD)).status).toBe('ok');
    expect((await findUserByUsername(store.db, 'kim.lee'))?.failed_count).toBe(0);
  });

  it('an administrator can lift a lockout early', async () => {
    for (let i = 0; i < 5; i++) await login('kim.lee', `Wrong#Guess-${i}abc`).catch(() => undefined);
    await expectCode(login('kim.lee', PASSWORD), 'invalid_credentials');
    expect((await accounts.getUser('kim.lee')).locked).toBe(true);
    const view = await accounts.unlock(operatorGrantor('cli:test'), 'kim.lee');
    expect(view.locked).toBe(false);
    expect((await login('kim.lee', PASSWORD)).status).toBe('ok');
  });

  it('requires a TOTP code once enrolled, and refuses a replayed code', async () => {
    const session = await login('kim.lee', PASSWORD);
    const { otpauthUri, secret } = await accounts.enrolTotp(session.token);
    secrets.push(secret);
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Waygate:kim\.lee\?/);
    // Not in force until confirmed.
    expect((await login('kim.lee', PASSWORD)).status).toBe('ok');
    await expectCode(accounts.confirmTotp(session.token, '000000'), 'totp_invalid');
    await accounts.confirmTotp(session.token, totpCode(secret, clock));
    expect((await findUserByUsername(store.db, 'kim.lee'))?.totp_secret_enc).not.toContain(secret);

    await expectCode(login('kim.lee', PASSWORD), 'totp_required');
    // The confirming code's step is used up.
    await expectCode(login('kim.lee', PASSWORD, totpCode(secret, clock)), 'totp_invalid');

    clock += 30_000;
    const code = totpCode(secret, clock);
    secrets.push(code);
    expect((await login('kim.lee', PASSWORD, code)).status).toBe('ok');
    await expectCode(login('kim.lee', PASSWORD, code), 'totp_invalid');

    // One step of drift either way is accepted.
    clock += 5 * MIN;
    expect((await login('kim.lee', PASSWORD, totpCode(secret, clock - 30_000))).status).toBe('ok');
    clock += 5 * MIN;
    expect((await login('kim.lee', PASSWORD, totpCode(secret, clock + 30_000))).status).toBe('ok');
    clock += 5 * MIN;
    await expectCode(login('kim.lee', PASSWORD, totpCode(secret, clock - 5 * MIN)), 'totp_invalid');
    // A wrong password with a right code is still the plain credentials error.
    await expectCode(login('kim.lee', NEW_PASSWORD, totpCode(secret, clock)), 'invalid_credentials');
  });

  it('a reset token works once, within 30 minutes, and clears lockout and sessions', async () => {
    const session = await login('kim.lee', PASSWORD);
    for (let i = 0; i < 5; i++) await login('kim.lee', `Wrong#Guess-${i}abc`).catch(() => undefined);
    await expectCode(login('kim.lee', PASSWORD), 'invalid_credentials');
    expect((await accounts.getUser('kim.lee')).locked).toBe(true);

    const reset = await accounts.requestReset(operatorGrantor('cli:admin'), 'kim.lee');
    secrets.push(reset.token);
    expect(reset.expiresAt).toBe(clock + 30 * MIN);
    await expectCode(accounts.completeReset(reset.token, 'password12345'), 'password_rejected');
    await accounts.completeReset(reset.token, NEW_PASSWORD);
    await expectCode(accounts.completeReset(reset.token, THIRD_PASSWORD), 'reset_token_invalid');

    expect(await accounts.resolveSession(session.token)).toBeUndefined();
    await expectCode(login('kim.lee', PASSWORD), 'invalid_credentials');
    expect((await login('kim.lee', NEW_PASSWORD)).status).toBe('ok');

    const late = await accounts.requestReset(operatorGrantor('cli:admin'), 'kim.lee');
    secrets.push(late.token);
    clock += 30 * MIN;
    await expectCode(accounts.completeReset(late.token, THIRD_PASSWORD), 'reset_token_invalid');
    await expectCode(accounts.completeReset('wgr_not-a-real-token', THIRD_PASSWORD), 'reset_token_invalid');

    // A new token voids the one issued before it.
    const first = await accounts.requestReset(operatorGrantor('cli:admin'), 'kim.lee');
    const second = await accounts.requestReset(operatorGrantor('cli:admin'), 'kim.lee');
    secrets.push(first.token, second.token);
    await expectCode(accounts.completeReset(first.token, THIRD_PASSWORD), 'reset_token_invalid');
    await accounts.completeReset(second.token, THIRD_PASSWORD);
    expect(await listAudit(store.db, { action: 'user.reset_requested', limit: 10 })).toHaveLength(4);
  });

  it('changes the password under the policy, ending the other sessions', async () => {
    const a = await login('kim.lee', PASSWORD);
    const b = await login('kim.lee', PASSWORD);
    await expectCode(accounts.changePassword(a.token, NEW_PASSWORD, THIRD_PASSWORD), 'invalid_credentials');
    await expectCode(accounts.changePassword(a.token, PASSWORD, PASSWORD), 'password_rejected');
    const weak = await expectCode(
      accounts.changePassword(a.token, PASSWORD, 'Kim.Lee2030!!x'),
      'password_rejected',
    );
    expect((weak.details as { code: string }[]).map((d) => d.code)).toEqual(['contains_username']);

    const r = await accounts.changePassword(a.token, PASSWORD, NEW_PASSWORD);
    expect(r.passwordExpiresAt).toBe(clock + 90 * DAY);
    expect(await accounts.resolveSession(a.token)).toBeDefined();
    expect(await accounts.resolveSession(b.token)).toBeUndefined();
    expect((await login('kim.lee', NEW_PASSWORD)).status).toBe('ok');
    const changed = await listAudit(store.db, { action: 'user.password_changed', limit: 10 });
    expect(changed.map((c) => c.outcome).sort()).toEqual(['ok', 'rejected', 'rejected', 'rejected']);
  });

  it('a locked account cannot guess its current password through a signed-in session either', async () => {
    const session = await login('kim.lee', PASSWORD);
    // Five wrong guesses through the session lock the account, as five failed logins would.
    for (let i = 0; i < 4; i++)
      await expectCode(
        accounts.changePassword(session.token, `Wrong#Guess-${i}abc`, NEW_PASSWORD),
        'invalid_credentials',
      );
    await expectCode(
      accounts.changePassword(session.token, 'Wrong#Guess-4abc', NEW_PASSWORD),
      'account_locked',
    );
    const lockedUntil = (await accounts.getUser('kim.lee'))?.lockedUntil;
    expect(lockedUntil).toBe(new Date(clock + 15 * MIN).toISOString());

    // While locked, even the right current password changes nothing and the lock does not grow.
    clock += MIN;
    await expectCode(accounts.changePassword(session.token, PASSWORD, NEW_PASSWORD), 'account_locked');
    await expectCode(
      accounts.changePassword(session.token, 'Wrong#Guess-5abc', NEW_PASSWORD),
      'account_locked',
    );
    expect((await accounts.getUser('kim.lee'))?.lockedUntil).toBe(lockedUntil);
    expect((await findUserByUsername(store.db, 'kim.lee'))?.failed_count).toBe(0);

    clock += 15 * MIN;
    await accounts.changePassword(session.token, PASSWORD, NEW_PASSWORD);
    expect((await login('kim.lee', NEW_PASSWORD)).status).toBe('ok');
  });

  it('forces a change of an expired password: the session can do nothing else [004-9]', async () => {
    clock += 91 * DAY;
    const r = await login('kim.lee', PASSWORD);
    expect(r).toMatchObject({ status: 'password_expired', mustChangePassword: true });
    const caller = await accounts.resolveSession(r.token);
    expect(caller?.permissions.size).toBe(0);
    await expectCode(accounts.enrolTotp(r.token), 'password_expired');

    await accounts.changePassword(r.token, PASSWORD, NEW_PASSWORD);
    const after = await accounts.resolveSessionInfo(r.token);
    expect(after?.mustChangePassword).toBe(false);
    expect(after?.caller.permissions.has('orders:read')).toBe(true);
  });

  it('does not rotate under the NIST preset, stored in settings', async () => {
    await accounts.setPolicy('cli:admin', 'nist-800-63b-4');
    await expectCode(accounts.setPolicy('cli:admin', 'anything-goes'), 'invalid_policy_preset');
    const other = new AccountService({ store, box: secretBoxFromKey(randomBytes(32)), now: () => clock });
    expect((await other.policy()).preset).toBe('nist-800-63b-4');
    clock += 400 * DAY;
    expect((await login('kim.lee', PASSWORD)).mustChangePassword).toBe(false);
    // Composition no longer needed; length 15 is.
    await expectCode(
      accounts.addUser(operatorGrantor('cli:admin'), {
        username: 'short.pass',
        role: 'viewer',
        password: 'harbour quartz',
      }),
      'password_rejected',
    );
    const u = await accounts.addUser(operatorGrantor('cli:admin'), {
      username: 'long.pass',
      role: 'viewer',
      password: 'harbour quartz marimba',
    });
    expect(u.passwordExpiresAt).toBeNull();
  });

  it('ends sessions after 30 idle minutes and after 12 hours in any case', async () => {
    const idle = await login('kim.lee', PASSWORD);
    const busy = await login('kim.lee', PASSWORD);
    for (let i = 0; i < 4; i++) {
      clock += 20 * MIN;
      expect(await accounts.resolveSession(busy.token)).toBeDefined();
    }
    expect(await accounts.resolveSession(idle.token)).toBeUndefined();

    const long = await login('kim.lee', PASSWORD);
    for (let i = 0; i < 12 * 3 - 1; i++) {
      clock += 20 * MIN;
      expect(await accounts.resolveSession(long.token)).toBeDefined();
    }
    clock += 20 * MIN;
    expect(await accounts.resolveSession(long.token)).toBeUndefined();

    const out = await login('kim.lee', PASSWORD);
    expect(await accounts.logout(out.token)).toBe(true);
    expect(await accounts.resolveSession(out.token)).toBeUndefined();
    expect(await accounts.resolveSession('wgs_forged')).toBeUndefined();
  });

  it('the quarterly review freezes only accounts inactive for more than 90 days [004-8]', async () => {
    await accounts.addUser(operatorGrantor('cli:admin'), {
      username: 'ana.ruiz',
      role: 'order_desk',
      password: NEW_PASSWORD,
    });
    clock += 60 * DAY;
    await login('ana.ruiz', NEW_PASSWORD);
    clock += 31 * DAY;

    const dry = await accounts.reviewAccounts({ inactiveDays: 90, dryRun: true });
    expect(dry.accounts.map((a) => a.username)).toEqual(['kim.lee']);
    expect(dry.accounts[0]?.inactiveDays).toBe(91);
    expect((await accounts.getUser('kim.lee')).status).toBe('active');

    const session = await login('ana.ruiz', NEW_PASSWORD);
    const done = await accounts.reviewAccounts({ inactiveDays: 90 });
    expect(done.accounts.map((a) => a.username)).toEqual(['kim.lee']);
    expect((await accounts.getUser('kim.lee')).status).toBe('frozen');
    expect((await accounts.getUser('ana.ruiz')).status).toBe('active');
    expect(await accounts.resolveSession(session.token)).toBeDefined();

    await expectCode(login('kim.lee', PASSWORD), 'account_frozen');
    const frozen = await listAudit(store.db, { action: 'user.frozen', limit: 10 });
    expect(frozen).toHaveLength(1);
    expect(frozen[0]?.detail).toMatchObject({ reason: 'inactive', inactiveDays: 90 });

    // Unfreezing counts inactivity afresh, so the next review leaves the account alone.
    await accounts.setStatus(operatorGrantor('cli:admin'), 'kim.lee', 'active');
    expect((await accounts.reviewAccounts({})).accounts).toEqual([]);
    // It logs in again; its password, 91 days old by now, must be changed first.
    expect((await login('kim.lee', PASSWORD)).status).toBe('password_expired');
  });

  it('freezing or disabling ends sessions and blocks login; roles change at once', async () => {
    const s = await login('kim.lee', PASSWORD);
    await accounts.setRole(operatorGrantor('cli:admin'), 'kim.lee', 'viewer');
    expect((await accounts.resolveSession(s.token))?.permissions.has('dlq:manage')).toBe(false);
    await accounts.setStatus(operatorGrantor('cli:admin'), 'kim.lee', 'disabled');
    expect(await accounts.resolveSession(s.token)).toBeUndefined();
    await expectCode(login('kim.lee', PASSWORD), 'account_disabled');
    await expectCode(accounts.requestReset(operatorGrantor('cli:admin'), 'kim.lee'), 'account_disabled');
  });

  it('refuses bad accounts and never shows a hash or secret', async () => {
    await expectCode(
      accounts.addUser(operatorGrantor('cli:admin'), {
        username: 'kim.lee',
        role: 'viewer',
        password: NEW_PASSWORD,
      }),
      'username_taken',
    );
    await expectCode(
      accounts.addUser(operatorGrantor('cli:admin'), {
        username: 'x',
        role: 'viewer',
        password: NEW_PASSWORD,
      }),
      'invalid_username',
    );
    await expectCode(
      accounts.addUser(operatorGrantor('cli:admin'), {
        username: 'new.one',
        role: 'overlord',
        password: NEW_PASSWORD,
      }),
      'invalid_role',
    );
    const weak = await expectCode(
      accounts.addUser(operatorGrantor('cli:admin'), {
        username: 'new.one',
        role: 'viewer',
        password: 'Password123!!',
      }),
      'password_rejected',
    );
    expect(weak.details).toEqual([
      { field: '/password', code: 'common_password', message: 'is a common password or a variant of one' },
    ]);
    const list = await accounts.listUsers();
    expect(list.map((u) => u.username)).toEqual(['kim.lee']);
    expect(JSON.stringify(list)).not.toMatch(/argon2|hash/);
    const rejected = await listAudit(store.db, { action: 'user.created', limit: 10 });
    expect(rejected.filter((r) => r.outcome === 'rejected').map((r) => r.detail.error)).toEqual([
      'password_rejected',
      'invalid_role',
      'invalid_username',
      'username_taken',
    ]);
  });
});
