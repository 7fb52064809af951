/** `waygate dlq list|show|replay|discard`: the dead-letter queue from the command line. */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { WaygateError } from '../domain/index.js';
import { localFieldCipher } from '../security/field-cipher.js';
import { DEFAULT_DB_URL, openStore, type Store } from '../store/db.js';
import {
  discardDead,
  getDead,
  listDead,
  replayDead,
  type DeadJobDetail,
  type DeadJobSummary,
} from '../pipeline/dead-letters.js';
import { cancelFailedOrder } from '../pipeline/order-cancel.js';
import { JOB_KINDS } from '../pipeline/jobs/index.js';

export interface CommonOptions {
  db: string;
  json?: boolean;
}

export const dbOption = () =>
  new Option('--db <url>', 'store: sqlite:PATH or postgres://…').default(DEFAULT_DB_URL);

export function cliActor(): string {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return `cli:${name}`;
}

function limitArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('limit must be 1 to 1000');
  return n;
}

/** A plain text table: one header row, columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const oneLine = (s: string, max = 60) => {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

function errorCell(e: DeadJobSummary['error']): string {
  if (!e) return '';
  return oneLine(e.partnerMessage ? `${e.code}: ${e.partnerMessage}` : `${e.code}: ${e.message}`);
}

function formatList(rows: readonly DeadJobSummary[]): string {
  if (rows.length === 0) return 'the dead-letter queue is empty';
  return formatTable(
    ['ID', 'KIND', 'PARTNER', 'ORDER', 'ATTEMPTS', 'DEAD AT', 'ERROR'],
    rows.map((r) => [
      r.id,
      r.kind,
      r.partnerId ?? '',
      r.orderId ?? '',
      `${r.attempts}/${r.maxAttempts}`,
      r.deadAt,
      errorCell(r.error),
    ]),
  );
}

function formatDetail(d: DeadJobDetail): string {
  const out: string[] = [];
  const field = (k: string, v: string) => out.push(`${`${k}:`.padEnd(14)}${v}`);
  field('job', d.id);
  field('kind', d.kind);
  field('partner', d.partnerId ?? '-');
  field('attempts', `${d.attempts}/${d.maxAttempts}`);
  field('created', d.createdAt);
  field('dead since', d.deadAt);
  if (d.error) {
    field('error', `${d.error.code}: ${d.error.message}`);
    if (d.error.partnerCode || d.error.partnerMessage)
      field('partner said', `${d.error.partnerCode ?? ''} ${d.error.partnerMessage ?? ''}`.trim());
  }
  field('payload', JSON.stringify(d.payload));
  if (d.order) {
    field('order', `${d.order.id} (${d.order.status}, to ${d.order.destinationCountry})`);
    out.push('', 'recipient (edit with --edit \'{"recipient":{…}}\', a JSON merge patch):');
    out.push(JSON.stringify(d.order.recipient, null, 2));
    out.push('', 'items (--edit \'{"items":[…]}\' replaces them all):');
    out.push(JSON.stringify(d.order.items, null, 2));
  }
  out.push('', 'attempts:');
  out.push(
    formatTable(
      ['AT', 'ATTEMPT', 'OUTCOME', 'ERROR'],
      d.history.map((h) => [
        h.at,
        String(h.attempt),
        h.outcome + (h.by ? ` by ${h.by}` : ''),
        h.outcome === 'replayed' ? (h.edited?.join(', ') ?? '') : errorCell(h.error),
      ]),
    ),
  );
  return out.join('\n');
}

/** The edit is checked by the job's kind (the job registry), which names every refused field. */
function parseEdit(o: { edit?: string; editFile?: string }): unknown {
  if (o.edit !== undefined && o.editFile !== undefined)
    throw new InvalidArgumentError('give --edit or --edit-file, not both');
  const text = o.edit ?? (o.editFile !== undefined ? readFileSync(o.editFile, 'utf8') : undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidArgumentError(`the edit is not valid JSON: ${(err as Error).message}`);
  }
}

