/**
 * The gateway against the OWASP API Security Top 10 (2023). Each block names the risk and
 * tries the attacks it describes; each test states the answer the attack must get.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseXml, UnsafeXmlError } from '../src/connectors/xml.js';
import { buildGateway } from '../src/gateway/app.js';
import { checkKeyGrant } from '../src/security/api-key-policy.js';
import { revokeApiKey, rotateApiKey } from '../src/store/api-keys.js';
import { secretBoxFromKey } from '../src/security/secret-box.js';
import { parseHubConfig } from '../src/hub/config.js';
import { freshStore, type TestStore } from './helpers/stores.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { loadJson, orderFixture } from './helpers/fixtures.js';
import { movableClock, type MovableClock } from './helpers/movable-clock.js';
import type { OrderInput } from '../src/domain/index.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/security/${name}`, import.meta.url), 'utf8');

describe('OWASP API Security Top 10 (2023)', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  beforeEach(async () => {
    store = await freshStore('sqlite');
    gw = await gatewayFor(
      store,
      {},
      { defaultRatePerMinute: { key: 600_000, partner: 600_000, anonymous: 6_000 } },
    );
  });
  // Waits for a cache or an overlap to run out move this clock instead of sleeping (Date only).
  let clock: MovableClock | undefined;
  afterEach(async () => {
    await gw.app.close();
    await store.destroy();
    clock?.restore();
    clock = undefined;
  });

  /** An order of `source` posted by the all-scopes internal key; returns its id. */
  async function orderOf(source: string, externalId: string): Promise<string> {
    const res = await gw.call('POST', '/v1/orders', orderFixture({ source, externalId }));
    expect(res.statusCode).toBe(202);
    return res.json().id as string;
  }

  describe('API1 broken object level authorisation', () => {
    it('answers 404 when a partner key asks for another partner’s order, as if it did not exist', async () => {
      const theirs = await orderOf('other-shop', 'SO-THEIRS');
      const mine = await orderOf('sandbox-shop', 'SO-MINE');
      const shopKey = await gw.keyWith({
        scopes: ['orders:read', 'orders:write'],
        partnerId: 'sandbox-shop',
      });
      const stolen = await gw.callAs(shopKey, 'GET', `/v1/orders/${theirs}`);
      expect(stolen.statusCode).toBe(404);
      expect(stolen.json().error.code).toBe('order_not_found');
      const missing = await gw.callAs(shopKey, 'GET', '/v1/orders/ord_doesnotexist');
      expect(stolen.json().error.message.replace(theirs, 'X')).toBe(
        missing.json().error.message.replace('ord_doesnotexist', 'X'),
      );
      expect((await gw.callAs(shopKey, 'GET', `/v1/orders/${mine}`)).statusCode).toBe(200);
    });

    it('lists only the partner’s own orders, even when it asks for another source', async () => {
      await orderOf('other-shop', 'SO-T1');
      await orderOf('sandbox-shop', 'SO-M1');
      const shopKey = await gw.keyWith({ scopes: ['orders:read'], partnerId: 'sandbox-shop' });
      const all = await gw.callAs(shopKey, 'GET', '/v1/orders');
      expect(all.json().data.map((o: { source: string }) => o.source)).toEqual(['sandbox-shop']);
      const asked = await gw.callAs(shopKey, 'GET', '/v1/orders?source=other-shop');
      expect(asked.json().data).toEqual([]);
    });

    it('refuses a partner key submitting an order in another partner’s name', async () => {
      const shopKey = await gw.keyWith({ scopes: ['orders:write'], partnerId: 'sandbox-shop' });
      const res = await gw.callAs(shopKey, 'POST', '/v1/orders', orderFixture({ source: 'other-shop' }));
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('source_not_allowed');
      expect(await store.db.selectFrom('orders').select('id').execute()).toEqual([]);
    });
  });

  describe('API2 broken authentication', () => {
    it('refuses a key after revocation once the cache forgets it', async () => {
      clock = movableClock();
      const key = await gw.keyWith({ scopes: ['orders:read'] });
      expect((await gw.callAs(key, 'GET', '/v1/orders')).statusCode).toBe(200);
      await revokeApiKey(store.db, key.keyId);
      clock.moveTo(Date.now() + 5_100);
      const res = await gw.callAs(key, 'GET', '/v1/orders');
      expect(res.statusCode).toBe(401);
    });

    it('refuses an expired key with auth_key_expired', async () => {
      const key = await gw.keyWith({ scopes: ['orders:read'], expiresAt: Date.now() + 300 });
      await new Promise((r) => setTimeout(r, 400));
      const res = await gw.callAs(key, 'GET', '/v1/orders');
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('auth_key_expired');
    });

    it('accepts both secrets during a rotation overlap and only the new one after it', async () => {
      const box = secretBoxFromKey(Buffer.alloc(32, 7));
      const app = await buildGateway({
        store,
        box,
        carriers: new Map(),
        platforms: new Map(),
        notifyWork: () => undefined,
        isReady: async () => true,
        logger: false,
      });
      try {
        clock = movableClock();
        const { createApiKey } = await import('../src/store/api-keys.js');
        const { signedHeaders } = await import('../src/gateway/signature.js');
        const old = await createApiKey(store.db, box, { name: 'rot', scopes: ['orders:read'] });
        // 4 s of overlap: long enough for the first two calls on a loaded machine, over (and the
        // key cache's 5 s too) once the clock has moved 5.1 s on.
        const rotated = await rotateApiKey(store.db, box, old.keyId, 4_000);
        const get = (secret: string) =>
          app.inject({
            method: 'GET',
            url: '/v1/orders',
            headers: signedHeaders({ keyId: old.keyId, secret }, 'GET', '/v1/orders'),
          });
        expect((await get(old.secret)).statusCode).toBe(200);
        expect((await get(rotated!.secret)).statusCode).toBe(200);
        clock.moveTo(Date.now() + 5_100);
        expect((await get(old.secret)).statusCode).toBe(401);
        expect((await get(rotated!.secret)).statusCode).toBe(200);
      } finally {
        await app.close();
      }
    });

    it('refuses a key used from an address outside its allow-list with 403', async () => {
      const { signedHeaders } = await import('../src/gateway/signature.js');
      const key = await gw.keyWith({ scopes: ['orders:read'], allowCidrs: ['10.0.0.0/8', '2001:db8::/32'] });
      const from = (remoteAddress: string) =>
        gw.app.inject({
          method: 'GET',
          url: '/v1/orders',
          remoteAddress,
          headers: signedHeaders(key, 'GET', '/v1/orders'),
        });
      const outside = await from('192.0.2.10');
      expect(outside.statusCode).toBe(403);
      expect(outside.json().error.code).toBe('ip_not_allowed');
      expect((await from('10.20.30.40')).statusCode).toBe(200);
      expect((await from('::ffff:10.9.9.9')).statusCode).toBe(200);
      expect((await from('2001:db8::7')).statusCode).toBe(200);
    });

    it('rejects weak and breached passwords, locks an account after 5 failures without saying so, and throttles failed logins per address', async () => {
      const login = (username: string, password: string, remoteAddress = '198.51.100.7') =>
        gw.app.inject({
          method: 'POST',
          url: '/v1/auth/login',
          remoteAddress,
          payload: { username, password },
        });
      for (const weak of ['short1!A', 'alllowercaseletters', 'Password123!!', 'P@ssw0rd12345']) {
        const res = await gw.call('POST', '/v1/users', {
          username: 'mia.wong',
          role: 'viewer',
          password: weak,
        });
        expect(res.statusCode, weak).toBe(400);
        expect(res.json().error.code).toBe('password_rejected');
      }
      const strong = 'Cobalt&Meadow-5172';
      expect(
        (await gw.call('POST', '/v1/users', { username: 'mia.wong', role: 'viewer', password: strong }))
          .statusCode,
      ).toBe(201);
      const failures = [];
      for (let i = 0; i < 5; i++) failures.push((await login('mia.wong', `Wrong&Guess-${i}000`)).statusCode);
      // A lock answers like a wrong password, so it tells nobody that the account exists.
      expect(failures).toEqual([401, 401, 401, 401, 401]);
      const locked = await login('mia.wong', strong);
      expect(locked.statusCode).toBe(401);
      expect(locked.json().error.code).toBe('invalid_credentials');
      expect((await gw.call('GET', '/v1/users')).json().data[0]).toMatchObject({
        username: 'mia.wong',
        locked: true,
      });
      // Credential stuffing from one address across many usernames: after 20 failures the
      // address is refused before any password is hashed.
      const sprayed: string[] = [];
      for (let i = 0; i < 22; i++)
        sprayed.push((await login(`user${i}`, 'Spray&Pray-1234', '203.0.113.9')).json().error.code);
      expect(sprayed.slice(0, 20).every((s) => s === 'invalid_credentials')).toBe(true);
      expect(sprayed.slice(20)).toEqual(['auth_throttled', 'auth_throttled']);
    });

    it('refuses an unknown session token', async () => {
      const res = await gw.app.inject({
        method: 'GET',
        url: '/v1/orders',
        headers: { authorization: 'Bearer wgs_forged_token_value' },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('session_invalid');
    });
  });

  describe('API3 broken object property level authorisation', () => {
    it('masks personal data for a key without pii:read and shows it with pii:read', async () => {
      const id = await orderOf('sandbox-shop', 'SO-PII');
      const plainKey = await gw.keyWith({ scopes: ['orders:read'] });
      const masked = (await gw.callAs(plainKey, 'GET', `/v1/orders/${id}`)).json();
      expect(masked.recipient).toMatchObject({
        name: 'J*** D**',
        phone: '+1415****0100',
        email: 'j***@example.com',
        line1: '1 M***** S*',
        postalCode: '941****',
        country: 'US',
      });
      const piiKey = await gw.keyWith({ scopes: ['orders:read', 'pii:read'] });
      const full = (await gw.callAs(piiKey, 'GET', `/v1/orders/${id}`)).json();
      expect(full.recipient).toMatchObject({ name: 'Jane Doe', phone: '+14155550100' });
    });

    it('refuses mass assignment of status and totals in an order body', async () => {
      const res = await gw.call(
        'POST',
        '/v1/orders',
        loadJson<OrderInput>('security/mass-assignment-order.json'),
      );
      expect(res.statusCode).toBe(400);
      const fields = res.json().error.details.map((d: { field: string }) => d.field);
      expect(fields).toEqual(expect.arrayContaining(['/status', '/totalValue']));
      expect(await store.db.selectFrom('orders').select('id').execute()).toEqual([]);
    });
  });

  describe('API4 unrestricted resource consumption', () => {
    it('answers 429 with Retry-After once a key exceeds its rate limit', async () => {
      const key = await gw.keyWith({ scopes: ['orders:read'], ratePerMinute: 5 });
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await gw.callAs(key, 'GET', '/v1/orders')).statusCode);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const limited = await gw.callAs(key, 'GET', '/v1/orders');
      expect(limited.json().error.code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another key is not slowed by the first one's limit.
      expect((await gw.call('GET', '/v1/orders')).statusCode).toBe(200);
    });

    it('counts partner pushes per partner, not against the per-address limit of anonymous callers', async () => {
      const small = await gatewayFor(
        store,
        {},
        { defaultRatePerMinute: { key: 100, partner: 8, anonymous: 3 } },
      );
      try {
        const push = (partner: string) =>
          small.app.inject({
            method: 'POST',
            url: `/v1/webhooks/${partner}/orders`,
            remoteAddress: '198.51.100.20',
            payload: { forged: true },
          });
        const shop: number[] = [];
        for (let i = 0; i < 10; i++) shop.push((await push('sandbox-shop')).statusCode);
        // Unknown partner (404) until the partner's own limit, then 429; never the anonymous 3.
        expect(shop.slice(0, 8).every((s) => s !== 429)).toBe(true);
        expect(shop.slice(8)).toEqual([429, 429]);
        expect((await push('other-shop')).statusCode).not.toBe(429);
      } finally {
        await small.app.close();
      }
    });

    it('rejects a deeply nested body before validation', async () => {
      const deep = `${'{"n":'.repeat(5000)}1${'}'.repeat(5000)}`;
      const body = JSON.stringify({ ...orderFixture(), notes: 'PLACEHOLDER' }).replace('"PLACEHOLDER"', deep);
      const res = await gw.call('POST', '/v1/orders', body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('body_too_complex');
    });

    it('rejects an oversized body with 413 and stores nothing', async () => {
      const res = await gw.call('POST', '/v1/orders', {
        ...orderFixture(),
        notes: 'x'.repeat(2 * 1024 * 1024),
      });
      expect(res.statusCode).toBe(413);
      expect(await store.db.selectFrom('orders').select('id').execute()).toEqual([]);
    });

    it('refuses a page size above the maximum', async () => {
      const res = await gw.call('GET', '/v1/orders?limit=100000');
      expect(res.statusCode).toBe(400);
    });
  });

  describe('API5 broken function level authorisation', () => {
    it('refuses order creation to a key with orders:read only', async () => {
      const key = await gw.keyWith({ scopes: ['orders:read'] });
      const res = await gw.callAs(key, 'POST', '/v1/orders', orderFixture());
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toMatchObject({
        code: 'missing_permission',
        details: { required: 'orders:write' },
      });
      expect(await store.db.selectFrom('orders').select('id').execute()).toEqual([]);
    });

    it('refuses the dead-letter queue to a key without its scopes', async () => {
      const key = await gw.keyWith({ scopes: ['orders:read', 'orders:write', 'tracking:read'] });
      expect((await gw.callAs(key, 'GET', '/v1/dlq')).statusCode).toBe(403);
      expect(
        (await gw.callAs(key, 'POST', '/v1/dlq/job_01abcdefghjkmnpqrstvwxyz00/replay', {})).statusCode,
      ).toBe(403);
    });

    it('lets only a key with apikeys:manage create keys, and refuses an over-broad partner grant', async () => {
      const weak = await gw.keyWith({ scopes: ['orders:read', 'orders:write'] });
      const grant = { name: 'shop', scopes: ['orders:write', 'dlq:manage'], partnerId: 'sandbox-shop' };
      expect((await gw.callAs(weak, 'POST', '/v1/apikeys', grant)).statusCode).toBe(403);
      const refused = await gw.call('POST', '/v1/apikeys', grant);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.code).toBe('invalid_key_grant');
      const created = await gw.call('POST', '/v1/apikeys', { ...grant, scopes: ['orders:write'] });
      expect(created.statusCode).toBe(201);
      expect(created.json().secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      const listed = await gw.call('GET', '/v1/apikeys');
      expect(listed.body).not.toContain(created.json().secret);
      const id = created.json().keyId as string;
      const rotated = await gw.call('POST', `/v1/apikeys/${id}/rotate`);
      expect(rotated.statusCode).toBe(200);
      expect((await gw.call('POST', `/v1/apikeys/${id}/rotate`, { overlapSeconds: -1 })).statusCode).toBe(
        400,
      );
      expect((await gw.call('POST', `/v1/apikeys/${id}/revoke`)).statusCode).toBe(200);
      expect((await gw.call('POST', `/v1/apikeys/${id}/revoke`)).statusCode).toBe(404);
    });

    it('never grants administrative scopes to a partner key', () => {
      expect(() =>
        checkKeyGrant({ scopes: ['orders:read', 'dlq:manage'], partnerId: 'sandbox-shop' }),
      ).toThrow(/dlq:manage cannot be granted to a partner key/);
      expect(() => checkKeyGrant({ scopes: ['orders:raed'] })).toThrow(/not a known scope/);
    });

    it('declares a permission on every authenticated /v1 route', async () => {
      const routes: { url: string; method: string; auth?: string; permission?: string }[] = [];
      const app = await buildGateway({
        store,
        box: secretBoxFromKey(Buffer.alloc(32, 1)),
        carriers: new Map(),
        platforms: new Map(),
        notifyWork: () => undefined,
        isReady: async () => true,
        logger: false,
        onRoute: (r) => routes.push(r),
      });
      await app.close();
      const v1 = routes.filter((r) => r.url.startsWith('/v1/'));
      expect(v1.length).toBeGreaterThan(8);
      const open = v1.filter((r) => (r.auth ?? 'api_key') === 'api_key' && !r.permission);
      expect(open).toEqual([]);
    });
  });

  describe('API6 unrestricted access to sensitive business flows', () => {
    it('refuses a replayed signed request, so a captured order cannot be re-sent', async () => {
      const { signedHeaders } = await import('../src/gateway/signature.js');
      const body = JSON.stringify(orderFixture({ externalId: 'SO-REPLAY' }));
      const headers = {
        ...signedHeaders(gw.key, 'POST', '/v1/orders', body),
        'content-type': 'application/json',
      };
      const first = await gw.app.inject({ method: 'POST', url: '/v1/orders', payload: body, headers });
      const again = await gw.app.inject({ method: 'POST', url: '/v1/orders', payload: body, headers });
      expect(first.statusCode).toBe(202);
      expect(again.statusCode).toBe(401);
      expect(again.json().error.code).toBe('auth_replayed_nonce');
    });
  });

  describe('API7 server-side request forgery', () => {
    it('refuses a partner URL pointing at cloud metadata or link-local addresses', () => {
      const file = new URL('../config/sandbox.yaml', import.meta.url);
      const text = readFileSync(file, 'utf8');
      const env: Record<string, string> = {};
      for (const m of text.matchAll(/\$\{([A-Z0-9_]+)\}/g)) env[m[1] as string] = 'placeholder-value';
      const ok = { ...env, SANDBOX_URL: 'http://127.0.0.1:9090' };
      expect(() => parseHubConfig(text, 'sandbox.yaml', ok)).not.toThrow();
      for (const target of [
        'http://169.254.169.254/latest/meta-data',
        'http://[fe80::1]/',
        'http://metadata.google.internal/',
      ]) {
        expect(() => parseHubConfig(text, 'sandbox.yaml', { ...env, SANDBOX_URL: target })).toThrow(/url/i);
      }
      expect(() => parseHubConfig(fixture('metadata-baseurl.yaml'), 'metadata-baseurl.yaml', {})).toThrow(
        /baseUrl/,
      );
    });
  });

  describe('API8 security misconfiguration', () => {
    it('sends security headers and no CORS grant to a foreign origin', async () => {
      const res = await gw.app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { origin: 'https://evil.invalid' },
      });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
      const preflight = await gw.app.inject({
        method: 'OPTIONS',
        url: '/v1/orders',
        headers: { origin: 'https://evil.invalid', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('answers errors without stack traces or internals', async () => {
      const res = await gw.call('POST', '/v1/orders', '{"source": "x", ');
      expect(res.statusCode).toBe(400);
      expect(res.body).not.toMatch(/at .*\.(js|ts):\d+|node_modules|\/work\//);
      expect(Object.keys(res.json().error).sort()).toEqual(['code', 'details', 'message', 'requestId']);
    });

    it('serves HTTPS with TLS 1.2 or newer and refuses TLS 1.1', async () => {
      const tls = await selfSignedTls();
      const app = await buildGateway({
        store,
        box: secretBoxFromKey(Buffer.alloc(32, 2)),
        carriers: new Map(),
        platforms: new Map(),
        notifyWork: () => undefined,
        isReady: async () => true,
        logger: false,
        tls,
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as { port: number }).port;
      try {
        const handshake = (maxVersion: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3') =>
          new Promise<string>((resolve) => {
            const s = connect({
              port,
              host: '127.0.0.1',
              rejectUnauthorized: false,
              maxVersion,
              minVersion: 'TLSv1',
            });
            s.on('secureConnect', () => {
              resolve(s.getProtocol() ?? 'none');
              s.end();
            });
            s.on('error', () => resolve('refused'));
          });
        expect(await handshake('TLSv1.1')).toBe('refused');
        expect(await handshake('TLSv1.2')).toBe('TLSv1.2');
        expect(await handshake('TLSv1.3')).toBe('TLSv1.3');
      } finally {
        await app.close();
      }
    });
  });

  describe('API9 improper inventory management', () => {
    it('documents every /v1 route in the OpenAPI description and 404s unknown versions', async () => {
      const spec = (await gw.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(Object.keys(spec.paths)).toEqual(
        expect.arrayContaining(['/v1/orders', '/v1/orders/{id}', '/v1/dlq']),
      );
      const old = await gw.call('GET', '/v0/orders');
      expect(old.statusCode).toBe(404);
      expect(old.json().error.code).toBe('route_not_found');
    });
  });

  describe('API10 unsafe consumption of partner APIs, and injection', () => {
    it('refuses XML with an external entity before parsing it', () => {
      expect(() => parseXml(fixture('xxe-file.xml'))).toThrow(UnsafeXmlError);
    });

    it('refuses an entity-expansion bomb before parsing it', () => {
      expect(() => parseXml(fixture('billion-laughs.xml'))).toThrow(UnsafeXmlError);
    });

    it('stores SQL, script and shell injection strings inertly and returns them unchanged', async () => {
      const attack = loadJson<OrderInput>('security/injection-order.json');
      const posted = await gw.call('POST', '/v1/orders', attack);
      expect(posted.statusCode).toBe(202);
      const got = await gw.call('GET', `/v1/orders/${posted.json().id}`);
      expect(got.headers['content-type']).toMatch(/^application\/json/);
      const order = got.json();
      expect(order.externalId).toBe(attack.externalId);
      expect(order.recipient.name).toBe(attack.recipient.name);
      expect(order.recipient.line1).toBe(attack.recipient.line1);
      // The JSON body carries the markup as data, escaped, never as live HTML.
      expect(got.body).not.toContain('<script>alert');
      expect(got.body).toContain('\\u003cscript\\u003ealert');
      expect(await store.db.selectFrom('orders').select('id').execute()).toHaveLength(1);
      const search = await gw.call(
        'GET',
        `/v1/orders?q=${encodeURIComponent("' OR '1'='1").replace(/'/g, '%27')}`,
      );
      expect(search.statusCode).toBe(200);
      expect(search.json().data).toEqual([]);
    });
  });
});

/** A throwaway self-signed certificate for the TLS test (made here, never stored). */
async function selfSignedTls(): Promise<{ key: string; cert: string }> {
  // Node's webcrypto is the standard Crypto interface; the DOM type name is not in this lib.
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=localhost',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { key, cert: cert.toString('pem') };
}
