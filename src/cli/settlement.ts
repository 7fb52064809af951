/**
 * `waygate settlement reconcile|disputes|statement --partner P --period YYYY-MM`: fee
 * settlement from the command line [003-5.9]. Reconcile judges every bill of the period line by
 * line (and lists shipments no bill charged); disputes lists the period's disputes; statement
 * prints or writes the statement as JSON, CSV or PDF. `import FILE` takes in a bill file (CSV,
 * XLSX or JSON) of a partner without an API, read with its column mapping.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { isCurrencyCode, WaygateError } from '../domain/index.js';
import {
  isPeriod,
  parseBillMappingText,
  RateCardError,
  type BillMapping,
} from '../domain/settlement/index.js';
import { receiveBill, type BillFormat } from '../pipeline/settlement/bills.js';
import { reconcileBill } from '../pipeline/settlement/reconcile.js';
import { DEFAULT_RATE_CARD_DIR, loadRateCards } from '../pipeline/settlement/cards.js';
import { fxSourceAt, type FxSource } from '../pipeline/settlement/fx.js';
import { DEFAULT_REPORTING_CURRENCY, reconcilePeriod } from '../pipeline/settlement/reconcile.js';
import { toDisputeView } from '../pipeline/settlement/disputes.js';
import { buildStatement, renderStatementCsv, renderStatementPdf } from '../pipeline/settlement/statement.js';
import { billsOf, disputesOf } from '../store/settlement.js';
import { cliActor, dbOption, withStore, type CommonOptions } from './dlq.js';

type Options = CommonOptions & {
  partner: string;
  period: string;
  cards: string;
  reporting: string;
  fxUrl?: string;
};

const period = (v: string) => {
  if (!isPeriod(v)) throw new InvalidArgumentError('the period is a month YYYY-MM');
  return v;
};
const partner = (v: string) => {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(v)) throw new InvalidArgumentError('not a partner id');
  return v;
};
const currency = (v: string) => {
  if (!isCurrencyCode(v)) throw new InvalidArgumentError('not an ISO 4217 currency code');
  return v;
};

function common(cmd: Command): Command {
  return cmd
    .requiredOption('--partner <id>', 'the partner (carrier or warehouse)', partner)
    .requiredOption('--period <YYYY-MM>', 'the month', period)
    .option('--cards <dir>', 'rate-card folder', DEFAULT_RATE_CARD_DIR)
    .option('--reporting <currency>', 'reporting currency', currency, DEFAULT_REPORTING_CURRENCY)
    .addOption(dbOption())
    .option('--json', 'print JSON');
}

export function registerSettlementCommands(program: Command): void {
  const s = program
    .command('settlement')
    .description('fee settlement: reconcile bills, disputes, statements');
  common(s.command('reconcile').description('reconcile every bill of the period line by line'))
    .option('--fx-url <url>', 'a bank rate endpoint for missing FX rates (e.g. the sandbox)')
    .action((o: Options) =>
      withStore(o, async (store) => {
        const r = await withFx(o.fxUrl, (fx) =>
          reconcilePeriod(store, loadRateCards(o.cards), o.partner, o.period, {
            actor: cliActor(),
            reportingCurrency: o.reporting,
            ...(fx ? { fx } : {}),
          }),
        );
        if (o.json) return r;
        const lines = r.bills.map(
          (b) =>
            `${b.billNo}: ${b.lines} lines, ${b.flagged} flagged ${JSON.stringify(b.byComponent)}; ` +
            `billed ${b.billed} ${b.currency}, due ${b.expected}, over-charged ${b.overcharged} ${b.currency}` +
            (b.overchargedReporting
              ? ` (${b.overchargedReporting} ${b.reportingCurrency} at ${b.fx?.rate})`
              : ''),
        );
        lines.push(`shipments never billed: ${r.neverBilled.length}`);
        return lines.join('\n');
      }),
    );
  common(s.command('disputes').description("list the period's disputes")).action((o: Options) =>
    withStore(o, async (store) => {
      const bills = await billsOf(store.db, o.partner, o.period);
      const ds = (await disputesOf(store.db, { billIds: bills.map((b) => b.id) })).map(toDisputeView);
      if (o.json) return { disputes: ds };
      return ds.length
        ? ds
            .map(
              (d) =>
                `${d.id} ${d.status} line ${d.lineNo} ${d.amount} ${d.currency} due ${d.deadline} ${d.reason}`,
            )
            .join('\n')
        : 'no disputes';
    }),
  );
  common(s.command('statement').description('the statement of the period'))
    .addOption(
      new Option('--format <format>', 'json, csv or pdf').choices(['json', 'csv', 'pdf']).default('json'),
    )
    .option('--out <file>', 'write to this file')
    .option('--font <file>', 'CJK font for the PDF (default: WAYGATE_CJK_FONT or the Debian fonts)')
    .action((o: Options & { format: 'json' | 'csv' | 'pdf'; out?: string; font?: string }) =>
      withStore(o, async (store) => {
        const st = await buildStatement(store, loadRateCards(o.cards), o.partner, o.period, {
          reportingCurrency: o.reporting,
        });
        const content =
          o.format === 'pdf'
            ? await renderStatementPdf(st, o.font)
            : o.format === 'csv'
              ? renderStatementCsv(st)
              : `${JSON.stringify(st, null, 2)}\n`;
        if (o.out) {
          writeFileSync(o.out, content);
          return o.json ? { written: o.out, bytes: content.length } : `wrote ${o.out}`;
        }
        if (o.format === 'pdf') throw new InvalidArgumentError('a PDF needs --out FILE');
        return o.format === 'csv' ? (content as string).replace(/\n$/, '') : st;
      }),
    );

  s.command('import')
    .description(
      "take in a partner's bill file (CSV, XLSX or JSON): kept raw, then read with the column mapping",
    )
    .argument('<file>', 'the bill: .csv, .xlsx or .json')
    .requiredOption('--partner <id>', 'the partner (carrier or warehouse)', partner)
    .option('--mapping <file>', "the column mapping (YAML); default: the partner's rate-card mapping")
    .option('--cards <dir>', 'rate-card folder', DEFAULT_RATE_CARD_DIR)
    .option('--reconcile', 'reconcile the bill at once')
    .option('--reporting <currency>', 'reporting currency', currency, DEFAULT_REPORTING_CURRENCY)
    .option('--fx-url <url>', 'a bank rate endpoint for missing FX rates (e.g. the sandbox)')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(
      (
        file: string,
        o: CommonOptions & {
          partner: string;
          mapping?: string;
          cards: string;
          reconcile?: boolean;
          reporting: string;
          fxUrl?: string;
        },
      ) => {
        // Everything about the files is checked before the store is opened.
        const format = FORMATS[extname(file).toLowerCase()];
        if (!format) throw new InvalidArgumentError(`${file}: the bill must be a .csv, .xlsx or .json file`);
        const body = readInput(file, format);
        let mapping: BillMapping | undefined;
        if (o.mapping) {
          try {
            mapping = parseBillMappingText(readInput(o.mapping, 'csv') as string, o.mapping);
          } catch (err) {
            if (err instanceof RateCardError)
              throw new InvalidArgumentError(`the mapping is not valid:\n  ${err.issues.join('\n  ')}`);
            throw err;
          }
        }
        const book = loadRateCards(o.cards);
        return withStore(o, async (store) => {
          let received;
          try {
            received = await receiveBill(store, book, {
              partnerId: o.partner,
              format,
              body,
              ...(mapping ? { mapping } : {}),
            });
          } catch (err) {
            if (err instanceof WaygateError && err.code === 'settlement_bill_unreadable' && !o.json)
              printIssues(err, file);
            throw err;
          }
          const reconciled = o.reconcile
            ? await withFx(o.fxUrl, (fx) =>
                reconcileBill(store, book, received.billId, {
                  actor: cliActor(),
                  reportingCurrency: o.reporting,
                  ...(fx ? { fx } : {}),
                }),
              )
            : undefined;
          if (o.json) return { ...received, ...(reconciled ? { reconciled } : {}) };
          const head = received.created
            ? `bill ${received.billNo}: ${received.lines} lines stored as ${received.billId} (raw kept as ${received.messageId})`
            : `bill ${received.billNo} was received before as ${received.billId}: nothing new stored`;
          return reconciled
            ? `${head}\n${reconciled.flagged} of ${reconciled.lines} lines flagged ${JSON.stringify(reconciled.byComponent)}; ` +
                `billed ${reconciled.billed} ${reconciled.currency}, due ${reconciled.expected}, over-charged ${reconciled.overcharged}`
            : head;
        });
      },
    );
}

const FORMATS: Record<string, BillFormat | undefined> = { '.csv': 'csv', '.xlsx': 'xlsx', '.json': 'json' };

function readInput(file: string, format: BillFormat): string | Buffer {
  try {
    const bytes = readFileSync(file);
    return format === 'xlsx' ? bytes : bytes.toString('utf8');
  } catch (err) {
    throw new InvalidArgumentError(
      `${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

/** Each row's problems, one line each, before the one-line error withStore prints. */
function printIssues(err: WaygateError, file: string): void {
  const d = (err.details ?? {}) as {
    issues?: { where: string; field: string; message: string }[];
    issueCount?: number;
  };
  for (const i of d.issues ?? []) process.stderr.write(`${file}: ${i.where}: ${i.field} ${i.message}\n`);
  if ((d.issueCount ?? 0) > (d.issues?.length ?? 0))
    process.stderr.write(`${file}: … ${(d.issueCount ?? 0) - (d.issues?.length ?? 0)} more\n`);
  process.stderr.write(
    'nothing of the bill was stored but the raw file; fix the file or the mapping and import it again\n',
  );
}

/** The sandbox bank's (or another finance connector's) rate feed at `--fx-url`, closed after use. */
async function withFx<T>(url: string | undefined, fn: (fx: FxSource | undefined) => Promise<T>): Promise<T> {
  const fx = url ? fxSourceAt(url) : undefined;
  try {
    return await fn(fx);
  } finally {
    await fx?.close();
  }
}
