/**
 * `waygate connectors list [--json]` and `waygate connectors map --connector ID --message KIND
 * --file F [--json] [--direction out]`: which dialects the hub speaks, and what one partner
 * payload means in canonical terms (or, out, which partner payload a canonical file becomes) —
 * for a user debugging an integration. Translation is the connector's own (its `messages`).
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CONNECTORS } from '../connectors/catalogue.js';
import { formatTable } from './dlq.js';

interface MapOptions {
  connector: string;
  message: string;
  file: string;
  json?: boolean;
  direction: 'in' | 'out';
}

/** A usage problem: printed on stderr with what to do, exit code 1. */
class MapUsageError extends Error {}

export function connectorRows() {
  return CONNECTORS.map((def) => ({
    id: def.manifest.id,
    kind: def.kind,
    name: def.manifest.name,
    dialect: def.manifest.dialect,
    capabilities: [...def.manifest.capabilities],
    auth: def.manifest.auth,
    version: def.manifest.version ?? null,
    messages: Object.keys(def.messages ?? {}),
  }));
}

export function mapMessage(o: MapOptions): unknown {
  const def = CONNECTORS.find((d) => d.manifest.id === o.connector);
  if (!def) {
    throw new MapUsageError(
      `no connector ${o.connector}; \`waygate connectors list\` shows the ${CONNECTORS.length} there are`,
    );
  }
  const messages = def.messages ?? {};
  const mapping = messages[o.message];
  const known = Object.keys(messages);
  if (!mapping) {
    throw new MapUsageError(
      known.length === 0
        ? `connector ${o.connector} offers no message mappings yet`
        : `connector ${o.connector} has no message ${o.message}; it maps ${known.join(', ')}`,
    );
  }
  let raw: string;
  try {
    raw = readFileSync(o.file, 'utf8');
  } catch (err) {
    throw new MapUsageError(
      `cannot read ${o.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): give a readable file`,
    );
  }
  if (o.direction === 'out') {
    if (!mapping.out)
      throw new MapUsageError(
        `${o.connector} ${o.message} is only read from the partner (drop --direction out)`,
      );
    let canonical: unknown;
    try {
      canonical = JSON.parse(raw);
    } catch {
      throw new MapUsageError(`${o.file} is not JSON: --direction out takes a canonical JSON file`);
    }
    return mapping.out(canonical);
  }
  if (!mapping.in)
    throw new MapUsageError(
      `${o.connector} ${o.message} is only built for the partner (add --direction out)`,
    );
  return mapping.in(raw);
}

export function registerConnectorCommands(program: Command): void {
  const cmd = program
    .command('connectors')
    .description('the partner dialects the hub speaks, and what a partner payload means');
  cmd
    .command('list')
    .description('every registered connector: id, kind, dialect, capabilities, auth scheme, version')
    .option('--json', 'print one JSON array')
    .action((o: { json?: boolean }) => {
      const rows = connectorRows();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      process.stdout.write(
        `${formatTable(
          ['id', 'kind', 'dialect', 'capabilities', 'auth', 'version'],
          rows.map((r) => [r.id, r.kind, r.dialect, r.capabilities.join(','), r.auth, r.version ?? '-']),
        )}\n`,
      );
    });
  cmd
    .command('map')
    .description(
      'print the canonical result of a partner payload (or the partner payload of a canonical file with --direction out)',
    )
    .requiredOption('--connector <id>', 'connector id (waygate connectors list)')
    .requiredOption('--message <kind>', 'message kind, e.g. shipment.create, tracking')
    .requiredOption('--file <path>', 'the payload file')
    .addOption(
      new Option('--direction <dir>', 'in: partner → canonical; out: canonical → partner')
        .choices(['in', 'out'])
        .default('in'),
    )
    .option('--json', 'print compact JSON')
    .action((o: MapOptions) => {
      let result: unknown;
      try {
        result = mapMessage(o);
      } catch (err) {
        const e = err as Error;
        const what =
          e instanceof MapUsageError
            ? e.message
            : `${o.connector} cannot read ${o.file} as ${o.message}: ${e.message}`;
        process.stderr.write(`${what}\n`);
        process.exitCode = 1;
        return;
      }
      const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
      process.stdout.write(
        `${o.json ? JSON.stringify(result, replacer) : JSON.stringify(result, replacer, 2)}\n`,
      );
    });
}
