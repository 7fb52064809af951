/**
 * Privilege escalation through the CLI (issue 16, defect 2). The local operator holds the
 * database and the master key and grants as an administrator; `--as USERNAME` grants only what
 * that account holds, by the same rule as the API.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerApiKeyCommands } from '../src/cli/apikeys.js';
import { registerUserCommands } from '../src/cli/users.js';
import { AccountService } from '../src/security/accounts.js';
import { operatorGrantor } from '../src/security/grants.js';
import { PERMISSIONS, permissionsOfRole, type Role } from '../src/security/permissions.js';
import { keyFileFor, loadMasterKey, secretBoxFromKey } from '../src/security/secret-box.js';
import { createApiKey, listApiKeys } from '../src/store/api-keys.js';
import { listAudit } from '../src/store/audit.js';
import { findUserByUsername } from '../src/store/users.js';
import { runCli } from './helpers/cli.js';
import { freshStore, type TestStore } from './helpers/stores.js';

// Obviously fake credentials.
const PASSWORD = 'Tangerine#K42-violin';

describe('privilege escalation through the CLI', () => {
  let store: TestStore;
  let accounts: AccountService;
  let serial = 0;

  beforeAll(async () => {
    store = await freshStore('sqlite');
    accounts = new AccountService({ store, box: secretBoxFromKey(loadMasterKey(keyFileFor(store.url))) });
    const operator = operatorGrantor('cli:test');
    await accounts.addUser(operator, { username: 'root.admin', role: 'admin', password: PASSWORD });
    await accounts.addUser(operator, { username: 'sec.officer', role: 'security', password: PASSWORD });
    await accounts.addUser(operator, { username: 'sec.frozen', role: 'security', password: PASSWORD });
    await accounts.setStatus(operator, 'sec.frozen', 'frozen');
  });
  afterEach(() => {
    process.exitCode = undefined;
  });
  afterAll(async () => {
    await store.destroy();
  });

  const cli = (args: string[], stdin = '') =>
    runCli(
      (p: Command) => {
        registerApiKeyCommands(p);
        registerUserCommands(p, { stdin: Readable.from([stdin]) });
      },
      [...args, '--db', store.url],
    );
  const keyCount = async () => (await listApiKeys(store.db)).length;

  it('privilege escalation: apikey create --as a security officer cannot mint pii:read, dsr:erase or orders:write', async () => {
    const before = await keyCount();
    const res = await cli([
      'apikey',
      'create',
      '--name',
      'grab',
      '--scopes',
      'pii:read,dsr:erase,orders:write',
      '--as',
      'sec.officer',
    ]);
    expect(process.exitCode).toBe(1);
    expect(res.err.split('\n')[0]).toMatch(/^waygate: grant_exceeds_grantor: .*pii:read/);
    expect(await keyCount()).toBe(before);
    const refused = (await listAudit(store.db, { limit: 20 })).find(
      (a) => a.action === 'apikey.created' && a.outcome === 'rejected',
    );
    expect(refused?.actor).toMatch(/^cli:.+ as usr_/);
  });

  it('privilege escalation: user add and set-role --as a security officer cannot make an admin', async () => {
    const add = await cli(
      ['user', 'add', '--username', 'mallory', '--role', 'admin', '--as', 'sec.officer'],
      `${PASSWORD}\n`,
    );
    expect(process.exitCode).toBe(1);
    expect(add.err).toContain('grant_exceeds_grantor');
    expect(await findUserByUsername(store.db, 'mallory')).toBeUndefined();
    process.exitCode = undefined;
    await cli(['user', 'set-role', '--username', 'sec.frozen', '--role', 'admin', '--as', 'sec.officer']);
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;
    await cli(['user', 'set-role', '--username', 'root.admin', '--role', 'viewer', '--as', 'sec.officer']);
    expect(process.exitCode).toBe(1);
    expect((await findUserByUsername(store.db, 'root.admin'))?.role).toBe('admin');
    process.exitCode = undefined;
    const reset = await cli(['user', 'reset', '--username', 'root.admin', '--as', 'sec.officer', '--json']);
    expect(reset.out).toContain('"grant_exceeds_grantor"');
    expect(reset.out).not.toContain('wgr_');
  });

  it('privilege escalation: apikey rotate --as a security officer cannot take over a key holding pii:read', async () => {
    const wide = await createApiKey(store.db, secretBoxFromKey(loadMasterKey(keyFileFor(store.url))), {
      name: 'wide',
      scopes: ['orders:read', 'pii:read'],
    });
    const res = await cli(['apikey', 'rotate', '--key', wide.keyId, '--as', 'sec.officer', '--json']);
    expect(res.out).toContain('"grant_exceeds_grantor"');
    expect(res.out).not.toContain('secret');
    expect((await listApiKeys(store.db)).find((k) => k.keyId === wide.keyId)?.rotatedAt).toBeNull();
    process.exitCode = undefined;
    // The local operator is an administrator: it may rotate any key.
    const rotated = await cli(['apikey', 'rotate', '--key', wide.keyId, '--json']);
    expect(JSON.parse(rotated.out)).toMatchObject({ keyId: wide.keyId });
  });

  it('refuses --as for an unknown or frozen account', async () => {
    const unknown = await cli([
      'apikey',
      'create',
      '--name',
      'x',
      '--scopes',
      'audit:read',
      '--as',
      'no.one',
    ]);
    expect(unknown.err).toContain('user_not_found');
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;
    const frozen = await cli([
      'apikey',
      'create',
      '--name',
      'x',
      '--scopes',
      'audit:read',
      '--as',
      'sec.frozen',
    ]);
    expect(frozen.err).toContain('account_frozen');
    expect(process.exitCode).toBe(1);
  });

  it('the local operator grants as an administrator, audited under its OS user', async () => {
    const res = await cli(
      ['user', 'add', '--username', 'second.admin', '--role', 'admin', '--json'],
      `${PASSWORD}\n`,
    );
    expect(JSON.parse(res.out)).toMatchObject({ username: 'second.admin', role: 'admin' });
    const created = (await listAudit(store.db, { limit: 5 })).find((a) => a.action === 'user.created');
    expect(created?.actor).toMatch(/^cli:[^ ]+$/);
  });

  it('apikey create --as ROLE succeeds iff the scopes are within the role', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Role>('admin', 'security'),
        fc.subarray([...PERMISSIONS], { minLength: 1, maxLength: 4 }),
        async (role, scopes) => {
          const as = role === 'admin' ? 'root.admin' : 'sec.officer';
          const before = await keyCount();
          await cli(['apikey', 'create', '--name', `k${++serial}`, '--scopes', scopes.join(','), '--as', as]);
          const allowed = scopes.every((s) => permissionsOfRole(role).has(s));
          expect(process.exitCode).toBe(allowed ? undefined : 1);
          expect(await keyCount()).toBe(before + (allowed ? 1 : 0));
          process.exitCode = undefined;
        },
      ),
      { numRuns: 25 },
    );
  });
});
