/**
 * Failed authentication is throttled (issue 16, defect 6): before, a client could guess API key
 * signatures, session tokens and passwords as fast as it liked, each guess costing the hub a key
 * lookup or an argon2 hash and leaving one audit row forever.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { signedHeaders } from '../src/gateway/signature.js';
import { createLogger } from '../src/hub/logger.js';
import { AccountService } from '../src/security/accounts.js';
import { operatorGrantor } from '../src/security/grants.js';
import type { AuthFailureLimits } from '../src/security/auth-failures.js';
import { secretBoxFromKey } from '../src/security/secret-box.js';
import { listAudit, type AuditRecord } from '../src/store/audit.js';
import type { CreatedKey } from '../src/store/api-keys.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { freshStore, type TestStore } from './helpers/stores.js';

const ATTACKER = '198.51.100.66';
const PARTNER = '203.0.113.10';
const PASSWORD = 'Tangerine#K42-violin';
const WINDOW_MS = 5 * 60_000;

describe('failed authentication throttle', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  let clock: number;
  let logLines: string[];
  let accounts: AccountService;
  let loginCalls: number;
  let closed: boolean;

  async function build(limits: Partial<AuthFailureLimits> = {}) {
    logLines = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    accounts = new AccountService({ store, box: secretBoxFromKey(randomBytes(32)), now: () => clock });
    await accounts.addUser(operatorGrantor('test'), {
      username: 'kim.lee',
      role: 'viewer',
      password: PASSWORD,
    });
    loginCalls = 0;
    const login = accounts.login.bind(accounts);
    accounts.login = (input) => {
      loginCalls++;
      return login(input);
    };
    gw = await gatewayFor(
      store,
      {},
      {
        accounts,
        now: () => clock,
        authFailures: () => limits,
        logger: createLogger('info', sink),
      },
    );
    closed = false;
  }

  /** Closes the gateway, which writes the open failure tallies, and reads the audit log. */
  async function closeAndReadAudit(): Promise<AuditRecord[]> {
    await gw.app.close();
    closed = true;
    return listAudit(store.db, { limit: 10_000 });
  }

  const signed = (key: { keyId: string; secret: string }, from: string, forge = false) => {
    const headers = signedHeaders(key, 'GET', '/v1/orders');
    return gw.app.inject({
      method: 'GET',
      url: '/v1/orders',
      remoteAddress: from,
      headers: forge ? { ...headers, 'x-waygate-signature': '0'.repeat(64) } : headers,
    });
  };
  const login = (username: string, password: string, from: string) =>
    gw.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress: from,
      payload: { username, password },
    });
  const code = (res: LightMyRequestResponse) => (res.json() as { error?: { code: string } }).error?.code;

  beforeEach(async () => {
    store = await freshStore('sqlite');
    clock = Date.parse('2030-03-01T09:00:00Z');
  });
  afterEach(async () => {
    if (!closed) await gw.app.close();
    await store.destroy();
  });

  it('failed authentication is not rate-limited: 100 forged signatures from one address get 429 auth_throttled with Retry-After after 10 (the limit per key id), and four audit rows instead of 101', async () => {
    await build();
    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < 100; i++) {
      answers.push(await signed(gw.key, ATTACKER, true));
      clock += 1000;
    }
    expect(answers.slice(0, 10).map(code)).toEqual(Array(10).fill('auth_bad_signature'));
    for (const res of answers.slice(10)) {
      expect(res.statusCode).toBe(429);
      expect(code(res)).toBe('auth_throttled');
    }
    // The window opened at the first failure; the wait runs to its end.
    const last = Number(answers.at(-1)!.headers['retry-after']);
    expect(last).toBe((WINDOW_MS - 99_000) / 1000);
    // Refused before verification: a correctly signed request from that address is refused too.
    const valid = await signed(gw.key, ATTACKER);
    expect(code(valid)).toBe('auth_throttled');

    const audit = await closeAndReadAudit();
    expect(audit.filter((a) => a.action === 'api.call')).toEqual([]);
    const failed = audit.filter((a) => a.action === 'auth.failed');
    expect(
      failed.map((a) => [a.target, a.outcome, a.detail.ip, a.detail.failures, a.detail.refused]),
    ).toEqual([
      [`ip:${ATTACKER}`, 'rejected', ATTACKER, 0, 91],
      [`key:${gw.key.keyId.slice(0, 7)}…`, 'rejected', ATTACKER, 10, 0],
    ]);
    expect(failed[1]!.detail.codes).toEqual(['auth_bad_signature']);
    // A spike (100 in a window) is reported once for the address and once for the key id.
    expect(audit.filter((a) => a.action === 'auth.failure_spike')).toHaveLength(2);
    expect(audit.filter((a) => a.action !== 'user.created')).toHaveLength(4);
  });

  it('failures spread over many key ids, and forged session tokens, from one address are still throttled', async () => {
    await build();
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const key = { keyId: `wk_guess${String(i).padStart(7, '0')}`, secret: 'guess' };
      statuses.push((await signed(key, ATTACKER)).statusCode);
    }
    for (let i = 0; i < 10; i++) {
      const res = await gw.app.inject({
        method: 'GET',
        url: '/v1/orders',
        remoteAddress: ATTACKER,
        headers: { authorization: `Bearer wgs_forged${i}` },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([...Array(20).fill(401), ...Array(5).fill(429)]);
    // Another address, and the attacker's neighbours in another /24, are not affected.
    expect((await signed(gw.key, PARTNER)).statusCode).toBe(200);
    expect((await signed(gw.key, '198.51.101.66')).statusCode).toBe(200);
  });

  it('counts an IPv6 caller per /64 and an IPv4-mapped address as the IPv4 address', async () => {
    await build({ maxPerAddress: 4 });
    for (let i = 1; i <= 4; i++)
      expect((await signed(gw.key, `2001:db8:7:1::${i}`, true)).statusCode).toBe(401);
    expect(code(await signed(gw.key, '2001:db8:7:1:ffff:ffff:ffff:ffff'))).toBe('auth_throttled');
    expect((await signed(gw.key, '2001:db8:7:2::1')).statusCode).toBe(200);

    for (let i = 0; i < 2; i++) await signed(gw.key, '192.0.2.9', true);
    for (let i = 0; i < 2; i++) await signed(gw.key, '::ffff:192.0.2.9', true);
    expect(code(await signed(gw.key, '::ffff:c000:209'))).toBe('auth_throttled');
    expect(code(await signed(gw.key, '192.0.2.9'))).toBe('auth_throttled');
  });

  it('throttles a key id attacked from many addresses, except from an address it authenticated from', async () => {
    await build();
    expect((await signed(gw.key, PARTNER)).statusCode).toBe(200);
    for (let i = 1; i <= 10; i++)
      expect((await signed(gw.key, `198.51.100.${i}`, true)).statusCode).toBe(401);
    expect(code(await signed(gw.key, '198.51.100.200', true))).toBe('auth_throttled');
    // Even with the right secret, a new address waits: the key id is under attack.
    expect(code(await signed(gw.key, '198.51.100.201'))).toBe('auth_throttled');
    // The key's own caller, from where it last succeeded, is unaffected.
    expect((await signed(gw.key, PARTNER)).statusCode).toBe(200);
  });

  it('the throttle expires at the end of its window', async () => {
    await build();
    for (let i = 0; i < 20; i++) await signed(gw.key, ATTACKER, true);
    const throttled = await signed(gw.key, ATTACKER);
    expect(code(throttled)).toBe('auth_throttled');
    clock += Number(throttled.headers['retry-after']) * 1000 - 1;
    expect(code(await signed(gw.key, ATTACKER))).toBe('auth_throttled');
    clock += 1;
    expect((await signed(gw.key, ATTACKER)).statusCode).toBe(200);
    expect(code(await signed(gw.key, ATTACKER, true))).toBe('auth_bad_signature');
  });

  it('throttles failed logins per address and per username before hashing, the same for existing and unknown usernames', async () => {
    await build();
    const perUser = async (username: string) => {
      const out: Array<string | undefined> = [];
      for (let i = 0; i < 12; i++)
        out.push(code(await login(username, `Wrong&Guess-${i}000`, `192.0.2.${i + 1}`)));
      return out;
    };
    const expected = [...Array(10).fill('invalid_credentials'), 'auth_throttled', 'auth_throttled'];
    expect(await perUser('kim.lee')).toEqual(expected);
    expect(await perUser('no.such.person')).toEqual(expected);
    expect(loginCalls).toBe(20);

    const sprayed: Array<string | undefined> = [];
    for (let i = 0; i < 25; i++) sprayed.push(code(await login(`user${i}`, 'Spray&Pray-1234', ATTACKER)));
    expect(sprayed).toEqual([...Array(20).fill('invalid_credentials'), ...Array(5).fill('auth_throttled')]);
    expect(loginCalls).toBe(40);

    const audit = await closeAndReadAudit();
    // The per-account rows stay (they tell an administrator about a lockout); the per-call rows go.
    expect(audit.filter((a) => a.action === 'api.call')).toEqual([]);
    const failed = audit.filter((a) => a.action === 'auth.failed');
    const sum = (field: string) => failed.reduce((n, a) => n + (a.detail[field] as number), 0);
    expect([sum('failures'), sum('refused')]).toEqual([40, 9]);
    // One row per (address, username) that failed, one per address whose attempts were refused.
    expect(failed).toHaveLength(10 + 10 + 20 + 2 + 1);
    expect(JSON.stringify(failed)).not.toMatch(/kim\.lee|no\.such\.person|Wrong&Guess|Spray/);
  });

  it('logs a failure spike once per window, masked, and audits it as auth.failure_spike', async () => {
    await build({ spikeThreshold: 5 });
    for (let i = 0; i < 12; i++) await signed(gw.key, ATTACKER, true);
    const spikes = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'auth failure spike');
    expect(spikes).toHaveLength(2);
    expect(spikes.map((s) => [s.kind, s.subject, s.count, s.level])).toEqual([
      ['address', '198.51.100.0/24', 5, 40],
      ['credential', `key:${gw.key.keyId.slice(0, 7)}…`, 5, 40],
    ]);
    const text = logLines.join('\n');
    expect(text).not.toContain(ATTACKER);
    expect(text).not.toContain(gw.key.keyId);
    const audit = await closeAndReadAudit();
    expect(audit.filter((a) => a.action === 'auth.failure_spike').map((a) => a.detail)).toEqual([
      { kind: 'credential', count: 5, windowS: 300, threshold: 5 },
      { kind: 'address', count: 5, windowS: 300, threshold: 5 },
    ]);
  });

  it('writes one auth.failed row per address, credential and window, the next window in a row of its own', async () => {
    await build();
    const stranger: CreatedKey = { keyId: 'wk_stranger0000', secret: 'x' } as CreatedKey;
    for (let i = 0; i < 3; i++) await signed(stranger, ATTACKER);
    clock += WINDOW_MS;
    for (let i = 0; i < 2; i++) await signed(stranger, ATTACKER);
    const audit = await closeAndReadAudit();
    const failed = audit.filter((a) => a.action === 'auth.failed').map((a) => a.detail.failures);
    expect(failed.sort()).toEqual([2, 3]);
  });
});
