import { PassThrough, Readable } from 'node:stream';
import { runCli } from './helpers/cli.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPassword, registerUserCommands } from '../src/cli/users.js';
import { listAudit } from '../src/store/audit.js';
import { findUserByUsername } from '../src/store/users.js';
import { freshStore, type TestStore } from './helpers/stores.js';

// Obviously fake credentials.
const PASSWORD = 'Tangerine#K42-violin';

describe('waygate user (CLI)', () => {
  let store: TestStore;
  beforeEach(async () => {
    store = await freshStore('sqlite');
  });
  afterEach(async () => {
    process.exitCode = undefined;
    await store.destroy();
  });

  /** Runs `waygate user …` with `stdin` piped in and returns what it printed. */
  function cli(args: string[], stdin = ''): Promise<{ out: string; err: string }> {
    return runCli(
      (p) => registerUserCommands(p, { stdin: Readable.from([stdin]) }),
      ['user', ...args, '--db', store.url],
    );
  }

  it('reads the first line of piped input as the password', async () => {
    expect(await readPassword('password: ', Readable.from([`${PASSWORD}\r\nignored\n`]))).toBe(PASSWORD);
    expect(await readPassword('password: ', Readable.from([PASSWORD]))).toBe(PASSWORD);
  });

  it('reads from a terminal in raw mode without echo, keeping what was typed ahead', async () => {
    const raw: boolean[] = [];
    const tty = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (on: boolean) => raw.push(on) });
    let shown = '';
    const screen = new PassThrough().on('data', (c: Buffer) => (shown += c.toString('utf8')));
    const first = readPassword('password: ', tty, screen);
    tty.write('Tangerine#K42-violinx\u007f\rsecond-one\r');
    expect(await first).toBe(PASSWORD);
    expect(await readPassword('again: ', tty, screen)).toBe('second-one');
    expect(shown).toBe('password: \nagain: \n');
    expect(raw).toEqual([true, false, true, false]);
  });

  it('adds a user from a piped password, lists, resets, unlocks and reviews', async () => {
    const added = await cli(['add', '--username', 'Kim.Lee', '--role', 'logistics_ops'], `${PASSWORD}\n`);
    expect(added.out).toBe('created kim.lee (logistics_ops)\n');
    expect(added.out + added.err).not.toContain(PASSWORD);
    expect((await findUserByUsername(store.db, 'kim.lee'))?.role).toBe('logistics_ops');

    const table = (await cli(['list'])).out;
    expect(table).toMatch(/^USERNAME\s+ROLE\s+STATUS/);
    expect(table).toMatch(/kim\.lee\s+logistics_ops\s+active\s+no\s+no\s+-/);

    const reset = JSON.parse((await cli(['reset', '--username', 'kim.lee', '--json'])).out) as {
      token: string;
    };
    expect(reset.token).toMatch(/^wgr_/);
    expect((await cli(['unlock', '--username', 'kim.lee'])).out).toBe('unlocked kim.lee\n');
    expect((await cli(['review', '--dry-run'])).out).toContain(
      'no active account is inactive for more than 90 days',
    );

    const audit = await listAudit(store.db, { limit: 20 });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['user.created', 'user.reset_requested', 'user.unlocked', 'user.review']),
    );
    expect(audit.every((a) => a.actor.startsWith('cli:'))).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(reset.token);
  });

  it('refuses a weak password with every reason and exit code 1', async () => {
    const weak = await cli(['add', '--username', 'kim.lee', '--role', 'viewer'], 'Password123!!\n');
    expect(weak.err).toContain('password_rejected');
    expect(weak.err).toContain('/password is a common password');
    expect(process.exitCode).toBe(1);
    expect(await findUserByUsername(store.db, 'kim.lee')).toBeUndefined();
  });

  it('shows and chooses the password policy preset', async () => {
    expect((await cli(['policy'])).out).toContain('password policy waygate-default: at least 13 characters');
    expect((await cli(['policy', '--preset', 'nist-800-63b-4'])).out).toContain(
      'password policy nist-800-63b-4: at least 15 characters, not a common password',
    );
    expect((await cli(['policy'])).out).toContain('nist-800-63b-4');
    const bad = await cli(['policy', '--preset', 'lenient']);
    expect(bad.err).toContain('invalid_policy_preset');
    expect(process.exitCode).toBe(1);
  });
});
