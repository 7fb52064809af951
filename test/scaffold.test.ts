/**
 * `waygate new connector`, end to end, in a scratch copy of the repository (src/, templates/
 * and the build configuration; node_modules linked): one connector of every kind is generated,
 * and then the generated code must type-check, lint, be formatted, and pass its own generated
 * tests — the four standard tests per capability — together with the contract test that holds
 * every registered connector to the contract. The checkout changes only by the new folders and
 * one registry line each. Refused ids and kinds leave the copy untouched.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../src/cli/main.js';
import { scaffoldConnector, ScaffoldError } from '../src/cli/new-connector.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const KINDS = [
  ['carrier', 'acme-express', 'src/connectors/carriers/acme-express'],
  ['platform', 'bazaar-mall', 'src/connectors/platforms/bazaar-mall'],
  ['customs', 'china-customs-ceb', 'src/connectors/customs/china-customs-ceb'],
  ['warehouse', 'west-coast-3pl', 'src/connectors/warehouses/west-coast-3pl'],
  ['finance', 'pay-bridge', 'src/connectors/finance/pay-bridge'],
] as const;

/** Every file under dir (relative to it) with its content, to compare before and after. */
function snapshot(dir: string, under = 'src'): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(join(dir, under))) {
    const rel = `${under}/${name}`;
    if (statSync(join(dir, rel)).isDirectory()) for (const [k, v] of snapshot(dir, rel)) out.set(k, v);
    else out.set(rel, readFileSync(join(dir, rel), 'utf8'));
  }
  return out;
}

