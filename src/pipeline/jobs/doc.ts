/**
 * docs/jobs.md, written from the job registry so the page cannot drift from the code: a test
 * compares the file with this output, and `npm run docs:jobs` rewrites it.
 */
import type { TSchema } from '@sinclair/typebox';
import { DEFAULT_MAX_ATTEMPTS } from '../../store/queue.js';
import { JOB_KINDS } from './index.js';
import type { RegisteredJobKind } from './kind.js';

function fieldsOf(schema: TSchema): Array<{ name: string; type: string; required: boolean; what: string }> {
  const properties: Record<string, TSchema> =
    typeof schema.properties === 'object' && schema.properties !== null ? schema.properties : {};
  const required: unknown[] = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(properties).map(([name, field]) => ({
    name,
    type: typeof field.type === 'string' ? field.type : 'value',
    required: required.includes(name),
    what: field.description ?? '',
  }));
}

function editCell(kind: RegisteredJobKind): string {
  if (!kind.editFields) return 'none: replayed as it is';
  return Object.keys(kind.editFields)
    .map((f) => `\`${f}\``)
    .join(', ');
}

function section(kind: RegisteredJobKind): string[] {
  const out = [`## \`${kind.name}\``, '', `${capitalise(kind.description)}.`, ''];
  out.push(`- Lane: ${kind.lane}`);
  out.push(
    `- Attempts before the dead letters: ${kind.maxAttempts ?? `${DEFAULT_MAX_ATTEMPTS} (the queue's default)`}`,
  );
  if (kind.hasOrder) {
    out.push(
      '- Works on an order: a dead job shows it; a replay makes a failed order `accepted` again, a ' +
        'discard keeps it `failed` with the reason in its history',
    );
  }
  out.push('', 'Payload:', '');
  for (const f of fieldsOf(kind.payloadSchema)) {
    out.push(`- \`${f.name}\` (${f.type}${f.required ? '' : ', optional'}): ${f.what}`);
  }
  out.push('');
  if (kind.editFields) {
    out.push('Dead-letter edit — the fields `edit` may carry (any other is refused, naming it):', '');
    for (const [field, what] of Object.entries(kind.editFields)) out.push(`- \`${field}\`: ${what}`);
  } else {
    out.push('Dead-letter edit: none. A replay runs the job again as it is; an edit is refused.');
  }
  out.push('');
  return out;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function renderJobsDoc(kinds: readonly RegisteredJobKind[] = JOB_KINDS): string {
  const lines = [
    '# Job kinds',
    '',
    '<!-- Generated from the job registry (src/pipeline/jobs/) by `npm run docs:jobs`; do not edit. -->',
    '',
    'Every piece of background work is a job in the durable queue, written in the same transaction as',
    'the change it follows. Each job kind is declared once, in `src/pipeline/jobs/`: its name, the',
    'schema of its payload, the lane whose workers run it, its handler and its dead-letter edit rules.',
    '',
    '- The payload is checked when the job is enqueued (a payload that misses the schema is refused and',
    '  nothing is written) and again when a worker leases it: a job whose stored payload was damaged is',
    '  dead-lettered with the reason (`invalid_job_payload`, `unreadable_job_payload`) and never reaches',
    '  its handler, and the worker goes on with the next job. Such a job cannot be replayed, only discarded.',
    '- Two lanes [004-2]: the inbound lane turns partner pushes into canonical records, the outbound lane',
    '  calls partners; neither waits on the other.',
    '- `waygate dlq replay ID --edit JSON` (or `POST /v1/dlq/{id}/replay` with `{"edit": …}`) may change',
    '  only what the job’s kind allows below; anything else is refused with a 400 naming the field.',
    '',
    '| Kind | Lane | What it does | Dead-letter edit |',
    '| --- | --- | --- | --- |',
    ...kinds.map((k) => `| \`${k.name}\` | ${k.lane} | ${k.description} | ${editCell(k)} |`),
    '',
    ...kinds.flatMap(section),
    '## Adding a job kind',
    '',
    '1. One file in `src/pipeline/jobs/` calling `defineJobKind({ name, description, lane, payload,',
    '   handler, deadLetter })`; the handler receives the payload typed from its schema.',
    '2. One line in `JOB_KINDS` (`src/pipeline/jobs/index.ts`).',
    '3. Queue it with `kind.enqueue(trx, payload)` inside the business transaction it follows.',
    '4. `npm run docs:jobs` to rewrite this page.',
    '',
  ];
  return lines.join('\n');
}
