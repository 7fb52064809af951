/** The `waygate` command. */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CANONICAL_SCHEMAS } from '../domain/index.js';
import { createLogger } from '../hub/logger.js';
import { loadHubConfig } from '../hub/config.js';
import { fetchSandboxCredentials, SANDBOX_CONFIG_FILE, sandboxEnv } from '../hub/sandbox-config.js';
import { makeSandboxCredentials } from '../sandbox/credentials.js';
import { localFieldCipher } from '../security/field-cipher.js';
import { DEFAULT_DB_URL, describeDbUrl, migrate, openStore } from '../store/db.js';
import { registerDlqCommands } from './dlq.js';
import { registerApiKeyCommands } from './apikeys.js';
import { registerKeyCommands } from './keys.js';
import { registerPrivacyCommands } from './privacy.js';
import { registerFileCommands } from './files.js';
import { registerAuditCommands } from './audit.js';
import { registerUserCommands } from './users.js';
import { registerCertCommands } from './certs.js';
import { registerBenchCommand } from './bench.js';
import { registerSettlementCommands } from './settlement.js';
import { registerOperationsCommands } from './operations.js';
import { registerPartnerCommands } from './partners.js';
import { registerNewCommands } from './new-connector.js';
import { registerProductCommands } from './products.js';
import { registerCustomsCommands } from './customs.js';
import { registerConnectorCommands } from './connectors.js';
import { registerLabelCommands } from './labels.js';
import { registerSnapshotCommands } from './snapshot.js';

