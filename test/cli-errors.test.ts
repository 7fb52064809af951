/**
 * First contact with the CLI: every wrong argument a new user can type ends in one line on stderr
 * saying what was wrong and what to do, a non-zero exit, and no process left behind. Runs the
 * built CLI (`npm run build` first, as `npm test` does) as a subprocess in an empty folder.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from './helpers/cli.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let cwd: string;
let taken: Server;
let takenPort: number;
let closedPort: number;

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'waygate-cli-errors-'));
  writeFileSync(join(cwd, 'junk.pem'), 'not a certificate\n');
  writeFileSync(join(cwd, 'bad.yaml'), 'partners: {unclosed\n');
  taken = await listen();
  takenPort = portOf(taken);
  // A port nothing listens on: bound, then released.
  const probe = await listen();
  closedPort = portOf(probe);
  await new Promise((r) => probe.close(r));
});

afterAll(async () => {
  await new Promise((r) => taken.close(r));
  rmSync(cwd, { recursive: true, force: true });
});

const cli = (args: readonly string[], stdin?: string) =>
  runBin(args, {
    cwd,
    env: { WAYGATE_AUDIT_DIR: join(cwd, 'audit'), WAYGATE_LOG_LEVEL: 'silent' },
    killAfterMs: 50_000,
    ...(stdin !== undefined ? { stdin } : {}),
  });

/** `{db}`, `{taken}` (a port in use) and `{closed}` (a port nobody answers on) are filled in when run. */
type Case = [args: string[], stderr: RegExp];

const fill = (args: readonly string[]) =>
  args.map((a) =>
    a.replace('{db}', db()).replace('{taken}', String(takenPort)).replace('{closed}', String(closedPort)),
  );

const db = () => `sqlite:${join(cwd, 'store', 'waygate.db')}`;

