/**
 * Privilege escalation (issue 16, defect 2): nobody grants a permission or role they do not hold,
 * and only an administrator makes or manages an administrator. Every grant path of the API is
 * attacked here: key creation, key rotation, account creation, role change, and the actions that
 * hand an account over (reset token, second-factor removal, unlock, unfreeze).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountService } from '../src/security/accounts.js';
import { PARTNER_SCOPES } from '../src/security/api-key-policy.js';
import { operatorGrantor } from '../src/security/grants.js';
import {
  PERMISSIONS,
  ROLES,
  permissionsOfRole,
  type Permission,
  type Role,
} from '../src/security/permissions.js';
import { secretBoxFromKey } from '../src/security/secret-box.js';
import { listApiKeys, type ApiKeySpec, type CreatedKey } from '../src/store/api-keys.js';
import { listAudit } from '../src/store/audit.js';
import { findUserByUsername, updateUser } from '../src/store/users.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { freshStore, type TestStore } from './helpers/stores.js';

// Obviously fake credentials, each meeting the waygate-default policy.
const PASSWORD = 'Quartz&Lantern-8841';
const DAY = 86_400_000;

const errorCode = (res: LightMyRequestResponse) => (res.json() as { error: { code: string } }).error.code;
const subset = (a: readonly string[], b: ReadonlySet<string>) => a.every((x) => b.has(x));

describe('privilege escalation: nobody grants more than they hold', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  let accounts: AccountService;
  const tokens = new Map<'admin' | 'security', string>();
  let serial = 0;
  const uniqueName = (prefix: string) => `${prefix}.${++serial}`;

  beforeAll(async () => {
    store = await freshStore('sqlite');
    accounts = new AccountService({ store, box: secretBoxFromKey(randomBytes(32)) });
    gw = await gatewayFor(store, {}, { accounts });
    for (const [username, role] of [
      ['root.admin', 'admin'],
      ['sec.officer', 'security'],
    ] as const) {
      await accounts.addUser(operatorGrantor('test'), { username, role, password: PASSWORD });
      const res = await gw.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username, password: PASSWORD },
      });
      tokens.set(role, (res.json() as { token: string }).token);
    }
  });

  afterAll(async () => {
    const audit = JSON.stringify(await listAudit(store.db, { limit: 10_000 }));
    expect(audit).not.toContain(PASSWORD);
    await gw.app.close();
    await store.destroy();
  });

  type As = { user: 'admin' | 'security' } | { key: CreatedKey };
  const post = (as: As, url: string, body?: unknown): Promise<LightMyRequestResponse> => {
    if ('key' in as) return gw.callAs(as.key, 'POST', url, body);
    return gw.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${tokens.get(as.user)}` },
      ...(body !== undefined ? { payload: body as object } : {}),
    });
  };
  const keyCount = async () => (await listApiKeys(store.db)).length;
  const newKey = (spec: Partial<ApiKeySpec>) => gw.keyWith({ name: uniqueName('grantor'), ...spec });
  /** A target account with this role (set directly: the grant under test is the route's). */
  async function target(role: Role): Promise<string> {
    const username = 'target.user';
    const row = await findUserByUsername(store.db, username);
    if (!row) await accounts.addUser(operatorGrantor('test'), { username, role, password: PASSWORD });
    else await updateUser(store.db, row.id, { role, status: 'active' }, Date.now());
    return username;
  }

  describe('regressions', () => {
    it('privilege escalation: a security-role user cannot mint a key with pii:read, dsr:erase or orders:write', async () => {
      const before = await keyCount();
      for (const scope of ['pii:read', 'dsr:erase', 'dsr:export', 'orders:write']) {
        const res = await post({ user: 'security' }, '/v1/apikeys', { name: 'grab', scopes: [scope] });
        expect(res.statusCode).toBe(403);
        expect(errorCode(res)).toBe('grant_exceeds_grantor');
      }
      expect(await keyCount()).toBe(before);
      const refused = (await listAudit(store.db, { limit: 50 })).filter(
        (a) => a.action === 'apikey.created' && a.outcome === 'rejected',
      );
      expect(refused.length).toBeGreaterThanOrEqual(4);
      // What it holds (users:manage among them), it may pass on.
      const own = await post({ user: 'security' }, '/v1/apikeys', {
        name: 'own',
        scopes: ['audit:read', 'users:manage'],
      });
      expect(own.statusCode).toBe(201);
    });

    it('privilege escalation: an apikeys:manage key cannot mint a key with pii:read, dsr:erase or users:manage', async () => {
      const manager = await newKey({ scopes: ['apikeys:manage', 'orders:read'] });
      const before = await keyCount();
      const res = await post({ key: manager }, '/v1/apikeys', {
        name: 'grab',
        scopes: ['orders:read', 'pii:read', 'dsr:erase', 'users:manage'],
      });
      expect(res.statusCode).toBe(403);
      const body = res.json() as { error: { details: { permission?: string }[] } };
      expect(body.error.details.map((d) => d.permission).sort()).toEqual([
        'dsr:erase',
        'pii:read',
        'users:manage',
      ]);
      expect(await keyCount()).toBe(before);
    });

    it('privilege escalation: a security-role user cannot create an admin, nor any role holding what it lacks', async () => {
      const admin = await post({ user: 'security' }, '/v1/users', {
        username: 'mallory.admin',
        role: 'admin',
        password: PASSWORD,
      });
      expect(admin.statusCode).toBe(403);
      expect(errorCode(admin)).toBe('grant_exceeds_grantor');
      const compliance = await post({ user: 'security' }, '/v1/users', {
        username: 'mallory.pii',
        role: 'compliance',
        password: PASSWORD,
      });
      expect(compliance.statusCode).toBe(403);
      expect(await findUserByUsername(store.db, 'mallory.admin')).toBeUndefined();
      expect(await findUserByUsername(store.db, 'mallory.pii')).toBeUndefined();
      const audit = await listAudit(store.db, { limit: 20 });
      expect(audit.find((a) => a.action === 'user.created' && a.outcome === 'rejected')).toBeDefined();
    });

    it('privilege escalation: a key holding every scope still cannot create or promote an admin', async () => {
      const admin = await post({ key: gw.key }, '/v1/users', {
        username: 'bot.admin',
        role: 'admin',
        password: PASSWORD,
      });
      expect(admin.statusCode).toBe(403);
      const username = await target('viewer');
      const promote = await post({ key: gw.key }, `/v1/users/${username}/role`, { role: 'admin' });
      expect(promote.statusCode).toBe(403);
      expect((await findUserByUsername(store.db, username))?.role).toBe('viewer');
      const compliance = await post({ key: gw.key }, '/v1/users', {
        username: 'bot.compliance',
        role: 'compliance',
        password: PASSWORD,
      });
      expect(compliance.statusCode).toBe(201);
    });

    it('privilege escalation: a security-role user cannot promote to admin, demote or take over an admin account', async () => {
      const username = await target('security');
      const promote = await post({ user: 'security' }, `/v1/users/${username}/role`, { role: 'admin' });
      expect(promote.statusCode).toBe(403);
      await target('admin');
      // Each of these hands the admin's permissions to someone else, or takes them away by a lesser role.
      for (const path of ['role', 'reset-token', 'totp/remove', 'unlock', 'unfreeze']) {
        const res = await post(
          { user: 'security' },
          `/v1/users/${username}/${path}`,
          path === 'role' ? { role: 'viewer' } : undefined,
        );
        expect([path, res.statusCode, errorCode(res)]).toEqual([path, 403, 'grant_exceeds_grantor']);
      }
      expect((await findUserByUsername(store.db, username))?.role).toBe('admin');
      // Containment stays possible: freezing takes permissions away and grants none.
      expect((await post({ user: 'security' }, `/v1/users/${username}/freeze`)).statusCode).toBe(200);
      expect((await post({ user: 'security' }, `/v1/users/${username}/unfreeze`)).statusCode).toBe(403);
      expect((await post({ user: 'admin' }, `/v1/users/${username}/unfreeze`)).statusCode).toBe(200);
    });

    it('privilege escalation: rotating a key hands over its secret, so only a grantor of its whole grant may rotate it', async () => {
      const manager = await newKey({ scopes: ['apikeys:manage', 'orders:read'] });
      const wide = await newKey({ scopes: ['orders:read', 'pii:read'] });
      const res = await post({ key: manager }, `/v1/apikeys/${wide.keyId}/rotate`, {});
      expect(res.statusCode).toBe(403);
      expect(errorCode(res)).toBe('grant_exceeds_grantor');
      // The old secret still signs, and alone: nothing was rotated.
      expect((await gw.callAs(wide, 'GET', '/v1/orders')).statusCode).toBe(200);
      expect((await listApiKeys(store.db)).find((k) => k.keyId === wide.keyId)?.rotatedAt).toBeNull();
      // Rotation takes no new grant: scopes, partner, allow-list, rate or expiry cannot be widened.
      const narrow = await newKey({ scopes: ['orders:read'] });
      for (const widen of [
        { scopes: ['pii:read'] },
        { partnerId: null },
        { allowCidrs: [] },
        { ratePerMinute: 1_000_000 },
        { expiresAt: null },
      ]) {
        const r = await post({ key: manager }, `/v1/apikeys/${narrow.keyId}/rotate`, widen);
        expect(r.statusCode).toBe(400);
      }
      expect((await post({ key: manager }, `/v1/apikeys/${narrow.keyId}/rotate`, {})).statusCode).toBe(200);
    });

    it('privilege escalation: a key bound to partner P mints neither an unbound key nor one for partner Q', async () => {
      const bound = await newKey({ scopes: ['apikeys:manage', ...PARTNER_SCOPES], partnerId: 'shop-p' });
      const before = await keyCount();
      const unbound = await post({ key: bound }, '/v1/apikeys', { name: 'u', scopes: ['orders:read'] });
      expect(unbound.statusCode).toBe(403);
      const other = await post({ key: bound }, '/v1/apikeys', {
        name: 'q',
        scopes: ['orders:read'],
        partnerId: 'shop-q',
      });
      expect(other.statusCode).toBe(403);
      expect(await keyCount()).toBe(before);
      const same = await post({ key: bound }, '/v1/apikeys', {
        name: 'p',
        scopes: ['orders:read'],
        partnerId: 'shop-p',
      });
      expect(same.statusCode).toBe(201);
    });
  });

  describe('the class, by property', () => {
    const scopeSet = fc.subarray([...PERMISSIONS]);

    it('a key grantor mints a key iff the requested scopes are a subset of its own', async () => {
      await fc.assert(
        fc.asyncProperty(scopeSet, fc.subarray([...PERMISSIONS], { minLength: 1 }), async (held, wanted) => {
          const grantor = await newKey({ scopes: [...new Set<Permission>([...held, 'apikeys:manage'])] });
          const holds = new Set<string>([...held, 'apikeys:manage']);
          const before = await keyCount();
          const res = await post({ key: grantor }, '/v1/apikeys', { name: 'k', scopes: wanted });
          if (subset(wanted, holds)) {
            expect(res.statusCode).toBe(201);
            expect(await keyCount()).toBe(before + 1);
          } else {
            expect([res.statusCode, errorCode(res)]).toEqual([403, 'grant_exceeds_grantor']);
            expect(await keyCount()).toBe(before);
          }
        }),
        { numRuns: 60 },
      );
    });

    it('a key grantor rotates a key iff that key’s scopes are a subset of its own', async () => {
      await fc.assert(
        fc.asyncProperty(scopeSet, fc.subarray([...PERMISSIONS], { minLength: 1 }), async (held, theirs) => {
          const grantor = await newKey({ scopes: [...new Set<Permission>([...held, 'apikeys:manage'])] });
          const victim = await newKey({ scopes: theirs });
          const res = await post({ key: grantor }, `/v1/apikeys/${victim.keyId}/rotate`, {});
          const holds = new Set<string>([...held, 'apikeys:manage']);
          expect(res.statusCode).toBe(subset(theirs, holds) ? 200 : 403);
        }),
        { numRuns: 40 },
      );
    });

    it('a person mints a key iff the requested scopes are a subset of their role', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('admin' as const, 'security' as const),
          fc.subarray([...PERMISSIONS], { minLength: 1 }),
          async (role, wanted) => {
            const res = await post({ user: role }, '/v1/apikeys', { name: 'k', scopes: wanted });
            expect(res.statusCode).toBe(subset(wanted, permissionsOfRole(role)) ? 201 : 403);
          },
        ),
        { numRuns: 40 },
      );
    });

    /** A grantor of accounts: a person of a managing role, or a key with `users:manage` and more. */
    const accountGrantor = fc.oneof(
      fc.constantFrom('admin' as const, 'security' as const).map((role) => ({ role })),
      scopeSet.map((scopes) => ({ scopes: [...new Set<Permission>([...scopes, 'users:manage'])] })),
    );
    type AccountGrantor = { role: 'admin' | 'security' } | { scopes: Permission[] };
    const asGrantor = async (g: AccountGrantor): Promise<As> =>
      'role' in g ? { user: g.role } : { key: await newKey({ scopes: g.scopes }) };
    /** The rule: every permission of the role is held, and an admin only by an admin person. */
    const mayGrant = (g: AccountGrantor, role: Role) =>
      subset([...permissionsOfRole(role)], 'role' in g ? permissionsOfRole(g.role) : new Set(g.scopes)) &&
      (role !== 'admin' || ('role' in g && g.role === 'admin'));

    it('an account is created iff its role is within the grantor’s and admin only by an admin', async () => {
      await fc.assert(
        fc.asyncProperty(accountGrantor, fc.constantFrom(...ROLES), async (g, role) => {
          const username = uniqueName('new');
          const res = await post(await asGrantor(g), '/v1/users', { username, role, password: PASSWORD });
          const allowed = mayGrant(g, role);
          expect(res.statusCode).toBe(allowed ? 201 : 403);
          expect((await findUserByUsername(store.db, username))?.role).toBe(allowed ? role : undefined);
        }),
        { numRuns: 50 },
      );
    });

    it('a role changes iff both the old and the new role are within the grantor’s', async () => {
      await fc.assert(
        fc.asyncProperty(
          accountGrantor,
          fc.constantFrom(...ROLES),
          fc.constantFrom(...ROLES),
          async (g, from, to) => {
            const username = await target(from);
            const res = await post(await asGrantor(g), `/v1/users/${username}/role`, { role: to });
            const allowed = mayGrant(g, from) && mayGrant(g, to);
            expect(res.statusCode).toBe(allowed ? 200 : 403);
            expect((await findUserByUsername(store.db, username))?.role).toBe(allowed ? to : from);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('a key grantor’s partner, allow-list, rate and expiry bound what it mints', async () => {
      const now = Date.now();
      const POOL = [
        '127.0.0.0/8',
        '127.0.0.1',
        '10.0.0.0/8',
        '10.1.0.0/16',
        '2001:db8::/32',
        '2001:db8:1::/48',
      ];
      const WITHIN: Record<string, string[]> = {
        '127.0.0.1': ['127.0.0.0/8'],
        '10.1.0.0/16': ['10.0.0.0/8'],
        '2001:db8:1::/48': ['2001:db8::/32'],
      };
      const within = (inner: string, outer: string) => inner === outer || !!WITHIN[inner]?.includes(outer);
      const partner = fc.constantFrom(null, 'shop-a', 'shop-b');
      // The grantor's own allow-list must let the test's loopback address in.
      const grantorAllow = fc.oneof(
        fc.constant([] as string[]),
        fc
          .tuple(fc.constantFrom('127.0.0.0/8', '127.0.0.1'), fc.subarray(POOL))
          .map(([loopback, more]) => [...new Set([loopback, ...more])]),
      );
      const limits = {
        partnerId: partner,
        ratePerMinute: fc.constantFrom(null, 10, 100),
        expiresAt: fc.constantFrom(null, now + DAY, now + 2 * DAY),
      };
      await fc.assert(
        fc.asyncProperty(
          fc.record({ ...limits, allowCidrs: grantorAllow }),
          fc.record({
            partnerId: partner,
            allowCidrs: fc.subarray(POOL),
            ratePerMinute: fc.constantFrom(null, 5, 10, 100, 1000),
            expiresAt: fc.constantFrom(null, now + DAY / 2, now + DAY, now + 1.5 * DAY, now + 3 * DAY),
          }),
          async (own, wanted) => {
            const grantor = await newKey({ scopes: ['apikeys:manage', ...PARTNER_SCOPES], ...own });
            const res = await post({ key: grantor }, '/v1/apikeys', {
              name: 'k',
              scopes: ['orders:read'],
              ...(wanted.partnerId ? { partnerId: wanted.partnerId } : {}),
              ...(wanted.allowCidrs.length ? { allowCidrs: wanted.allowCidrs } : {}),
              ...(wanted.ratePerMinute ? { ratePerMinute: wanted.ratePerMinute } : {}),
              ...(wanted.expiresAt ? { expiresAt: new Date(wanted.expiresAt).toISOString() } : {}),
            });
            const allowed =
              (own.partnerId === null || wanted.partnerId === own.partnerId) &&
              (own.allowCidrs.length === 0 ||
                (wanted.allowCidrs.length > 0 &&
                  wanted.allowCidrs.every((i) => own.allowCidrs.some((o) => within(i, o))))) &&
              (own.ratePerMinute === null ||
                (wanted.ratePerMinute !== null && wanted.ratePerMinute <= own.ratePerMinute)) &&
              (own.expiresAt === null || (wanted.expiresAt !== null && wanted.expiresAt <= own.expiresAt));
            expect(res.statusCode).toBe(allowed ? 201 : 403);
          },
        ),
        { numRuns: 80 },
      );
    });
  });
});