function int(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

function untilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void close().finally(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const dbOption = () => new Option('--db <url>', 'store: sqlite:PATH or postgres://…').default(DEFAULT_DB_URL);

/** A file named by an option: read before anything starts, refused with the option's name. */
function readOptionFile(option: string, file: string): string {
  if (!existsSync(file)) throw new InvalidArgumentError(`${option} ${file}: no such file`);
  return readFileSync(file, 'utf8');
}

function readTls(certFile: string | undefined, keyFile: string | undefined) {
  if (!certFile) throw new InvalidArgumentError('--tls-key needs --tls-cert FILE as well (HTTPS takes both)');
  if (!keyFile) throw new InvalidArgumentError('--tls-cert needs --tls-key FILE as well (HTTPS takes both)');
  const cert = readOptionFile('--tls-cert', certFile);
  const key = readOptionFile('--tls-key', keyFile);
  try {
    new X509Certificate(cert);
  } catch {
    throw new InvalidArgumentError(`--tls-cert ${certFile} is not a PEM certificate`);
  }
  try {
    createPrivateKey(key);
  } catch {
    throw new InvalidArgumentError(`--tls-key ${keyFile} is not a PEM private key (unencrypted)`);
  }
  return { cert, key };
}

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function buildCli(): Command {
  const program = new Command('waygate')
    .description('Cross-border e-commerce logistics interface hub')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version')
    .exitOverride();

  program
    .command('serve')
    .description('run the hub: gateway, workers and partner connections')
    .option('--port <n>', 'port', int('port', 0, 65535), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(dbOption())
    .option('--config <file>', 'partner config (YAML)')
    .option('--sandbox', 'start the sandbox partners in-process and use the sandbox partner config')
    .option('--sandbox-url <url>', 'use the sandbox partner config against a sandbox already running at URL')
    .option('--concurrency <n>', 'jobs in flight per node', int('concurrency', 1, 1024))
    .option('--tls-cert <file>', 'serve HTTPS (TLS 1.2+) with this certificate (PEM)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--operations <file>', 'operations file: alert rules, notifications, delays, reports (watched)')
    .action(
      async (o: {
        operations?: string;
        tlsCert?: string;
        tlsKey?: string;
        port: number;
        host: string;
        db: string;
        config?: string;
        sandbox?: boolean;
        sandboxUrl?: string;
        concurrency?: number;
      }) => {
        // Every flag is checked before anything starts, so a mistake never leaves a server behind.
        if (o.sandbox && o.sandboxUrl)
          throw new InvalidArgumentError('give --sandbox or --sandbox-url URL, not both');
        if (!o.config && !o.sandbox && !o.sandboxUrl)
          throw new InvalidArgumentError(
            'say which partners to use: --config FILE, --sandbox (in-process sandbox) or --sandbox-url URL',
          );
        if (o.config && !existsSync(o.config))
          throw new InvalidArgumentError(`--config ${o.config}: no such file`);
        if (o.operations && !existsSync(o.operations))
          throw new InvalidArgumentError(`--operations ${o.operations}: no such file`);
        if (o.sandboxUrl && !/^https?:\/\/[^\s/]+/.test(o.sandboxUrl))
          throw new InvalidArgumentError(`--sandbox-url ${o.sandboxUrl} is not an http(s) URL`);
        const tls = o.tlsCert || o.tlsKey ? readTls(o.tlsCert, o.tlsKey) : undefined;
        const log = createLogger();
        // The server stack (Fastify and its plugins) is loaded only by the commands that serve.
        const [{ startSandbox }, { startHub }] = await Promise.all([
          import('../sandbox/server.js'),
          import('../hub/hub.js'),
        ]);
        const sandbox = o.sandbox ? await startSandbox({ port: 0 }) : undefined;
        let hub: Awaited<ReturnType<typeof startHub>>;
        try {
          // With a sandbox, the config file (the sandbox's own unless --config names another) has
          // its ${…} placeholders filled from the sandbox's URL and test keys.
          let env: NodeJS.ProcessEnv = process.env;
          if (sandbox) env = { ...env, ...sandboxEnv(sandbox.url, sandbox.credentials) };
          else if (o.sandboxUrl)
            env = { ...env, ...sandboxEnv(o.sandboxUrl, await fetchSandboxCredentials(o.sandboxUrl)) };
          const file = o.config ?? SANDBOX_CONFIG_FILE;
          const config = loadHubConfig(file, env);
          hub = await startHub({
            dbUrl: o.db,
            port: o.port,
            host: o.host,
            config,
            logger: log,
            watch: { file, env },
            ...(o.concurrency ? { concurrency: o.concurrency } : {}),
            ...(tls ? { tls } : {}),
            ...(o.operations ? { operations: { file: o.operations, env } } : {}),
          });
        } catch (err) {
          await sandbox?.close();
          throw err;
        }
        process.stdout.write(
          `waygate listening on ${hub.url} (store ${describeDbUrl(o.db)}${sandbox ? `, sandbox ${sandbox.url}` : ''})\n`,
        );
        await untilSignal(async () => {
          await hub.close();
          await sandbox?.close();
        });
      },
    );

  program
    .command('sandbox')
    .description('run the sandbox partners (shop, carrier-alpha, carrier-beta) for integration testing')
    .option('--port <n>', 'port', int('port', 0, 65535), 9090)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--step-ms <n>', 'milliseconds between tracking steps', int('step-ms', 1, 3_600_000), 250)
    .action(async (o: { port: number; host: string; stepMs: number }) => {
      const { startSandbox } = await import('../sandbox/server.js');
      const sandbox = await startSandbox({ port: o.port, host: o.host, stepMs: o.stepMs });
      process.stdout.write(`waygate sandbox listening on ${sandbox.url}\n`);
      await untilSignal(() => sandbox.close());
    });

  program
    .command('demo')
    .description('hub + sandbox: the shop pushes N orders, each is shipped and tracked until delivered')
    .option('--orders <n>', 'orders to push', int('orders', 1, 1_000_000), 200)
    .addOption(dbOption())
    .option('--json', 'print the summary as one JSON object')
    .option('--step-ms <n>', 'sandbox milliseconds between tracking steps', int('step-ms', 1, 60_000), 250)
    .option('--timeout <s>', 'give up after this many seconds', int('timeout', 1, 86_400), 600)
    .option('--report <dir>', 'write the run’s daily report (HTML + CSV, zh-CN + en) into this folder')
    .addOption(
      new Option(
        '--partners <set>',
        'invented: carrier-alpha/beta; real: 4PX, YunExpress, UPS, Cainiao in their own dialects',
      )
        .choices(['invented', 'real'])
        .default('invented'),
    )
    .action(
      async (o: {
        orders: number;
        db: string;
        json?: boolean;
        stepMs: number;
        timeout: number;
        partners: 'invented' | 'real';
        report?: string;
      }) => {
        const { formatSummary, runDemo } = await import('./demo.js');
        const summary = await runDemo({
          partners: o.partners,
          orders: o.orders,
          dbUrl: o.db,
          stepMs: o.stepMs,
          timeoutS: o.timeout,
          ...(o.report ? { reportDir: o.report } : {}),
        });
        if (o.json) {
          process.stdout.write(`${JSON.stringify(summary)}\n`);
        } else {
          process.stdout.write(`${formatSummary(summary, o.orders)}\n`);
        }
        const ok = summary.delivered === o.orders && summary.lost === 0 && summary.duplicates === 0;
        if (!ok && !o.json) process.stdout.write('NOT all orders were delivered exactly once\n');
        process.exitCode = ok ? 0 : 1;
      },
    );

  const configCmd = program.command('config').description('partner policy files');
  configCmd
    .command('check')
    .description(
      'validate a partner policy file offline; exit 0 when valid, 1 with file, line and field when not',
    )
    .argument('<file>', 'YAML file')
    .option('--sandbox', 'fill the sandbox placeholders (${SANDBOX_…}) with stand-in values')
    .action((file: string, o: { sandbox?: boolean }) => {
      const env = o.sandbox
        ? { ...process.env, ...sandboxEnv('http://127.0.0.1:9090', makeSandboxCredentials()) }
        : process.env;
      try {
        const config = loadHubConfig(file, env);
        process.stdout.write(`${file}: valid (${Object.keys(config.partners).length} partners)\n`);
      } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });

  program
    .command('migrate')
    .description('create or upgrade the store schema')
    .addOption(dbOption())
    .action(async (o: { db: string }) => {
      const store = await openStore(o.db, { migrate: false, cipher: localFieldCipher });
      try {
        const applied = await migrate(store);
        process.stdout.write(
          applied.length > 0 ? `applied ${applied.join(', ')}\n` : 'store is up to date\n',
        );
      } finally {
        await store.close();
      }
    });

  program
    .command('schemas')
    .description('write the canonical JSON schemas to a folder')
    .option('--out <dir>', 'folder', 'schemas')
    .action((o: { out: string }) => {
      mkdirSync(o.out, { recursive: true });
      for (const [name, schema] of Object.entries(CANONICAL_SCHEMAS)) {
        writeFileSync(
          join(o.out, `${name}.schema.json`),
          `${JSON.stringify({ $id: `https://waygate.dev/schemas/${name}.json`, title: name, ...schema }, null, 2)}\n`,
        );
      }
      process.stdout.write(`wrote ${Object.keys(CANONICAL_SCHEMAS).length} schemas to ${o.out}\n`);
    });

  registerDlqCommands(program);
  registerConnectorCommands(program);
  registerSnapshotCommands(program);
  registerApiKeyCommands(program);
  registerKeyCommands(program);
  registerPrivacyCommands(program);
  registerFileCommands(program);
  registerAuditCommands(program);
  registerUserCommands(program);
  registerCertCommands(program);
  registerBenchCommand(program);
  registerSettlementCommands(program);
  registerOperationsCommands(program);
  registerPartnerCommands(program);
  registerNewCommands(program);
  registerProductCommands(program);
  registerCustomsCommands(program);
  registerLabelCommands(program);
  return program;
}

const HELP_CODES = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version']);

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function forEachCommand(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) forEachCommand(sub, fn);
}

/** Where to look next: the command's own help, or the list of commands at the top. */
function helpHint(cmd: Command): string {
  return cmd.parent ? `see 'waygate help ${commandPath(cmd).replace(/^\S+ /, '')}'` : "see 'waygate help'";
}

/** What the operating system said, in the words of someone who has to act on it. */
function describeFailure(err: unknown): { message: string; usage: boolean } {
  if (err instanceof CommanderError) return { message: err.message.replace(/^error: /, ''), usage: true };
  const e = err as NodeJS.ErrnoException & { code?: unknown };
  const message = err instanceof Error ? err.message : String(err);
  if (e?.code === 'EADDRINUSE')
    return {
      message: `${message}: another program uses that port; choose another with --port`,
      usage: false,
    };
  if (e?.code === 'EACCES' && typeof e.syscall === 'string' && e.syscall === 'listen')
    return {
      message: `${message}: not allowed to listen there; choose a port above 1023 with --port`,
      usage: false,
    };
  if (e?.code === 'ECONNREFUSED')
    return { message: `${message}: nothing answers there; is it running?`, usage: false };
  if (typeof e?.code === 'string' && /^[a-z][a-z0-9_]*$/.test(e.code))
    return { message: `${e.code}: ${message}`, usage: false };
  return { message, usage: false };
}

/**
 * Runs the CLI. Every failure ends as one line on stderr — what was wrong and what to do — and
 * a non-zero exit code; commander's own messages are folded into the same one-line shape.
 */
export async function main(argv: string[]): Promise<void> {
  const program = buildCli();
  // `waygate help dlq replay` is `waygate dlq replay --help` (commander's help command looks
  // one level deep only).
  const [node = 'node', script = 'waygate', first, ...rest] = argv;
  const args =
    first === 'help' && rest.length > 0 && !rest.some((a) => a.startsWith('-'))
      ? [node, script, ...rest, '--help']
      : argv;
  let printed = false;
  let active: Command = program;
  forEachCommand(program, (cmd) =>
    cmd.configureOutput({
      outputError: (str, write) => {
        printed = true;
        const line = str
          .replace(/^error: /, '')
          .replace(/\s*\n\s*/g, ' ')
          .trim();
        write(`${commandPath(cmd)}: ${line}; ${helpHint(cmd)}\n`);
      },
    }),
  );
  program.hook('preAction', (_root, actionCommand) => {
    active = actionCommand;
  });
  try {
    await program.parseAsync(args);
  } catch (err) {
    if (err instanceof CommanderError && (printed || HELP_CODES.has(err.code))) {
      process.exitCode = err.exitCode;
      return;
    }
    // Raised by a command itself (an argument it checks, a store it cannot open, …).
    const { message, usage } = describeFailure(err);
    process.stderr.write(`${commandPath(active)}: ${message}${usage ? `; ${helpHint(active)}` : ''}\n`);
    if (process.env.WAYGATE_DEBUG && err instanceof Error && err.stack)
      process.stderr.write(`${err.stack}\n`);
    process.exitCode = err instanceof CommanderError && err.exitCode > 0 ? err.exitCode : 1;
  }
}
