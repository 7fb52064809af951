/**
 * The layer rules of eslint.config.js, tested by planting the imports they forbid. The planted
 * files are virtual (ESLint's `lintText` with a file path in the tree): nothing is written, and
 * the real configuration is what judges them. The expected order is written out here, not read
 * from the configuration, so a rule dropped or loosened there fails this test.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** Bottom to top; each layer may import only those before it. */
const LAYERS = ['domain', 'store', 'security', 'connectors', 'pipeline', 'monitor', 'gateway', 'hub', 'cli'];
/** Below, but still not to be imported: connectors never store anything themselves. */
const EXCEPTIONS = new Set(['connectors→store']);
/** The simulated partners import only these; of the layers, only hub and cli import them. */
const SANDBOX_MAY_IMPORT = ['domain', 'security'];
const IMPORT_SANDBOX = ['hub', 'cli'];

/** A real module of the folder, so the planted import resolves (an unresolved one is never judged). */
function moduleOf(folder: string): string {
  const file = readdirSync(join(root, 'src', folder))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort()[0];
  if (!file) throw new Error(`src/${folder}/ has no module to import`);
  return `../${folder}/${file.replace(/\.ts$/, '.js')}`;
}

async function layerProblems(file: string, text: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(text, { filePath: join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId?.startsWith('import-x/') || m.fatal);
}

const planted = (from: string, to: string) =>
  layerProblems(`src/${from}/__planted.ts`, `export * from '${moduleOf(to)}';\n`);

const pairs = LAYERS.flatMap((from, i) => LAYERS.map((to, j) => ({ from, to, i, j }))).filter(
  (p) => p.from !== p.to,
);
const upward = pairs.filter((p) => p.j > p.i || EXCEPTIONS.has(`${p.from}→${p.to}`));
const downward = pairs.filter((p) => p.j < p.i && !EXCEPTIONS.has(`${p.from}→${p.to}`));

describe('layer rules', { timeout: 120_000 }, () => {
  it.each(upward.map((p) => [p.from, p.to]))('reports %s/ importing %s/', async (from, to) => {
    const problems = await planted(from, to);
    expect(problems.map((p) => p.ruleId)).toEqual(['import-x/no-restricted-paths']);
  });

  it.each(downward.map((p) => [p.from, p.to]))('allows %s/ to import %s/ below it', async (from, to) => {
    expect(await planted(from, to)).toEqual([]);
  });

  it.each(LAYERS.filter((l) => !IMPORT_SANDBOX.includes(l)))(
    'reports %s/ importing the sandbox',
    async (from) => {
      const problems = await planted(from, 'sandbox');
      expect(problems.map((p) => p.ruleId)).toEqual(['import-x/no-restricted-paths']);
    },
  );

  it.each(IMPORT_SANDBOX)('allows %s/ to start the sandbox', async (from) => {
    expect(await planted(from, 'sandbox')).toEqual([]);
  });

  it.each(LAYERS.map((to) => [to, SANDBOX_MAY_IMPORT.includes(to)] as const))(
    'sandbox/ importing %s/ is allowed: %s',
    async (to, allowed) => {
      const problems = await planted('sandbox', to);
      expect(problems.map((p) => p.ruleId)).toEqual(allowed ? [] : ['import-x/no-restricted-paths']);
    },
  );

  it('reports a type-only import of security from the store, with the way out', async () => {
    const problems = await layerProblems(
      'src/store/__planted.ts',
      "import type { FieldCipher } from '../security/field-cipher.js';\nexport type C = FieldCipher;\n",
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('store/sealing.ts');
  });

  it('reports production code importing a test helper or a test file', async () => {
    const helper = await layerProblems(
      'src/cli/__planted.ts',
      "export * from '../../test/helpers/stores.js';\n",
    );
    const testFile = await layerProblems('src/hub/__planted.ts', "export * from './config.test.js';\n");
    expect(helper.map((p) => p.ruleId)).toEqual(['import-x/no-restricted-paths']);
    expect(testFile.map((p) => p.ruleId)).toEqual(['import-x/no-restricted-paths']);
  });

  it('lets a test file import across layers', async () => {
    const problems = await layerProblems(
      'src/store/__planted.test.ts',
      "export * from '../gateway/app.js';\nexport * from '../sandbox/server.js';\n",
    );
    expect(problems).toEqual([]);
  });

  it('reports an import cycle', async () => {
    // The planted text stands in for store/compiled.ts, which queue.ts imports: importing the
    // queue back closes the cycle.
    expect(readFileSync(join(root, 'src/store/queue.ts'), 'utf8')).toMatch(
      /^import \{[^}]*\bcompiled\b[^}]*\} from '\.\/compiled\.js';$/m,
    );
    const problems = await layerProblems(
      'src/store/compiled.ts',
      "import { enqueue } from './queue.js';\nexport const planted = enqueue;\n",
    );
    expect(problems.map((p) => p.ruleId)).toEqual(['import-x/no-cycle']);
  });

  it('does not count a type-only import back as a cycle (it is gone at run time)', async () => {
    const problems = await layerProblems(
      'src/store/compiled.ts',
      "import type { Job } from './queue.js';\nexport type Planted = Job;\n",
    );
    expect(problems).toEqual([]);
  });

  it('makes `eslint` itself exit non-zero on a planted upward import', () => {
    const bin = join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
    const run = spawnSync(process.execPath, [bin, '--stdin', '--stdin-filename', 'src/domain/__planted.ts'], {
      cwd: root,
      input: "export * from '../store/db.js';\n",
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('import-x/no-restricted-paths');
    expect(run.stdout).toContain('domain/ imports nothing of ours');
  });
});

describe('queries live in store/', { timeout: 120_000 }, () => {
  const sqlProblems = async (file: string, text: string) => {
    const [result] = await eslint.lintText(text, { filePath: join(root, file) });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-syntax' || m.fatal);
  };
  const QUERY_TEXTS = {
    'a select': "export const q = (db: Db) => db.selectFrom('orders').selectAll().execute();\n",
    'an insert': "export const q = (db: Db) => db.insertInto('jobs').values({}).execute();\n",
    'an update': "export const q = (db: Db) => db.updateTable('shipments').set({}).execute();\n",
    'a delete': "export const q = (db: Db) => db.deleteFrom('audit_log').execute();\n",
    'raw sql': "import { sql } from 'kysely';\nexport const q = sql`select 1`;\n",
  };
  const header = "import type { Executor as Db } from '../store/transaction.js';\n";
  const above = LAYERS.filter((l) => l !== 'store' && l !== 'domain');

  it.each(above.flatMap((layer) => Object.keys(QUERY_TEXTS).map((kind) => [kind, layer])))(
    'reports %s written in %s/',
    async (kind, layer) => {
      const text = QUERY_TEXTS[kind as keyof typeof QUERY_TEXTS];
      const problems = await sqlProblems(`src/${layer}/__planted.ts`, header + text);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]?.message).toContain('Queries live in store/');
    },
  );

  it.each(Object.keys(QUERY_TEXTS))('allows %s in store/', async (kind) => {
    const text = QUERY_TEXTS[kind as keyof typeof QUERY_TEXTS];
    expect(await sqlProblems('src/store/__planted.ts', header.replace('../store/', './') + text)).toEqual([]);
  });

  it('allows a type-only import of kysely above the store', async () => {
    const text = "import type { Kysely } from 'kysely';\nexport type K = Kysely<object>;\n";
    expect(await sqlProblems('src/pipeline/__planted.ts', text)).toEqual([]);
  });
});