/** Opens the store, runs `fn`, prints a WaygateError as the API would, and closes the store. */
export async function withStore(o: CommonOptions, fn: (store: Store) => Promise<string | object>) {
  const store = await openStore(o.db, { cipher: localFieldCipher });
  try {
    const result = await fn(store);
    process.stdout.write(`${typeof result === 'string' && !o.json ? result : JSON.stringify(result)}\n`);
  } catch (err) {
    if (!(err instanceof WaygateError)) throw err;
    const body = { error: { code: err.code, message: err.message, details: err.details } };
    if (o.json) process.stdout.write(`${JSON.stringify(body)}\n`);
    else {
      process.stderr.write(`waygate: ${err.code}: ${err.message}\n`);
      if (Array.isArray(err.details))
        for (const d of err.details as Array<{ field?: string; message?: string }>)
          process.stderr.write(`  ${d.field ?? ''} ${d.message ?? ''}\n`);
    }
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}

/** The kinds that take an edit and its fields, from the job registry (for --help). */
function editableKinds(): string {
  return JOB_KINDS.flatMap((k) =>
    k.editFields
      ? [
          `${k.name} {${Object.keys(k.editFields)
            .map((f) => `"${f}":…`)
            .join(',')}}`,
        ]
      : [],
  ).join('; ');
}

export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('the dead-letter queue: jobs that need a human');

  dlq
    .command('list')
    .description('list dead jobs, newest first')
    .option('--kind <kind>', 'only jobs of this kind (e.g. shipment.create)')
    .option('--partner <id>', 'only jobs of, or refused by, this partner')
    .option('--limit <n>', 'at most this many', limitArg, 50)
    .option('--before <jobId>', 'only jobs older than this one (the next page)')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions & { kind?: string; partner?: string; limit: number; before?: string }) =>
      withStore(o, async (store) => {
        const rows = await listDead(store.db, {
          limit: o.limit,
          ...(o.kind ? { kind: o.kind } : {}),
          ...(o.partner ? { partnerId: o.partner } : {}),
          ...(o.before ? { beforeId: o.before } : {}),
        });
        return o.json ? rows : formatList(rows);
      }),
    );

  dlq
    .command('show')
    .description('a dead job: payload, every attempt, the last error and its order')
    .argument('<id>', 'job id')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (id: string, o: CommonOptions) =>
      withStore(o, async (store) => {
        const detail = await getDead(store.db, store.keys, id);
        return o.json ? detail : formatDetail(detail);
      }),
    );

  dlq
    .command('replay')
    .description('put a dead job back in the queue, optionally after fixing its order')
    .argument('<id>', 'job id')
    .option('--edit <json>', `what to change first: ${editableKinds()}`)
    .option('--edit-file <file>', 'the same edit, read from a file')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (id: string, o: CommonOptions & { edit?: string; editFile?: string }) => {
      const edit = parseEdit(o);
      await withStore(o, async (store) => {
        const r = await replayDead(store, id, cliActor(), edit);
        if (o.json) return r;
        const order = r.orderId ? `; order ${r.orderId} is ${r.orderStatus ?? 'gone'}` : '';
        const edited = r.edited.length > 0 ? ` after editing ${r.edited.join(', ')}` : '';
        return `replayed ${r.id}${edited}${order}`;
      });
    });

  dlq
    .command('discard')
    .description('delete a dead job for good (its order stays failed)')
    .argument('<id>', 'job id')
    .requiredOption('--reason <text>', 'why (kept in the order history and the audit log)')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (id: string, o: CommonOptions & { reason: string }) =>
      withStore(o, async (store) => {
        const r = await discardDead(store, id, cliActor(), o.reason);
        if (o.json) return r;
        return `discarded ${r.id}${r.orderId ? `; order ${r.orderId} stays ${r.orderStatus ?? 'gone'}` : ''}`;
      }),
    );

  dlq
    .command('cancel-order')
    .description('cancel a failed order for good: it becomes cancelled (final), its dead jobs are deleted')
    .argument('<orderId>', 'order id')
    .requiredOption('--reason <text>', 'why (kept in the order history and the audit log)')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (orderId: string, o: CommonOptions & { reason: string }) =>
      withStore(o, async (store) => {
        const r = await cancelFailedOrder(store, orderId, cliActor(), o.reason);
        if (o.json) return r;
        const jobs = r.discardedJobs.length > 0 ? `; deleted ${r.discardedJobs.join(', ')}` : '';
        return `cancelled ${r.id}${jobs}`;
      }),
    );
}
