/** `waygate dsr export|erase`: data-subject requests from the command line [001-7.3]. */
import { InvalidArgumentError, type Command } from 'commander';
import { eraseSubject, exportSubject, type SubjectQuery } from '../pipeline/data-subject.js';
import { writePrivateFile } from '../security/private-file.js';
import { cliActor, dbOption, withStore, type CommonOptions } from './dlq.js';

type SubjectOptions = CommonOptions & { email?: string; phone?: string };

/** Checked before the store is opened, so a forgotten flag creates no database. */
function query(o: SubjectOptions): SubjectQuery {
  if (!o.email && !o.phone)
    throw new InvalidArgumentError('name the consignee: give --email ADDRESS and/or --phone NUMBER');
  return { ...(o.email ? { email: o.email } : {}), ...(o.phone ? { phone: o.phone } : {}) };
}

export function registerPrivacyCommands(program: Command): void {
  const dsr = program
    .command('dsr')
    .description('data-subject requests: export or erase a consignee’s personal data');
  dsr
    .command('export')
    .description('write all personal data held about a consignee as JSON')
    .option('--email <address>', 'the consignee’s e-mail')
    .option('--phone <number>', 'the consignee’s phone')
    .option('--out <file>', 'write to this file (mode 0600) instead of standard output')
    .addOption(dbOption())
    .action((o: SubjectOptions & { out?: string }) => {
      const subject = query(o);
      return withStore({ ...o, json: true }, async (store) => {
        const data = await exportSubject(store, subject, cliActor());
        if (!o.out) return data;
        // Everything held about a person: readable by the operator only, even over an old file.
        writePrivateFile(o.out, `${JSON.stringify(data, null, 2)}\n`);
        return { written: o.out, orders: data.orders.length, partnerMessages: data.partnerMessages.length };
      });
    });
  dsr
    .command('erase')
    .description('erase a consignee’s personal data; orders keep their non-personal data')
    .option('--email <address>', 'the consignee’s e-mail')
    .option('--phone <number>', 'the consignee’s phone')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: SubjectOptions) => {
      const subject = query(o);
      return withStore(o, async (store) => {
        const r = await eraseSubject(store, subject, cliActor());
        return o.json
          ? r
          : `erased ${r.ordersErased.length} order(s) and ${r.partnerMessagesErased} partner message(s) (${r.subjectRef})`;
      });
    });
}
