/** `waygate keys …`: the data-key ring that seals personal data at rest. */
import type { Command } from 'commander';
import { keyUsage, rotateDataKeys } from '../store/data-keys.js';
import { recordAudit } from '../store/audit.js';
import { recipientIndexes } from '../store/orders.js';
import { cliActor, dbOption, withStore, type CommonOptions } from './dlq.js';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('data keys for personal fields encrypted at rest');
  keys
    .command('rotate')
    .description('add a new data key and re-encrypt every sealed value with it, online')
    .option('--batch <n>', 'rows per batch', (v) => Number(v), 500)
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { batch: number }) =>
      withStore(o, async (store) => {
        const started = Date.now();
        const result = await rotateDataKeys(store.db, store.keys, {
          batchSize: o.batch,
          reindex: (json) => recipientIndexes(store.keys.cipher, json),
          onProgress: (p) => {
            if (!o.json && p.resealed > 0)
              process.stderr.write(`\r${p.table}: ${p.resealed} re-sealed (pass ${p.pass})   `);
          },
        });
        await store.write((trx) =>
          recordAudit(trx, {
            actor: cliActor(),
            action: 'keys.rotated',
            target: result.newKeyId,
            detail: { resealed: result.resealed, retired: result.retired },
            outcome: 'ok',
          }),
        );
        const usage = await keyUsage(store.db, store.keys);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        if (o.json) return { ...result, seconds: Number(seconds), usage };
        if (!o.json) process.stderr.write('\n');
        return [
          `new data key ${result.newKeyId}; ${result.resealed} value(s) re-sealed in ${seconds} s`,
          `retired: ${result.retired.join(', ') || 'none'}`,
          ...usage.map((u) => `  ${u.table}.${u.column}: ${u.rows} under ${u.keyId}`),
        ].join('\n');
      }),
    );
  keys
    .command('status')
    .description('which data key seals how many values')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions) =>
      withStore(o, async (store) => {
        const usage = await keyUsage(store.db, store.keys);
        const active = store.keys.cipher.activeKeyId;
        if (o.json) return { active, usage };
        return [
          `active key: ${active}`,
          ...usage.map((u) => `  ${u.table}.${u.column}: ${u.rows} under ${u.keyId}`),
        ].join('\n');
      }),
    );
}