let root = '';
let before = new Map<string, string>();

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'waygate-scaffold-'));
  for (const entry of [
    'src',
    'templates',
    'config',
    'package.json',
    'tsconfig.json',
    'eslint.config.js',
    '.prettierrc.json',
  ]) {
    cpSync(join(repo, entry), join(root, entry), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
  before = snapshot(root);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('waygate new connector', { timeout: 240_000 }, () => {
  it('refuses ids that are not lowercase kebab case, writing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 70 }),
          fc.constantFrom(
            'Acme',
            'acme_express',
            '-acme',
            'acme-',
            'acme--express',
            '3pl',
            'a',
            'acme express',
            '../acme',
            'acme/x',
            'x'.repeat(64),
          ),
        ),
        async (id) => {
          fc.pre(!/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(id) || id.length < 2 || id.length > 63);
          await expect(scaffoldConnector({ kind: 'carrier', id, root })).rejects.toThrow(ScaffoldError);
        },
      ),
      { numRuns: 200 },
    );
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses an id already in use (of any kind), an unknown kind, and a folder that is not a checkout', async () => {
    await expect(scaffoldConnector({ kind: 'carrier', id: 'carrier-alpha', root })).rejects.toThrow(
      'a connector carrier-alpha already exists (src/connectors/carriers/carrier-alpha/); choose another --id',
    );
    await expect(scaffoldConnector({ kind: 'platform', id: 'carrier-beta', root })).rejects.toThrow(
      /already exists/,
    );
    await expect(scaffoldConnector({ kind: 'shipper', id: 'acme-express', root })).rejects.toThrow(
      '--kind "shipper" is not one of carrier, platform, customs, warehouse, finance',
    );
    await expect(scaffoldConnector({ kind: 'carrier', id: 'acme-express', root: tmpdir() })).rejects.toThrow(
      /is not a Waygate checkout/,
    );
    // The command answers the same way (bin/waygate.js prints it and exits 1).
    const cli = buildCli();
    await expect(
      cli.parseAsync(['new', 'connector', '--kind', 'carrier', '--id', 'carrier-alpha', '--root', root], {
        from: 'user',
      }),
    ).rejects.toThrow(ScaffoldError);
    expect(snapshot(root)).toEqual(before);
  });

  it('generates one connector of every kind: new files under its folder and one registry line each', async () => {
    for (const [kind, id, folder] of KINDS) {
      const result = await scaffoldConnector({ kind, id, root });
      expect(result.folder).toBe(folder);
      expect(result.files.at(-1)).toBe('src/connectors/registry.ts');
      expect(result.files.slice(0, -1).every((f) => f.startsWith(`${folder}/`))).toBe(true);
    }
    const after = snapshot(root);
    const changed = [...after.keys()].filter((f) => before.get(f) !== after.get(f));
    const outside = changed.filter((f) => !KINDS.some(([, , folder]) => f.startsWith(`${folder}/`)));
    expect(outside).toEqual(['src/connectors/registry.ts']);
    const registryBefore = before.get('src/connectors/registry.ts')!;
    expect(after.get('src/connectors/registry.ts')).toBe(
      registryBefore +
        "export { connector as acmeExpress } from './carriers/acme-express/index.js';\n" +
        "export { connector as bazaarMall } from './platforms/bazaar-mall/index.js';\n" +
        "export { connector as chinaCustomsCeb } from './customs/china-customs-ceb/index.js';\n" +
        "export { connector as westCoast3pl } from './warehouses/west-coast-3pl/index.js';\n" +
        "export { connector as payBridge } from './finance/pay-bridge/index.js';\n",
    );
    // Each has the standard layout and the four standard tests per capability.
    for (const [, , folder] of KINDS) {
      const files = readdirSync(join(root, folder));
      expect(files).toEqual(
        expect.arrayContaining(['manifest.ts', 'client.ts', 'mapper.ts', 'codes.ts', 'index.ts', 'fixtures']),
      );
      for (const test of files.filter((f) => f.endsWith('.test.ts'))) {
        expect([test, readFileSync(join(root, folder, test), 'utf8').match(/^ {2}it\(/gm)?.length]).toEqual([
          test,
          4,
        ]);
      }
    }
    await expect(scaffoldConnector({ kind: 'carrier', id: 'acme-express', root })).rejects.toThrow(
      /already exists/,
    );
  });

  it('the generated code type-checks, lints, is formatted, and passes its tests and the contract test', async () => {
    const folders = KINDS.map(([, , folder]) => folder);
    writeFileSync(
      join(root, 'tsconfig.scaffold.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        include: [...folders, 'src/connectors/contract.test.ts'],
      }),
    );
    const tsc = await run(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.scaffold.json', '--noEmit'],
      {
        cwd: root,
      },
    ).catch((err: { stdout: string }) => ({ stdout: err.stdout, failed: true }));
    expect(tsc.stdout).toBe('');

    const eslint = new ESLint({ cwd: root });
    const lint = await eslint.lintFiles([...folders, 'src/connectors/registry.ts']);
    expect(
      lint.flatMap((r) =>
        r.messages.map((m) => `${relative(root, r.filePath)}:${m.line} ${m.ruleId} ${m.message}`),
      ),
    ).toEqual([]);

    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(join(root, 'src/connectors/registry.ts'))) ?? {};
    for (const [file, text] of snapshot(root)) {
      if (!folders.some((f) => file.startsWith(`${f}/`))) continue;
      expect([file, await prettier.check(text, { ...options, filepath: join(root, file) })]).toEqual([
        file,
        true,
      ]);
    }

    const vitest = await run(
      process.execPath,
      [
        join(root, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--root',
        root,
        '--reporter',
        'json',
        ...folders,
        'src/connectors/contract.test.ts',
      ],
      { cwd: root, maxBuffer: 64 * 1024 * 1024 },
    ).catch((err: { stdout: string; stderr: string }) => ({ stdout: err.stdout, stderr: err.stderr }));
    const report = JSON.parse(vitest.stdout) as {
      numTotalTests: number;
      numPassedTests: number;
      numFailedTests: number;
      testResults: Array<{ name: string }>;
    };
    expect(report.numFailedTests).toBe(0);
    // 2 + 1 + 1 + 1 + 1 capabilities × 4, the platform's 4 webhook tests, and the contract test
    // over 3 shipped + 5 generated connectors.
    expect(
      report.testResults.filter(
        (t) => t.name.includes('/src/connectors/') && !t.name.endsWith('contract.test.ts'),
      ),
    ).toHaveLength(7);
    expect(report.numPassedTests).toBe(report.numTotalTests);
    expect(report.numTotalTests).toBeGreaterThanOrEqual(6 * 4 + 4 + 8 * 5);
  });
});