/** Each command's wrong-argument cases and what the user must read. */
const CASES: Record<string, Case[]> = {
  top: [
    [['serv'], /unknown command 'serv' \(Did you mean serve\?\); see 'waygate help'/],
    [['sandbx'], /Did you mean sandbox\?/],
    [['frobnicate'], /unknown command 'frobnicate'; see 'waygate help'/],
    [['--bogus'], /unknown option '--bogus'/],
  ],
  serve: [
    [['serve'], /--config FILE, --sandbox .*--sandbox-url URL; see 'waygate help serve'/],
    [
      ['serve', '--sandbox', '--sandbox-url', 'http://127.0.0.1:9'],
      /--sandbox or --sandbox-url URL, not both/,
    ],
    // Used to hang for ever with the sandbox listening.
    [['serve', '--sandbox', '--tls-cert', 'junk.pem'], /--tls-cert needs --tls-key FILE/],
    [['serve', '--config', 'bad.yaml', '--tls-key', 'junk.pem'], /--tls-key needs --tls-cert FILE/],
    [
      ['serve', '--sandbox', '--tls-cert', 'junk.pem', '--tls-key', 'junk.pem'],
      /--tls-cert junk.pem is not a PEM certificate/,
    ],
    [['serve', '--sandbox', '--tls-cert', 'nope.pem', '--tls-key', 'x'], /--tls-cert nope.pem: no such file/],
    [['serve', '--config', 'missing.yaml'], /--config missing.yaml: no such file/],
    [['serve', '--port', '70000', '--sandbox'], /port must be an integer from 0 to 65535/],
    [['serve', '--sandbox-url', 'sandbox.local'], /--sandbox-url sandbox.local is not an http\(s\) URL/],
    [['serve', '--sandbox-url', 'http://127.0.0.1:{closed}'], /ECONNREFUSED.*is it running\?/],
    // Fail after the sandbox (and the store) started: what was started is closed again.
    [['serve', '--sandbox', '--config', 'bad.yaml', '--db', '{db}'], /bad\.yaml:\d+/],
    [['serve', '--sandbox', '--port', '{taken}', '--db', '{db}'], /EADDRINUSE.*choose another with --port/],
  ],
  sandbox: [
    [['sandbox', '--port', 'abc'], /port must be an integer/],
    [['sandbox', '--port', '{taken}'], /EADDRINUSE.*choose another with --port/],
  ],
  demo: [
    [['demo', '--orders', '0'], /orders must be an integer from 1/],
    [['demo', '--timeout', 'soon'], /timeout must be an integer/],
  ],
  config: [
    [['config', 'check'], /missing required argument 'file'; see 'waygate help config check'/],
    [['config', 'check', 'missing.yaml'], /missing\.yaml: cannot read/],
    [['config', 'lint'], /unknown command 'lint'/],
  ],
  migrate: [[['migrate', '--db', 'mysql://x'], /unsupported database URL mysql:\/\/x/]],
  schemas: [[['schemas', '--bogus'], /unknown option '--bogus'/]],
  dlq: [
    [['dlq', 'replay', 'ID', '--edit', '{bad'], /the edit is not valid JSON/],
    [['dlq', 'replay', 'ID', '--edit', '{}', '--edit-file', 'x'], /--edit or --edit-file, not both/],
    [['dlq', 'replay'], /missing required argument 'id'; see 'waygate help dlq replay'/],
    [['dlq', 'show'], /missing required argument 'id'/],
    [['dlq', 'list', '--limit', '0'], /limit must be 1 to 1000/],
    [['dlq', 'discard', 'ID'], /required option '--reason <text>' not specified/],
  ],
  apikey: [
    [['apikey', 'create', '--scopes', 'orders:read'], /required option '--name <name>'/],
    [['apikey', 'create', '--name', 'a', '--scopes', 'orders:wrte'], /orders:wrte is not a known scope/],
    [['apikey', 'create', '--name', 'a', '--scopes', 'orders:read', '--expires', 'tomorrow'], /ISO date/],
    [['apikey', 'rotate', '--key', 'k', '--overlap', 'soon'], /duration like 24h/],
    [['apikey', 'revoke'], /required option '--key <keyId>'/],
  ],
  keys: [[['keys', 'rotate', '--bogus'], /unknown option '--bogus'/]],
  dsr: [
    [['dsr', 'export'], /give --email ADDRESS and\/or --phone NUMBER/],
    [['dsr', 'erase'], /give --email ADDRESS and\/or --phone NUMBER/],
  ],
  files: [
    [['files', 'import-orders', 'orders.txt', '--source', 's'], /orders\.txt: .*give --format csv\|xlsx/],
    [['files', 'import-orders', 'x.csv'], /required option '--source <id>'/],
    [
      ['files', 'import-tracking', 'x.csv', '--carrier', 'c', '--format', 'pdf'],
      /Allowed choices are csv, xlsx/,
    ],
    [['files', 'export-orders', '--out', 'orders.doc'], /orders\.doc: .*give --format csv\|xlsx/],
    [['files', 'carrier-manifest', '--out', 'm.csv'], /required option '--carrier <id>'/],
  ],
  audit: [
    [['audit', 'export'], /required option '--out <file>'/],
    [['audit', 'prune', '--older-than-days', 'x'], /days must be a whole number/],
    [['audit', 'export', '--out', 'x.jsonl', '--from', 'yesterday'], /date such as 2025-01-31/],
  ],
  user: [
    [['user', 'add', '--username', 'u', '--role', 'king'], /role must be one of admin, /],
    [['user', 'add', '--username', 'ann', '--role', 'viewer'], /no password on standard input/],
    [['user', 'review', '--inactive-days', '0'], /days must be 1 to 3650/],
    [['user', 'reset'], /required option '--username <name>'/],
  ],
  certs: [
    [['certs', 'create', '--subject', 'CN=x'], /required option '--name <name>'/],
    [['certs', 'create', '--name', 'n', '--subject', 'CN=x', '--alg', 'dsa'], /alg must be one of rsa-2048/],
    [['certs', 'show'], /give --name NAME or --partner ID/],
    [['certs', 'revoke', '--reason', 'r'], /give --name NAME or --id ID/],
  ],
  bench: [[['bench', '--orders', '0'], /orders must be an integer from 1/]],
};

describe('every CLI mistake is printed as one line and exits', () => {
  for (const [command, cases] of Object.entries(CASES)) {
    describe(command, () => {
      for (const [args, expected] of cases) {
        it(`waygate ${args.join(' ')}`, async () => {
          const r = await cli(fill(args));
          expect(r.killed, `still running: ${r.stderr}`).toBe(false);
          expect(r.code, r.stderr).not.toBe(0);
          expect(r.code).not.toBeNull();
          const first = r.stderr.split('\n')[0] ?? '';
          // `config check` speaks as `file:line: field message`, the shape editors jump to.
          expect(first).toMatch(
            args[0] === 'config' && args[1] === 'check'
              ? /^(waygate( [a-z-]+)*|[^\s:]+(:\d+)?): \S/
              : /^waygate( [a-z-]+)*: \S/,
          );
          expect(first).toMatch(expected);
          // One line — the YAML parser's own excerpt of a broken file is the only extra.
          if (!args.includes('bad.yaml')) expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        });
      }
    });
  }

  it('creates no database in the folder it was run from', () => {
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });
});

describe('version and help', () => {
  it.each([['--version'], ['-V']])('waygate %s prints the package version', async (flag) => {
    const r = await cli([flag]);
    expect(r).toMatchObject({ code: 0, killed: false, stderr: '' });
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('waygate help <command> prints that command’s help', async () => {
    const r = await cli(['help', 'serve']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: waygate serve \[options\]/);
    expect(r.stdout).toContain('--tls-key <file>');
  });

  it('waygate help <command> <subcommand> reaches the subcommand', async () => {
    const r = await cli(['help', 'dlq', 'replay']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: waygate dlq replay \[options\] <id>/);
  });
});
