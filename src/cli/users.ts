/**
 * `waygate user …`: people's accounts from the command line [004-8] [004-9]. Passwords are read
 * from standard input, never from arguments (which other users see in `ps` and shell history):
 * typed without echo on a terminal, or the first line of a pipe (`printf 'pw\n' | waygate user add …`).
 */
import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError, type Command } from 'commander';
import {
  AccountService,
  DEFAULT_INACTIVE_DAYS,
  type ReviewResult,
  type UserView,
} from '../security/accounts.js';
import { PASSWORD_POLICIES, POLICY_PRESETS, type PasswordPolicy } from '../security/password-policy.js';
import { ROLES } from '../security/permissions.js';
import { keyFileFor, loadMasterKey, secretBoxFromKey } from '../security/secret-box.js';
import type { UserStatus } from '../store/users-schema.js';
import type { Store } from '../store/db.js';
import { cliActor, dbOption, formatTable, withStore, type CommonOptions } from './dlq.js';
import { asOption, cliGrantor } from './grantor.js';

type TtyInput = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/** Reads one line without echo from a terminal, or the first line of piped input. */
export async function readPassword(
  prompt: string,
  input: TtyInput = process.stdin,
  output: Writable = process.stderr,
): Promise<string> {
  if (!input.isTTY || !input.setRawMode) {
    let text = '';
    for await (const chunk of input) {
      text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
      if (text.includes('\n')) break;
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  const setRaw = input.setRawMode.bind(input);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = () => {
      input.off('data', onData);
      setRaw(false);
      input.pause();
      output.write('\n');
    };
    const onData = (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      for (const [i, ch] of [...text].entries()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          // Typed ahead (the second entry before the second prompt): kept for the next read.
          const rest = [...text]
            .slice(i + 1)
            .join('')
            .replace(/^\n/, '');
          if (rest) typedAhead.set(input, rest);
          finish();
          resolve(typed);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new Error('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    output.write(prompt);
    setRaw(true);
    input.resume();
    input.on('data', onData);
    const ahead = typedAhead.get(input);
    if (ahead) {
      typedAhead.delete(input);
      onData(ahead);
    }
  });
}

const typedAhead = new WeakMap<Readable, string>();

/** On a terminal the password is typed twice; a pipe gives it once. */
async function newPasswordFromStdin(input: TtyInput = process.stdin): Promise<string> {
  const first = await readPassword('password: ', input);
  if (input.isTTY) {
    const again = await readPassword('password again: ', input);
    if (again !== first) throw new Error('the two passwords differ');
  }
  if (first.length === 0) throw new Error('no password on standard input');
  return first;
}

function accountsFor(store: Store, db: string): AccountService {
  return new AccountService({ store, box: secretBoxFromKey(loadMasterKey(keyFileFor(db))) });
}

function role(value: string): string {
  if (!(ROLES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`role must be one of ${ROLES.join(', ')}`);
  return value;
}

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3650) throw new InvalidArgumentError('days must be 1 to 3650');
  return n;
}

const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');

export function formatUsers(users: readonly UserView[]): string {
  if (users.length === 0) return 'no accounts yet: waygate user add --username NAME --role ROLE';
  return formatTable(
    ['USERNAME', 'ROLE', 'STATUS', 'LOCKED', 'TOTP', 'LAST LOGIN', 'PASSWORD EXPIRES'],
    users.map((u) => [
      u.username,
      u.role,
      u.status,
      u.locked ? `until ${when(u.lockedUntil)}` : 'no',
      u.totpEnabled ? 'yes' : 'no',
      when(u.lastLoginAt),
      u.passwordExpiresAt ? when(u.passwordExpiresAt) : 'never',
    ]),
  );
}

function formatReview(r: ReviewResult): string {
  const verb = r.dryRun ? 'would freeze' : 'froze';
  if (r.accounts.length === 0) return `no active account is inactive for more than ${r.inactiveDays} days`;
  return [
    `${verb} ${r.accounts.length} account(s) inactive for more than ${r.inactiveDays} days:`,
    formatTable(
      ['USERNAME', 'ROLE', 'LAST LOGIN', 'INACTIVE DAYS'],
      r.accounts.map((a) => [a.username, a.role, when(a.lastLoginAt), String(a.inactiveDays)]),
    ),
  ].join('\n');
}

function formatPolicy(p: PasswordPolicy): string {
  const rules = [
    `at least ${p.minLength} characters`,
    ...(p.requireUpper ? ['an upper-case letter'] : []),
    ...(p.requireLower ? ['a lower-case letter'] : []),
    ...(p.requireDigit ? ['a digit'] : []),
    ...(p.requireSpecial ? ['a special character'] : []),
    'not a common password, not containing the username',
  ];
  const rotation = p.maxAgeDays === null ? 'no forced rotation' : `changed every ${p.maxAgeDays} days`;
  return `password policy ${p.preset}: ${rules.join(', ')}; ${rotation}`;
}

type GrantOptions = CommonOptions & { as?: string };

export interface UserCommandOptions {
  /** Where `user add` reads the password (tests pass a stream). */
  stdin?: TtyInput;
}

export function registerUserCommands(program: Command, opts: UserCommandOptions = {}): void {
  const user = program
    .command('user')
    .description('people’s accounts: add, list, review, reset, unlock, policy');

  user
    .command('add')
    .description('create an account; the password is read from standard input')
    .requiredOption('--username <name>', 'login name (3-64 of a-z, 0-9, ".", "_", "-")')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, role)
    .addOption(asOption())
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (o: GrantOptions & { username: string; role: string }) => {
      const password = await newPasswordFromStdin(opts.stdin);
      await withStore(o, async (store) => {
        const u = await accountsFor(store, o.db).addUser(await cliGrantor(store, o.db, o.as), {
          username: o.username,
          role: o.role,
          password,
        });
        return o.json ? u : `created ${u.username} (${u.role})`;
      });
    });

  user
    .command('list')
    .description('list accounts (never hashes or secrets)')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions) =>
      withStore(o, async (store) => {
        const users = await accountsFor(store, o.db).listUsers();
        return o.json ? users : formatUsers(users);
      }),
    );

  user
    .command('review')
    .description('quarterly review: freeze accounts inactive for more than N days')
    .option('--inactive-days <n>', 'days without a login', days, DEFAULT_INACTIVE_DAYS)
    .option('--dry-run', 'only list them')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { inactiveDays: number; dryRun?: boolean }) =>
      withStore(o, async (store) => {
        const r = await accountsFor(store, o.db).reviewAccounts({
          inactiveDays: o.inactiveDays,
          dryRun: o.dryRun === true,
          actor: cliActor(),
        });
        return o.json ? r : formatReview(r);
      }),
    );

  user
    .command('reset')
    .description('issue a one-time password reset token (valid 30 minutes)')
    .requiredOption('--username <name>', 'whose password')
    .addOption(asOption())
    .addOption(dbOption())
    .option('--json', 'print {"token","expiresAt"}')
    .action((o: GrantOptions & { username: string }) =>
      withStore(o, async (store) => {
        const grantor = await cliGrantor(store, o.db, o.as);
        const r = await accountsFor(store, o.db).requestReset(grantor, o.username);
        const expiresAt = new Date(r.expiresAt).toISOString();
        if (o.json) return { token: r.token, expiresAt };
        return [
          `reset token: ${r.token}`,
          `valid once, until ${expiresAt}`,
          'hand it to the person out of band; they set a new password with POST /v1/auth/reset',
        ].join('\n');
      }),
    );

  user
    .command('unlock')
    .description('lift a failed-login lockout')
    .requiredOption('--username <name>', 'whose account')
    .addOption(asOption())
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: GrantOptions & { username: string }) =>
      withStore(o, async (store) => {
        const u = await accountsFor(store, o.db).unlock(await cliGrantor(store, o.db, o.as), o.username);
        return o.json ? u : `unlocked ${u.username}`;
      }),
    );

  const statusCommand = (name: string, description: string, status: UserStatus, done: string) =>
    user
      .command(name)
      .description(description)
      .requiredOption('--username <name>', 'whose account')
      .addOption(asOption())
      .addOption(dbOption())
      .option('--json', 'print JSON')
      .action((o: GrantOptions & { username: string }) =>
        withStore(o, async (store) => {
          const grantor = await cliGrantor(store, o.db, o.as);
          const u = await accountsFor(store, o.db).setStatus(grantor, o.username, status);
          return o.json ? u : `${done} ${u.username}`;
        }),
      );
  statusCommand('freeze', 'freeze an account (reversible); its sessions end', 'frozen', 'froze');
  statusCommand('unfreeze', 'unfreeze an account; inactivity is counted afresh', 'active', 'unfroze');
  statusCommand('disable', 'disable the account of a leaver; its sessions end', 'disabled', 'disabled');

  user
    .command('set-role')
    .description('change an account’s role')
    .requiredOption('--username <name>', 'whose account')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, role)
    .addOption(asOption())
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: GrantOptions & { username: string; role: string }) =>
      withStore(o, async (store) => {
        const grantor = await cliGrantor(store, o.db, o.as);
        const u = await accountsFor(store, o.db).setRole(grantor, o.username, o.role);
        return o.json ? u : `${u.username} is now ${u.role}`;
      }),
    );

  user
    .command('totp-remove')
    .description('remove an account’s second factor (a lost phone)')
    .requiredOption('--username <name>', 'whose account')
    .addOption(asOption())
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: GrantOptions & { username: string }) =>
      withStore(o, async (store) => {
        const grantor = await cliGrantor(store, o.db, o.as);
        const u = await accountsFor(store, o.db).removeTotp(grantor, o.username);
        return o.json ? u : `removed the second factor of ${u.username}`;
      }),
    );

  user
    .command('policy')
    .description('show the password policy, or choose another preset')
    .option('--preset <name>', `one of ${POLICY_PRESETS.join(', ')}`)
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { preset?: string }) =>
      withStore(o, async (store) => {
        const accounts = accountsFor(store, o.db);
        const p = o.preset ? await accounts.setPolicy(cliActor(), o.preset) : await accounts.policy();
        return o.json ? PASSWORD_POLICIES[p.preset] : formatPolicy(p);
      }),
    );
}
