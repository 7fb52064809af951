/** `waygate products import|list`: a progress bar, a per-row error report, nothing half-written. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerProductCommands } from '../src/cli/products.js';
import { runCli } from './helpers/cli.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/products/${name}`, import.meta.url));

describe('waygate products', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'waygate-products-'));
    db = `sqlite:${join(dir, 'w.db')}`;
    process.exitCode = undefined;
  });
  afterEach(() => {
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a file with a progress bar on stderr and a summary on stdout', async () => {
    const r = await runCli(registerProductCommands, [
      'products',
      'import',
      fixture('catalogue.csv'),
      '--db',
      db,
    ]);
    expect(r.out).toContain('catalogue.csv: 3 rows saved — 3 new, 0 changed, 0 unchanged');
    expect(r.out).toContain('orders released from needs_data: 0');
    expect(r.err).toMatch(/saved .* 3\/3 rows/);
    expect(process.exitCode).toBeUndefined();
    const list = await runCli(registerProductCommands, ['products', 'list', '--db', db, '--json']);
    const parsed = JSON.parse(list.out) as { products: { sku: string }[]; waiting: unknown };
    expect(parsed.products.map((p) => p.sku)).toEqual(['CASE-IP15', 'MUG-01', 'TEE-RED-M']);
    expect(parsed.waiting).toEqual({ orders: 0, skus: 0 });
  });

  it('refuses a file with bad rows: each row and column on stderr, exit 1, nothing saved', async () => {
    const r = await runCli(registerProductCommands, [
      'products',
      'import',
      fixture('catalogue-bad.csv'),
      '--db',
      db,
      '--no-progress',
    ]);
    expect(process.exitCode).toBe(1);
    expect(r.err).toContain('products_invalid: catalogue-bad.csv: 5 problem(s) in 4 rows; nothing was saved');
    expect(r.err).toMatch(/row 3 hs_code: .*leading 0/);
    expect(r.err).toContain('row 5 sku: repeats the SKU of row 2');
    process.exitCode = undefined;
    const list = await runCli(registerProductCommands, ['products', 'list', '--db', db, '--json']);
    expect((JSON.parse(list.out) as { products: unknown[] }).products).toEqual([]);
  });

  it('names a missing file and what to give instead', async () => {
    const r = await runCli(registerProductCommands, [
      'products',
      'import',
      join(dir, 'nope.csv'),
      '--db',
      db,
    ]);
    expect(process.exitCode).toBe(1);
    expect(r.err).toMatch(
      /unreadable_file: .*nope\.csv does not exist; give the path of a \.csv or \.xlsx file/,
    );
  });
});
