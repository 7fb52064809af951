/** `waygate files …`: orders and tracking exchanged as CSV / xlsx files when a partner has no API or is down. */
import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { ORDER_STATUSES } from '../domain/index.js';
import { loadHubConfig } from '../hub/config.js';
import { localFieldCipher } from '../security/field-cipher.js';
import { DEFAULT_DB_URL, openStore, type Store } from '../store/db.js';
import { importOrders } from '../pipeline/files/orders-import.js';
import { importTracking } from '../pipeline/files/tracking-import.js';
import { exportOrders, exportShipmentsForCarrier } from '../pipeline/files/export.js';
import { formatFromPath, type FileFormat } from '../pipeline/files/table.js';

const dbOption = () => new Option('--db <url>', 'store: sqlite:PATH or postgres://…').default(DEFAULT_DB_URL);
const jsonOption = () => new Option('--json', 'print the result as one JSON object');
const formatOption = () =>
  new Option('--format <format>', 'file format (default: from the file extension)').choices(['csv', 'xlsx']);

function defaultActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

async function withStore<T>(url: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(url, { cipher: localFieldCipher });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

function fileFormat(path: string, explicit?: string): FileFormat {
  if (explicit === 'csv' || explicit === 'xlsx') return explicit;
  try {
    return formatFromPath(path);
  } catch (err) {
    throw new Error(`${(err as Error).message}, or give --format csv|xlsx`);
  }
}

export function registerFileCommands(program: Command): Command {
  const files = program
    .command('files')
    .description('exchange orders and tracking as CSV / xlsx files (partners without an API, or down)');

  files
    .command('import-orders')
    .description('import orders (one row per order line); re-importing a file creates nothing twice')
    .argument('<file>', '.csv or .xlsx file')
    .requiredOption('--source <id>', 'partner id of the sales channel')
    .option('--actor <name>', 'who imports (recorded with the order)', defaultActor())
    .addOption(formatOption())
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(
      async (
        file: string,
        o: { source: string; actor: string; format?: string; db: string; json?: boolean },
      ) => {
        // Checked before the store is opened: a wrong file name creates no database.
        const format = fileFormat(file, o.format);
        const result = await withStore(o.db, (store) =>
          importOrders(store, { path: file, format }, { source: o.source, actor: o.actor }),
        );
        const lines = [
          `accepted ${result.accepted}, duplicates ${result.duplicates}, rejected rows ${result.rejected.length}`,
          ...result.rejected.map((r) => `  row ${r.row} (${r.externalId || '-'}) ${r.field}: ${r.message}`),
        ];
        print(o.json, result, lines.join('\n'));
        if (result.rejected.length > 0) process.exitCode = 2;
      },
    );

  files
    .command('import-tracking')
    .description('import tracking events (canonical codes); re-importing a file stores nothing twice')
    .argument('<file>', '.csv or .xlsx file')
    .requiredOption('--carrier <id>', 'partner id of the carrier')
    .addOption(formatOption())
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (file: string, o: { carrier: string; format?: string; db: string; json?: boolean }) => {
      // Checked before the store is opened: a wrong file name creates no database.
      const format = fileFormat(file, o.format);
      const result = await withStore(o.db, (store) =>
        importTracking(store, { path: file, format }, { carrier: o.carrier }),
      );
      const lines = [
        `events ${result.received}, new ${result.inserted}, duplicates ${result.duplicates}, shipments updated ${result.shipmentsUpdated}, rejected rows ${result.rejected.length}`,
        ...(result.unknownWaybills.length > 0
          ? [`  no shipment yet for ${result.unknownWaybills.join(', ')} (events kept)`]
          : []),
        ...result.rejected.map((r) => `  row ${r.row} (${r.waybillNo || '-'}) ${r.field}: ${r.message}`),
      ];
      print(o.json, result, lines.join('\n'));
      if (result.rejected.length > 0) process.exitCode = 2;
    });

  files
    .command('export-orders')
    .description('export orders with their shipment; recipient data masked unless --include-personal-data')
    .requiredOption('--out <file>', '.csv or .xlsx file to write')
    .addOption(new Option('--status <status>', 'order status').choices([...ORDER_STATUSES]))
    .option('--source <id>', 'sales channel')
    .option('--carrier <id>', 'carrier of the shipment')
    .option('--from <iso>', 'created at or after (ISO 8601)')
    .option('--to <iso>', 'created before (ISO 8601)')
    .option('--include-personal-data', 'recipient name, phone, email and street in clear')
    .addOption(formatOption())
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(
      async (o: {
        out: string;
        status?: string;
        source?: string;
        carrier?: string;
        from?: string;
        to?: string;
        includePersonalData?: boolean;
        format?: string;
        db: string;
        json?: boolean;
      }) => {
        // Checked before the store is opened: a wrong file name creates no database.
        const format = fileFormat(o.out, o.format);
        const result = await withStore(o.db, (store) =>
          exportOrders(
            store,
            {
              format,
              ...(o.status ? { status: o.status } : {}),
              ...(o.source ? { source: o.source } : {}),
              ...(o.carrier ? { carrier: o.carrier } : {}),
              ...(o.from ? { from: o.from } : {}),
              ...(o.to ? { to: o.to } : {}),
              includePersonalData: o.includePersonalData === true,
            },
            o.out,
          ),
        );
        print(o.json, result, `wrote ${result.rows} orders to ${result.path}`);
      },
    );

  files
    .command('carrier-manifest')
    .description(
      'the manifest of orders routed to a carrier and not yet handed over, as a file for the carrier',
    )
    .requiredOption('--carrier <id>', 'partner id of the carrier')
    .requiredOption('--out <file>', '.csv or .xlsx file to write')
    .option('--config <file>', 'partner config: also list orders without a waybill that route to the carrier')
    .addOption(formatOption())
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(
      async (o: {
        carrier: string;
        out: string;
        config?: string;
        format?: string;
        db: string;
        json?: boolean;
      }) => {
        const routing = o.config ? loadHubConfig(o.config).routing : undefined;
        // Checked before the store is opened: a wrong file name creates no database.
        const format = fileFormat(o.out, o.format);
        const result = await withStore(o.db, (store) =>
          exportShipmentsForCarrier(store, o.carrier, o.out, format, routing ? { routing } : {}),
        );
        print(o.json, result, `wrote ${result.rows} orders for ${o.carrier} to ${result.path}`);
      },
    );

  return files;
}
