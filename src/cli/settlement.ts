/**
 * `waygate settlement reconcile|disputes|statement --partner P --period YYYY-MM`: fee
 * settlement from the command line [003-5.9]. Reconcile judges every bill of the period line by
 * line (and lists shipments no bill charged); disputes lists the period's disputes; statement
 * prints or writes the statement as JSON, CSV or PDF.
 */
import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { isCurrencyCode } from '../domain/index.js';
import { isPeriod } from '../domain/settlement/index.js';
import { DEFAULT_RATE_CARD_DIR, loadRateCards } from '../pipeline/settlement/cards.js';
import { HttpFxSource } from '../pipeline/settlement/fx.js';
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
        const r = await reconcilePeriod(store, loadRateCards(o.cards), o.partner, o.period, {
          actor: cliActor(),
          reportingCurrency: o.reporting,
          ...(o.fxUrl ? { fx: new HttpFxSource(o.fxUrl) } : {}),
        });
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
}
