/**
 * `waygate products import FILE.csv|xlsx` and `waygate products list`: the product catalogue
 * (SKU master data for customs). An import checks every row first, prints each problem with its
 * row and column, and saves nothing unless the whole file is good; saved, it reports the orders
 * that had waited in `needs_data` and now move on.
 */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { WaygateError } from '../domain/index.js';
import { importProducts, PRODUCT_COLUMNS } from '../pipeline/files/products-import.js';
import { formatFromPath, type FileFormat } from '../pipeline/files/table.js';
import { listProducts, waitingSummary } from '../store/products.js';
import { cliActor, dbOption, formatTable, withStore, type CommonOptions } from './dlq.js';

type ImportOptions = CommonOptions & {
  check?: boolean;
  format?: FileFormat;
  actor: string;
  progress: boolean;
};

function progressBar(enabled: boolean) {
  if (!enabled) return undefined;
  return new SingleBar(
    {
      format: '{phase} {bar} {value}/{total} rows',
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 1000,
    },
    Presets.shades_classic,
  );
}

export function registerProductCommands(program: Command): void {
  const products = program
    .command('products')
    .description('the product catalogue: HS code, origin, declared names and value per SKU');

  products
    .command('import')
    .description(
      `add or replace products from a .csv or .xlsx file with the columns ${Object.keys(PRODUCT_COLUMNS).join(', ')}; all rows or none`,
    )
    .argument('<file>', '.csv or .xlsx file, one product per row')
    .option('--check', 'check the file and report problems; save nothing')
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'xlsx']),
    )
    .option('--actor <name>', 'who imports (recorded in the audit log)', cliActor())
    .option('--no-progress', 'no progress bar on stderr')
    .addOption(dbOption())
    .option('--json', 'print the result as one JSON object')
    .action((file: string, o: ImportOptions) =>
      withStore(o, async (store) => {
        if (!existsSync(file)) {
          throw new WaygateError(
            'unreadable_file',
            `${file} does not exist; give the path of a .csv or .xlsx file`,
          );
        }
        const format = o.format ?? formatFromPath(file);
        const bar = progressBar(o.progress && !o.json);
        let phase = '';
        let result;
        try {
          result = await importProducts(
            store,
            { path: file, format },
            {
              actor: o.actor,
              ...(o.check ? { checkOnly: true } : {}),
              onProgress: (p, done, total) => {
                if (!bar) return;
                const label = p === 'check' ? 'checked' : 'saved  ';
                if (p !== phase) {
                  if (phase) bar.stop();
                  bar.start(total, done, { phase: label });
                  phase = p;
                } else bar.update(done, { phase: label });
              },
            },
          );
        } finally {
          bar?.stop();
        }
        if (result.problems.length > 0) {
          // Printed as every refusal is (stderr, exit 1); each detail names a row and column.
          throw new WaygateError(
            'products_invalid',
            `${result.file}: ${result.problems.length} problem(s) in ${result.rows} rows; nothing was saved — fix these rows and import again`,
            result.problems.map((p) => ({
              field: `row ${p.row} ${p.column}:`,
              message: p.message,
              row: p.row,
              column: p.column,
            })),
          );
        }
        if (o.json) return result;
        if (!result.saved)
          return `${result.file}: ${result.rows} rows checked, no problems (nothing saved: --check)`;
        return [
          `${result.file}: ${result.rows} rows saved — ${result.created} new, ${result.updated} changed, ${result.unchanged} unchanged`,
          `orders released from needs_data: ${result.released.length}` +
            (result.stillWaiting.length > 0
              ? ` (${result.stillWaiting.length} still wait for other SKUs)`
              : ''),
        ].join('\n');
      }),
    );

  products
    .command('list')
    .description('list products by SKU, and how many orders wait for catalogue data')
    .option('--prefix <text>', 'only SKUs starting with this')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 100)
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { prefix?: string; limit: number }) =>
      withStore(o, async (store) => {
        if (!Number.isInteger(o.limit) || o.limit < 1 || o.limit > 10_000) {
          throw new WaygateError('validation_failed', '--limit must be 1 to 10000');
        }
        const rows = await listProducts(store.db, {
          limit: o.limit,
          ...(o.prefix ? { skuPrefix: o.prefix } : {}),
        });
        const waiting = await waitingSummary(store.db);
        if (o.json) return { products: rows, waiting };
        return [
          formatTable(
            ['sku', 'hs code', 'origin', 'name (en)', 'name (zh)', 'grams', 'declared'],
            rows.map((p) => [
              p.sku,
              p.hsCode,
              p.originCountry,
              p.nameEn,
              p.nameZh,
              String(p.weightGrams),
              `${p.declaredValue} ${p.currency}`,
            ]),
          ),
          `orders waiting for catalogue data: ${waiting.orders} (for ${waiting.skus} SKUs)`,
        ].join('\n');
      }),
    );
}
