import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { AccountService } from '../src/security/accounts.js';
import { operatorGrantor } from '../src/security/grants.js';
import { secretBoxFromKey } from '../src/security/secret-box.js';
import { totpCode } from '../src/security/totp.js';
import { listAudit } from '../src/store/audit.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

const DAY = 86_400_000;
// Obviously fake credentials, each meeting the waygate-default policy.
const ADMIN_PASSWORD = 'Quartz&Lantern-8841';
const PASSWORD = 'Tangerine#K42-violin';
const NEW_PASSWORD = 'Harbour&Quartz-9731';

describe.each(DIALECTS)('auth and user routes (%s)', (dialect) => {
  let store: TestStore;
  let gw: GatewayFixture;
  let accounts: AccountService;
  let clock: number;
  let secrets: string[];

  const post = (url: string, body?: unknown, token?: string) =>
    gw.app.inject({
      method: 'POST',
      url,
      ...(body !== undefined
        ? { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
      ...(token
        ? {
            headers: {
              authorization: `Bearer ${token}`,
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
          }
        : {}),
    });
  const get = (url: string, token: string) =>
    gw.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const errorCode = (res: LightMyRequestResponse) => (res.json() as { error: { code: string } }).error.code;

  async function loginToken(username: string, password: string, totp?: string): Promise<string> {
    const res = await post('/v1/auth/login', { username, password, ...(totp ? { totp } : {}) });
    expect(res.statusCode).toBe(200);
    const token = (res.json() as { token: string }).token;
    secrets.push(token);
    return token;
  }

  beforeEach(async () => {
    store = await freshStore(dialect);
    clock = Date.now();
    accounts = new AccountService({ store, box: secretBoxFromKey(randomBytes(32)), now: () => clock });
    gw = await gatewayFor(store, {}, { accounts });
    secrets = [ADMIN_PASSWORD, PASSWORD, NEW_PASSWORD];
    await accounts.addUser(operatorGrantor('test'), {
      username: 'root.admin',
      role: 'admin',
      password: ADMIN_PASSWORD,
    });
    await accounts.addUser(operatorGrantor('test'), {
      username: 'kim.lee',
      role: 'viewer',
      password: PASSWORD,
    });
  });

  afterEach(async () => {
    const audit = JSON.stringify(await listAudit(store.db, { limit: 2000 }));
    for (const s of secrets) expect(audit).not.toContain(s);
    await gw.app.close();
    await store.destroy();
  });

  it('logs in and answers token, expiry, role and mustChangePassword, not cached', async () => {
    const res = await post('/v1/auth/login', { username: 'kim.lee', password: PASSWORD });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, unknown>;
    secrets.push(body.token as string);
    expect(body).toEqual({
      token: expect.stringMatching(/^wgs_/),
      expiresAt: new Date(clock + 12 * 3_600_000).toISOString(),
      role: 'viewer',
      mustChangePassword: false,
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('account enumeration by lockout answers: a locked account, a wrong password and an unknown username get the same answer', async () => {
    // Each attempt comes from its own address, as a patient attacker's would, so only the
    // account's lockout (not the address throttle) is in play.
    let n = 0;
    const attempt = async (username: string, password: string) => {
      const res = await gw.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: `198.51.100.${++n}`,
        payload: { username, password },
      });
      // The request id differs per request by design (it names the request, not the account).
      const parsed = JSON.parse(res.body) as { error?: { requestId?: string } };
      if (parsed.error) {
        expect(parsed.error.requestId).toBe(res.headers['x-request-id']);
        delete parsed.error.requestId;
      }
      return { status: res.statusCode, body: JSON.stringify(parsed), retryAfter: res.headers['retry-after'] };
    };
    // Before: [401, 401, 401, 401, 423] for a real account and five 401s for a made-up one.
    const real: unknown[] = [];
    const madeUp: unknown[] = [];
    for (let i = 0; i < 7; i++) {
      real.push(await attempt('kim.lee', NEW_PASSWORD));
      madeUp.push(await attempt('kim.leee', NEW_PASSWORD));
    }
    expect(real).toEqual(madeUp);
    const answer = real[0] as { status: number; body: string; retryAfter?: string };
    expect(answer.status).toBe(401);
    expect(answer.retryAfter).toBeUndefined();
    expect(JSON.parse(answer.body).error.code).toBe('invalid_credentials');
    // Locked now, and the right password gets the very same answer (no oracle for guessing).
    expect(await attempt('kim.lee', PASSWORD)).toEqual(answer);

    // The person learns of the lock from the message every caller gets, and from an administrator.
    expect(JSON.parse(answer.body).error.message).toMatch(/locked/);
    const admin = await loginToken('root.admin', ADMIN_PASSWORD);
    const users = (await get('/v1/users', admin)).json() as {
      data: Array<{ username: string; locked: boolean }>;
    };
    expect(users.data.find((u) => u.username === 'kim.lee')?.locked).toBe(true);
    expect(await listAudit(store.db, { action: 'user.locked', limit: 10 })).toHaveLength(1);

    clock += 15 * 60_000;
    expect((await attempt('kim.lee', PASSWORD)).status).toBe(200);
  });

  it('validates the login body', async () => {
    const res = await post('/v1/auth/login', { username: 'kim.lee', password: PASSWORD, remember: true });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('validation_failed');
  });

  it('enrols TOTP, then login needs the code', async () => {
    const token = await loginToken('kim.lee', PASSWORD);
    const enrol = await post('/v1/auth/totp/enrol', undefined, token);
    expect(enrol.statusCode).toBe(200);
    expect(enrol.headers['cache-control']).toBe('no-store');
    const { secret, otpauthUri } = enrol.json() as { secret: string; otpauthUri: string };
    secrets.push(secret);
    expect(otpauthUri).toContain(`secret=${secret}`);
    const confirm = await post('/v1/auth/totp/confirm', { code: totpCode(secret, clock) }, token);
    expect(confirm.statusCode).toBe(200);

    const without = await post('/v1/auth/login', { username: 'kim.lee', password: PASSWORD });
    expect(without.statusCode).toBe(401);
    expect(errorCode(without)).toBe('totp_required');
    clock += 30_000;
    await loginToken('kim.lee', PASSWORD, totpCode(secret, clock));
  });

  it('needs a session for the session routes', async () => {
    const res = await post('/v1/auth/totp/enrol');
    expect(res.statusCode).toBe(401);
    expect(errorCode(res)).toBe('session_required');
    const forged = await post('/v1/auth/totp/enrol', undefined, 'wgs_forged');
    expect(errorCode(forged)).toBe('session_invalid');
  });

  it('administers accounts with users:manage; others are refused', async () => {
    const admin = await loginToken('root.admin', ADMIN_PASSWORD);
    const viewer = await loginToken('kim.lee', PASSWORD);

    const list = await get('/v1/users', admin);
    expect(list.statusCode).toBe(200);
    const users = (list.json() as { data: Array<Record<string, unknown>> }).data;
    expect(users.map((u) => u.username)).toEqual(['kim.lee', 'root.admin']);
    expect(JSON.stringify(users)).not.toMatch(/argon2|hash|secret/i);
    expect((await get('/v1/users', viewer)).statusCode).toBe(403);
    // An API key with the permission may administer too.
    expect((await gw.call('GET', '/v1/users')).statusCode).toBe(200);

    const weak = await post(
      '/v1/users',
      { username: 'ana.ruiz', role: 'order_desk', password: 'Password123!!' },
      admin,
    );
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toMatchObject({
      error: { code: 'password_rejected', details: [{ field: '/password', code: 'common_password' }] },
    });
    const created = await post(
      '/v1/users',
      { username: 'ana.ruiz', role: 'order_desk', password: NEW_PASSWORD },
      admin,
    );
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ username: 'ana.ruiz', role: 'order_desk', status: 'active' });

    const role = await post('/v1/users/ana.ruiz/role', { role: 'finance' }, admin);
    expect(role.json()).toMatchObject({ role: 'finance' });
    const frozen = await post('/v1/users/ana.ruiz/freeze', undefined, admin);
    expect(frozen.json()).toMatchObject({ status: 'frozen' });
    const refused = await post('/v1/auth/login', { username: 'ana.ruiz', password: NEW_PASSWORD });
    expect(refused.statusCode).toBe(403);
    expect(errorCode(refused)).toBe('account_frozen');
    expect((await post('/v1/users/ana.ruiz/unfreeze', undefined, admin)).json()).toMatchObject({
      status: 'active',
    });
    expect((await post('/v1/users/root.admin/freeze', undefined, admin)).statusCode).toBe(409);
    expect((await post('/v1/users/nobody/freeze', undefined, admin)).statusCode).toBe(404);

    const review = await post('/v1/users/review', { dryRun: true }, admin);
    expect(review.json()).toEqual({ inactiveDays: 90, dryRun: true, accounts: [] });
  });

  it('resets a password with a token an administrator issued', async () => {
    const admin = await loginToken('root.admin', ADMIN_PASSWORD);
    const issued = await post('/v1/users/kim.lee/reset-token', undefined, admin);
    expect(issued.statusCode).toBe(201);
    expect(issued.headers['cache-control']).toBe('no-store');
    const { token } = issued.json() as { token: string };
    secrets.push(token);

    const weak = await post('/v1/auth/reset', { token, newPassword: 'kim.lee-2030-Aa!' });
    expect(errorCode(weak)).toBe('password_rejected');
    expect((await post('/v1/auth/reset', { token, newPassword: NEW_PASSWORD })).statusCode).toBe(204);
    const again = await post('/v1/auth/reset', { token, newPassword: 'Marimba+Glacier-5520' });
    expect(again.statusCode).toBe(401);
    expect(errorCode(again)).toBe('reset_token_invalid');
    await loginToken('kim.lee', NEW_PASSWORD);
  });

  it('an expired password allows only the password change', async () => {
    clock += 91 * DAY;
    const res = await post('/v1/auth/login', { username: 'root.admin', password: ADMIN_PASSWORD });
    expect(res.json()).toMatchObject({ mustChangePassword: true });
    const token = (res.json() as { token: string }).token;
    secrets.push(token);
    expect((await get('/v1/users', token)).statusCode).toBe(403);
    expect(errorCode(await post('/v1/auth/totp/enrol', undefined, token))).toBe('password_expired');

    const same = await post(
      '/v1/auth/password',
      { currentPassword: ADMIN_PASSWORD, newPassword: ADMIN_PASSWORD },
      token,
    );
    expect(same.json()).toMatchObject({
      error: { code: 'password_rejected', details: [{ code: 'same_as_current' }] },
    });
    const changed = await post(
      '/v1/auth/password',
      { currentPassword: ADMIN_PASSWORD, newPassword: NEW_PASSWORD },
      token,
    );
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toEqual({ passwordExpiresAt: new Date(clock + 90 * DAY).toISOString() });
    expect((await get('/v1/users', token)).statusCode).toBe(200);
  });

  it('logout ends the session', async () => {
    const admin = await loginToken('root.admin', ADMIN_PASSWORD);
    expect((await post('/v1/auth/logout', undefined, admin)).statusCode).toBe(204);
    const after = await get('/v1/users', admin);
    expect(after.statusCode).toBe(401);
    expect(errorCode(after)).toBe('session_invalid');
  });

  it('documents the routes in OpenAPI', async () => {
    const spec = (await gw.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    for (const p of [
      '/v1/auth/login',
      '/v1/auth/password',
      '/v1/auth/reset',
      '/v1/users',
      '/v1/users/{username}/role',
    ])
      expect(spec.paths).toHaveProperty([p]);
  });
});
