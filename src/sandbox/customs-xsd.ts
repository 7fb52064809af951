/**
 * The sandbox customs checks what it receives against the official CEB 2022-05 XSDs, as the
 * single window does, with libxml2's own validator (xmllint-wasm). It finds the customs
 * authority's specification pack where the test setup and the hub look for it
 * (`WAYGATE_CEB_XSD_DIR`, `/usr/share/waygate/customs-ceb-202205/xsd`, then the reference folder
 * beside the repository) — its own lookup, not the connector's. Without the pack it cannot judge a
 * message, and says so (`CebPackMissing`), instead of accepting everything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML } from 'xmllint-wasm';

export const PACK_FILES = [
  'import-business-202205.xsd',
  'export-business-202205.xsd',
  'transfer-node-202205.xsd',
  'terminal-node-202205.xsd',
  'xmldsig-core-schema.xsd',
] as const;

export type CebSchema = 'import' | 'export' | 'transfer';
const MAIN: Record<CebSchema, (typeof PACK_FILES)[number]> = {
  import: 'import-business-202205.xsd',
  export: 'export-business-202205.xsd',
  transfer: 'transfer-node-202205.xsd',
};

/** Where the pack is looked for, first match wins. */
export function packDirs(): string[] {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  return [
    ...(process.env.WAYGATE_CEB_XSD_DIR ? [process.env.WAYGATE_CEB_XSD_DIR] : []),
    '/usr/share/waygate/customs-ceb-202205/xsd',
    resolve(repo, '../shared/reference/customs-ceb-202205/xsd'),
    resolve(repo, '../../shared/reference/customs-ceb-202205/xsd'),
  ];
}

export class CebPackMissing extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CebPackMissing';
  }
}

interface Pack {
  dir: string;
  files: Record<string, string>;
}
const loaded = new Map<string, Pack>();

/** The pack in `dir` (or the first default folder holding it); throws CebPackMissing saying where it looked. */
export function loadPack(dir?: string): Pack {
  const candidates = dir ? [dir] : packDirs();
  const found = candidates.find((d) => existsSync(join(d, MAIN.import)));
  if (!found)
    throw new CebPackMissing(
      `sandbox customs cannot check messages: the CEB 2022-05 XSD pack was not found (looked in ${candidates.join(', ')}); point WAYGATE_CEB_XSD_DIR at the xsd folder of the customs specification pack`,
    );
  const cached = loaded.get(found);
  if (cached) return cached;
  const files: Record<string, string> = {};
  for (const name of PACK_FILES) {
    const path = join(found, name);
    if (!existsSync(path)) throw new CebPackMissing(`the CEB XSD folder ${found} lacks ${name}`);
    files[name] = readFileSync(path, 'utf8');
  }
  // The transfer schema includes the terminal one by its Chinese file name (终端节点报文.xsd),
  // which libxml2 compiled to WebAssembly cannot open: it is the same file under its pack name.
  files['transfer-node-202205.xsd'] = files['transfer-node-202205.xsd']!.replace(
    /schemaLocation="[^"]*终端节点报文\.xsd"/,
    'schemaLocation="terminal-node-202205.xsd"',
  );
  const pack = { dir: found, files };
  loaded.set(found, pack);
  return pack;
}

/** Whether the pack can be found, and if not, the sentence saying so. */
export function packStatus(dir?: string): { found: true; dir: string } | { found: false; reason: string } {
  try {
    return { found: true, dir: loadPack(dir).dir };
  } catch (err) {
    if (err instanceof CebPackMissing) return { found: false, reason: err.message };
    throw err;
  }
}

export interface SchemaProblem {
  /** Local name of the element at fault. */
  element: string;
  /** The XSD rule broken: a facet (maxLength, length…), `missing`, `unexpected`, `type`, `wellFormed`… */
  rule: string;
  line: number | null;
  message: string;
}

const ELEMENT = /Element '(?:\{[^}]*\})?([^']+)'/;
const FACET = /\[facet '([^']+)'\]/;

function problemOf(message: string, line: number | null): SchemaProblem {
  const text = message.replace(/^.*?(Schemas validity error|parser error) : /, '').trim();
  let rule = FACET.exec(message)?.[1];
  if (!rule) {
    if (/parser error/.test(message)) rule = 'wellFormed';
    else if (/Missing child element/.test(message)) rule = 'missing';
    else if (/is not expected/.test(message)) rule = 'unexpected';
    else if (/not a valid value/.test(message)) rule = 'type';
    else if (/attribute/i.test(message)) rule = 'attribute';
    else rule = 'schema';
  }
  const element =
    ELEMENT.exec(message)?.[1] ??
    /(?:tag mismatch|Opening and ending tag mismatch): (\S+)/.exec(message)?.[1] ??
    '(document)';
  return { element, rule, line, message: text };
}

/**
 * Validates documents against one schema of the pack, in one run of the validator (compiling the
 * schema is most of the cost, so a round of received messages is checked together). Every
 * problem names its element and rule; a problem the validator could not tie to a document sends
 * each document of the round through on its own.
 */
export async function validateAll(
  schema: CebSchema,
  docs: readonly string[],
  dir?: string,
): Promise<Array<{ valid: boolean; problems: SchemaProblem[] }>> {
  if (docs.length === 0) return [];
  const pack = loadPack(dir);
  const main = MAIN[schema];
  const names = docs.map((_, i) => `received-${i}.xml`);
  const result = await validateXML({
    xml: docs.map((contents, i) => ({ fileName: names[i]!, contents })),
    schema: [{ fileName: main, contents: pack.files[main]! }],
    preload: PACK_FILES.filter((f) => f !== main).map((f) => ({ fileName: f, contents: pack.files[f]! })),
  });
  const verdicts = docs.map(() => ({ valid: true, problems: [] as SchemaProblem[] }));
  let untied = !result.valid && result.errors.length === 0;
  for (const e of result.errors) {
    const i = names.findIndex((n) => e.loc?.fileName === n || e.rawMessage.startsWith(`${n}:`));
    if (i < 0) untied = true;
    else {
      verdicts[i]!.valid = false;
      verdicts[i]!.problems.push(problemOf(e.message, e.loc?.lineNumber ?? null));
    }
  }
  if (untied && docs.length > 1)
    return (await Promise.all(docs.map((d) => validateAll(schema, [d], dir)))).map((v) => v[0]!);
  if (untied)
    verdicts[0] = {
      valid: false,
      problems: [
        ...verdicts[0]!.problems,
        ...(result.errors.length
          ? result.errors.map((e) => problemOf(e.message, e.loc?.lineNumber ?? null))
          : [{ element: '(document)', rule: 'schema', line: null, message: result.rawOutput.trim() }]),
      ],
    };
  return verdicts;
}
