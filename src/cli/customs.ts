/**
 * `waygate customs render|validate`: preview the CEB message for a canonical order file (codes
 * the order lacks come from the configuration, or with none from the documented sandbox
 * profile), and validate any CEB message or transfer envelope against the official XSDs.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { missingFields, shippableItems } from '../domain/catalogue.js';
import { OrderInput, WaygateError } from '../domain/index.js';
import { CustomsFieldMissing } from '../connectors/customs/china-ceb/fields.js';
import { isMessageType, MESSAGE_TYPES, schemaOf } from '../connectors/customs/china-ceb/messages.js';
import { CebInvalid, renderValidated } from '../connectors/customs/china-ceb/prepare.js';
import { mergeProfiles, SANDBOX_PROFILE } from '../connectors/customs/china-ceb/profile.js';
import { validateCeb, XsdUnavailable, type SchemaName } from '../connectors/customs/china-ceb/xsd.js';
import { loadHubConfig, type CustomsConfig } from '../hub/config.js';
import { checker } from '../pipeline/validation.js';
import { randomUUID } from 'node:crypto';

const orderInput = checker(OrderInput);

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(
      `cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** Errors of the customs code path as the CLI reports them (one line, what to do). */
function explain(err: unknown): never {
  if (err instanceof CustomsFieldMissing) {
    const hint = err.field.startsWith('waybill.')
      ? 'pass --waybill NO'
      : err.field === 'customsNo'
        ? 'pass --customs-no NO'
        : err.field === 'reason'
          ? 'pass --reason TEXT'
          : err.field.startsWith('customs.')
            ? 'set it under customs.defaults or customs.sources.<source> in --config'
            : 'add it to the order file';
    throw new WaygateError('customs_field_missing', `${err.message}; ${hint}`, { field: err.field });
  }
  if (err instanceof CebInvalid)
    throw new WaygateError('customs_message_invalid', err.message, { problems: err.problems });
  if (err instanceof XsdUnavailable) throw new WaygateError('customs_xsd_unavailable', err.message);
  throw err;
}

export function registerCustomsCommands(program: Command): void {
  const customs = program.command('customs').description('China customs (CEB 2022-05) messages');
  customs
    .command('render')
    .description('print the unsigned CEB message for a canonical order file, validated against the XSD')
    .requiredOption('--order-file <file>', 'canonical order (the POST /v1/orders body) as JSON')
    .requiredOption('--message <type>', `one of ${MESSAGE_TYPES.join(', ')}`, (v: string) => {
      const t = v.toUpperCase();
      if (!isMessageType(t))
        throw new InvalidArgumentError(`--message must be one of ${MESSAGE_TYPES.join(', ')}`);
      return t;
    })
    .option(
      '--config <file>',
      'hub config whose customs section supplies company codes (default: sandbox profile)',
    )
    .option('--waybill <no>', 'logistics (waybill) number, for CEB511/505/621/603 and later messages')
    .option('--customs-no <no>', "customs' inventory list number, for withdrawals, returns and CEB701")
    .option('--reason <text>', 'reason, for withdrawals and returns')
    .option(
      '--xsd-dir <dir>',
      'folder of the CEB 2022-05 XSDs (default: WAYGATE_CEB_XSD_DIR or the known locations)',
    )
    .action(
      async (o: {
        orderFile: string;
        message: string;
        config?: string;
        waybill?: string;
        customsNo?: string;
        reason?: string;
        xsdDir?: string;
      }) => {
        let raw: unknown;
        try {
          raw = JSON.parse(readText(o.orderFile, 'order file'));
        } catch (err) {
          if (err instanceof InvalidArgumentError) throw err;
          throw new InvalidArgumentError(`${o.orderFile} is not JSON: ${(err as Error).message}`);
        }
        const issues = orderInput.issues(raw);
        if (!orderInput.is(raw))
          throw new InvalidArgumentError(
            `${o.orderFile} is not a canonical order: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
          );
        const items = shippableItems(raw.items);
        if (!items) {
          const i = raw.items.findIndex((l) => missingFields(l).length > 0);
          explain(
            new CustomsFieldMissing(
              `items[${i}].${missingFields(raw.items[i]!)[0]}`,
              'the line lacks customs data; give it in the order file (the product catalogue fills it for orders in the hub)',
            ),
          );
        }
        const order = { ...raw, items };
        let cfg: CustomsConfig | undefined;
        if (o.config) cfg = loadHubConfig(o.config).customs;
        const profile = cfg ? mergeProfiles(cfg.defaults, cfg.sources?.[order.source]) : SANDBOX_PROFILE;
        const type = o.message as (typeof MESSAGE_TYPES)[number];
        try {
          const xml = await renderValidated(
            type,
            {
              order,
              profile,
              ...(cfg?.products ? { products: cfg.products } : {}),
              guid: randomUUID().toUpperCase(),
              at: new Date(),
              ...(o.waybill ? { waybill: { waybillNo: o.waybill } } : {}),
              ...(o.customsNo ? { customsNo: o.customsNo } : {}),
              ...(o.reason ? { reason: o.reason } : {}),
            },
            o.xsdDir ?? cfg?.xsdDir,
          );
          process.stdout.write(xml);
        } catch (err) {
          explain(err);
        }
      },
    );
  customs
    .command('validate <file>')
    .description('validate a CEB message or transfer envelope against the official 2022-05 XSD')
    .option('--xsd-dir <dir>', 'folder of the CEB 2022-05 XSDs')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { xsdDir?: string; json?: boolean }) => {
      const xml = readText(file, 'message');
      const root = /<(?:[A-Za-z0-9_]+:)?(CEB\d{3}Message|DxpMsg)\b/.exec(xml)?.[1];
      if (!root)
        throw new InvalidArgumentError(
          `${file} is neither a CEB message (CEBnnnMessage) nor a transfer envelope (DxpMsg)`,
        );
      const schema: SchemaName = root === 'DxpMsg' ? 'transfer' : schemaOf(root.replace('Message', ''));
      let verdict;
      try {
        verdict = await validateCeb(xml, schema, o.xsdDir ? { dir: o.xsdDir } : {});
      } catch (err) {
        explain(err);
      }
      if (o.json) process.stdout.write(`${JSON.stringify({ file, root, schema, ...verdict })}\n`);
      else if (verdict.valid)
        process.stdout.write(`${file}: ${root} validates against the ${schema} XSD (2022-05)\n`);
      else {
        for (const p of verdict.problems)
          process.stdout.write(`${file}:${p.line ?? '?'}: ${p.element} [${p.rule}] ${p.message}\n`);
        process.stdout.write(
          `${file}: ${root} fails the ${schema} XSD with ${verdict.problems.length} problem(s)\n`,
        );
      }
      process.exitCode = verdict.valid ? 0 : 1;
    });
}
