import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

/**
 * The layers of src/, bottom to top: each imports only the layers below it. `sandbox/` stands
 * beside them: the simulated partners are written apart from the connectors that call them, so
 * it imports `domain/` and security's primitives, nothing else of ours; `hub/` and `cli/` start
 * it. A folder of src/ in neither list stops the linter until it is given its place here.
 */
const LAYERS = ['domain', 'store', 'security', 'connectors', 'pipeline', 'monitor', 'gateway', 'hub', 'cli'];
const BESIDE = { sandbox: ['domain', 'security'] };
const STARTS_SANDBOX = ['hub', 'cli'];
/** Layers below that a layer still may not import. */
const ALSO_NOT = { connectors: ['store'] };
/** Why, where the rule has a reason beyond the order. */
const WHY = {
  store: 'It holds no cipher or key: declare what it needs in store/sealing.ts and have it passed in.',
  connectors: 'Connectors map and call partners; storing is the pipeline’s job.',
};

const root = import.meta.dirname;
const dir = (name) => `./src/${name}`;
for (const entry of readdirSync(join(root, 'src'), { withFileTypes: true })) {
  if (entry.isDirectory() && !LAYERS.includes(entry.name) && !(entry.name in BESIDE))
    throw new Error(`src/${entry.name}/ is in no layer: give it its place in eslint.config.js`);
}

const layerZones = LAYERS.slice(1).map((layer, i) => {
  const below = LAYERS.slice(0, i + 1);
  const forbidden = [...LAYERS.slice(i + 2), ...(STARTS_SANDBOX.includes(layer) ? [] : Object.keys(BESIDE))];
  return { layer, below, forbidden: [...forbidden, ...(ALSO_NOT[layer] ?? [])] };
});

const zones = [
  // domain/: nothing of ours, including files directly under src/.
  { target: dir('domain'), from: './src', except: ['./domain'], message: 'domain/ imports nothing of ours.' },
  ...layerZones
    .filter((z) => z.forbidden.length > 0)
    .map(({ layer, below, forbidden }) => ({
      target: dir(layer),
      from: forbidden.map(dir),
      message: [
        `${layer}/ imports only ${below.filter((b) => !forbidden.includes(b)).join(', ')}` +
          (STARTS_SANDBOX.includes(layer) ? ' and sandbox.' : '.'),
        ...(WHY[layer] ? [WHY[layer]] : []),
      ].join(' '),
    })),
  ...Object.entries(BESIDE).map(([side, allowed]) => ({
    target: dir(side),
    from: [...LAYERS, ...Object.keys(BESIDE)].filter((l) => l !== side && !allowed.includes(l)).map(dir),
    message: `${side}/ stands apart from the hub: it imports only ${allowed.join(', ')}.`,
  })),
  // Production code never leans on tests (test files themselves may import across layers).
  { target: './src', from: './test', message: 'src/ does not import from test/.' },
  { target: './src', from: './src/**/*.test.ts', message: 'src/ does not import test files.' },
];

/**
 * Queries are written in store/ only: a layer above calls a named store function, so every
 * statement the hub runs is found (and indexed, and run on both dialects) in one folder.
 */
const QUERY_BUILDERS = [
  'selectFrom',
  'insertInto',
  'updateTable',
  'deleteFrom',
  'replaceInto',
  'mergeInto',
  'with',
];
const SQL_OUTSIDE_STORE = 'Queries live in store/: add a named function there and call it.';
const noSqlOutsideStore = [
  {
    selector: `CallExpression[callee.type='MemberExpression'][callee.property.name=/^(${QUERY_BUILDERS.join('|')})$/][arguments.0.type='Literal']`,
    message: SQL_OUTSIDE_STORE,
  },
  { selector: "TaggedTemplateExpression[tag.name='sql']", message: SQL_OUTSIDE_STORE },
  { selector: "ImportDeclaration[source.value='kysely'][importKind!='type']", message: SQL_OUTSIDE_STORE },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/peers/**', 'bench/results/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: Object.fromEntries(
        [
          'process',
          'console',
          'URL',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'fetch',
          'Buffer',
          'AbortSignal',
          'performance',
        ].map((g) => [g, 'readonly']),
      ),
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Sources import `./x.js`; the file on disk is `./x.ts`, which must also be read (for cycles).
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones }],
      // Type-only imports are erased at run time and are not counted.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/store/**'],
    rules: { 'no-restricted-syntax': ['error', ...noSqlOutsideStore] },
  },
);
