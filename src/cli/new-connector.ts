/**
 * `waygate new connector --kind KIND --id ID`: a connector folder that compiles and passes its
 * own tests at once, from the templates in templates/connector/ (kept as files so they are
 * reviewed, linted by test/scaffold.test.ts, and shipped beside dist/), plus its one line in
 * src/connectors/registry.ts. Nothing is overwritten: an id already used is refused.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { KIND_FOLDERS, registryName } from '../connectors/catalogue.js';
import { PARTNER_KINDS, type PartnerKind } from '../connectors/types.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/connector/', import.meta.url));
const REGISTRY = 'src/connectors/registry.ts';
/** Lowercase kebab, starting with a letter (it becomes a TypeScript identifier), as partner ids allow. */
const ID_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** A request the scaffolder refuses; the message says why and what to do. */
export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

interface CapabilitySpec {
  flag: string;
  file: string;
  name: string;
  method: string;
}

export interface ScaffoldResult {
  /** The new folder, relative to the root. */
  folder: string;
  /** Every file written, relative to the root (the registry last). */
  files: string[];
}

function isKind(v: string): v is PartnerKind {
  return (PARTNER_KINDS as readonly string[]).includes(v);
}

function checkId(id: string): void {
  if (!ID_RE.test(id) || id.length < 2 || id.length > 63) {
    throw new ScaffoldError(
      `--id ${JSON.stringify(id)} is not a connector id: use lowercase kebab case, 2 to 63 characters, starting with a letter (e.g. acme-express)`,
    );
  }
}

function render(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (placeholder, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`template placeholder ${placeholder} has no value`);
    return value;
  });
}

/** Template files under dir, relative to it (recursively), skipping `capabilities.json`. */
function templateFiles(dir: string, under = ''): string[] {
  return readdirSync(join(dir, under))
    .sort()
    .flatMap((name) => {
      const rel = under ? `${under}/${name}` : name;
      if (statSync(join(dir, rel)).isDirectory()) return templateFiles(dir, rel);
      return name.endsWith('.tmpl') ? [rel] : [];
    });
}

interface Formatter {
  format(text: string, options: Record<string, unknown>): Promise<string>;
  resolveConfig(file: string): Promise<Record<string, unknown> | null>;
}

/**
 * The checkout's own prettier, when it has one (a development checkout does): the rendered
 * files then match `npm run format:check` whatever the id's length does to line breaks.
 */
async function checkoutFormatter(root: string): Promise<Formatter | undefined> {
  try {
    const entry = createRequire(join(root, 'package.json')).resolve('prettier');
    const mod = (await import(pathToFileURL(entry).href)) as Formatter & { default?: Formatter };
    return typeof mod.format === 'function' ? mod : mod.default;
  } catch {
    return undefined;
  }
}

export async function scaffoldConnector(opts: {
  kind: string;
  id: string;
  root: string;
}): Promise<ScaffoldResult> {
  const { kind, id, root } = opts;
  if (!isKind(kind))
    throw new ScaffoldError(`--kind ${JSON.stringify(kind)} is not one of ${PARTNER_KINDS.join(', ')}`);
  checkId(id);
  const registryFile = join(root, REGISTRY);
  if (!existsSync(registryFile)) {
    throw new ScaffoldError(
      `${root} is not a Waygate checkout (no ${REGISTRY}); run from the repository root or pass --root`,
    );
  }
  const registry = readFileSync(registryFile, 'utf8');
  const camel = registryName(id);
  const taken = PARTNER_KINDS.map((k) => `src/connectors/${KIND_FOLDERS[k]}/${id}`).find((f) =>
    existsSync(join(root, f)),
  );
  if (taken) throw new ScaffoldError(`a connector ${id} already exists (${taken}/); choose another --id`);
  if (new RegExp(`\\bas ${camel} \\}|/${id}/index\\.js'`).test(registry)) {
    throw new ScaffoldError(`a connector ${id} is already registered in ${REGISTRY}; choose another --id`);
  }

  const folder = `src/connectors/${KIND_FOLDERS[kind]}/${id}`;
  const words = id.split('-');
  const vars = {
    id,
    kind,
    kindFolder: KIND_FOLDERS[kind],
    camel,
    Pascal: words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(''),
    name: words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' '),
  };
  const out = new Map<string, string>();
  for (const dir of ['common', kind]) {
    for (const rel of templateFiles(join(TEMPLATES_DIR, dir))) {
      if (dir === 'common' && rel === 'capability.test.ts.tmpl') continue;
      out.set(rel.replace(/\.tmpl$/, ''), render(readFileSync(join(TEMPLATES_DIR, dir, rel), 'utf8'), vars));
    }
  }
  const capabilities = JSON.parse(
    readFileSync(join(TEMPLATES_DIR, kind, 'capabilities.json'), 'utf8'),
  ) as CapabilitySpec[];
  const testTemplate = readFileSync(join(TEMPLATES_DIR, 'common', 'capability.test.ts.tmpl'), 'utf8');
  for (const cap of capabilities) {
    out.set(
      `${cap.file}.test.ts`,
      render(testTemplate, {
        ...vars,
        capFlag: cap.flag,
        capFile: cap.file,
        capName: cap.name,
        capMethod: cap.method,
      }),
    );
  }

  // Everything is rendered and formatted before the first file is written: a template that
  // fails leaves the checkout untouched.
  const formatter = await checkoutFormatter(root);
  const ready: Array<[string, string]> = [];
  for (const [rel, text] of out) {
    const path = join(root, folder, rel);
    const options = formatter ? ((await formatter.resolveConfig(path)) ?? {}) : {};
    ready.push([path, formatter ? await formatter.format(text, { ...options, filepath: path }) : text]);
  }
  const files: string[] = [];
  for (const [path, text] of ready) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, { flag: 'wx' });
    files.push(relative(root, path));
  }
  const line = `export { connector as ${camel} } from './${KIND_FOLDERS[kind]}/${id}/index.js';\n`;
  writeFileSync(registryFile, registry.endsWith('\n') ? registry + line : `${registry}\n${line}`);
  files.push(REGISTRY);
  return { folder, files };
}

export function registerNewCommands(program: Command): void {
  const create = program.command('new').description('scaffold new code from the templates in templates/');
  create
    .command('connector')
    .description(
      'a connector folder (manifest, settings schema, client, one file per capability, code table, fixtures, tests) and its registry line',
    )
    .requiredOption('--kind <kind>', PARTNER_KINDS.join('|'))
    .requiredOption('--id <id>', 'connector id, lowercase kebab case (e.g. acme-express)')
    .option('--root <dir>', 'repository root', process.cwd())
    .action(async (opts: { kind: string; id: string; root: string }) => {
      const result = await scaffoldConnector(opts);
      process.stdout.write(
        `created ${result.folder}/ and registered it in ${REGISTRY}:\n${result.files.map((f) => `  ${f}`).join('\n')}\n` +
          `next: npx vitest run ${result.folder}/ — then fill in the partner's real API (docs/connectors.md)\n`,
      );
    });
}
