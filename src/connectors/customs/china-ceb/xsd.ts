/**
 * Every CEB message is validated against the official 2022-05 XSDs before it is signed or sent
 * [000-16], with libxml2's validator (xmllint-wasm: the real xmllint compiled to WebAssembly, not
 * a subset). A failure names the element, the rule it broke and the line.
 *
 * The XSDs are the customs authority's, distributed in its specification pack: the hub reads them
 * from a folder (`customs.xsdDir`, `WAYGATE_CEB_XSD_DIR`) and checks each file's SHA-256 against
 * the 2022-05 edition, so a wrong or edited schema is refused instead of trusted.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';

/** SHA-256 of each file of the 2022-05 pack (海关跨境电商统一版 报文规范 202205). */
export const XSD_EDITION_202205: Readonly<Record<string, string>> = {
  'import-business-202205.xsd': '4cddfc3e65a788cbdb64c3e0a9e2fed6fc1edd8fa41681892c5e08e12c45fb22',
  'export-business-202205.xsd': 'f20f6739350966bc9d50a3553feadf0025187fe9e2a89e82476ec0f905362cfa',
  'transfer-node-202205.xsd': 'c0bab9eab130fc74193c90403129a8a67e93406ce94bf0c5ff75e4cc31978fdd',
  'terminal-node-202205.xsd': 'eaa8be57310a7f01de394daf7d4a15f62dca44386acf0a28e5fb9dc5c962255d',
  'xmldsig-core-schema.xsd': 'c040e02d730fd327db8f3013ace1eb5621afd43a119f7f70b23c7523542a7ec8',
};

/** Where the pack is looked for when no folder is configured, first match wins. */
export function defaultXsdDirs(): string[] {
  const repo = fileURLToPath(new URL('../../../../', import.meta.url));
  return [
    ...(process.env.WAYGATE_CEB_XSD_DIR ? [process.env.WAYGATE_CEB_XSD_DIR] : []),
    '/usr/share/waygate/customs-ceb-202205/xsd',
    resolve(repo, '../shared/reference/customs-ceb-202205/xsd'),
    resolve(repo, '../../shared/reference/customs-ceb-202205/xsd'),
  ];
}

export class XsdUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XsdUnavailable';
  }
}

export type SchemaName = 'import' | 'export' | 'transfer';

export interface XsdProblem {
  /** Local name of the element at fault (or the root, for a missing child). */
  element: string;
  /** The rule: an XSD facet (maxLength, length, fractionDigits…), `sequence`, `missing`, `type`… */
  rule: string;
  line: number | null;
  message: string;
}

export interface XsdVerdict {
  valid: boolean;
  problems: XsdProblem[];
}

interface Pack {
  dir: string;
  files: Record<string, string>;
}

const packs = new Map<string, Pack>();

/** Reads and checks the pack in `dir` (or the first default folder that has it). */
export function loadXsdPack(dir?: string): Pack {
  const candidates = dir ? [dir] : defaultXsdDirs();
  const found = candidates.find((d) => existsSync(join(d, 'import-business-202205.xsd')));
  if (!found)
    throw new XsdUnavailable(
      `no CEB 2022-05 XSD folder found (looked in ${candidates.join(', ')}); set customs.xsdDir or WAYGATE_CEB_XSD_DIR to the folder of the customs specification pack`,
    );
  const cached = packs.get(found);
  if (cached) return cached;
  const files: Record<string, string> = {};
  for (const [name, digest] of Object.entries(XSD_EDITION_202205)) {
    const path = join(found, name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new XsdUnavailable(`${path} is missing from the XSD folder`);
    }
    const actual = createHash('sha256').update(text).digest('hex');
    if (actual !== digest)
      throw new XsdUnavailable(`${path} is not the 2022-05 edition (SHA-256 ${actual.slice(0, 16)}…)`);
    files[name] = text;
  }
  // The transfer schema includes the terminal one by its Chinese file name, which libxml2 in
  // WebAssembly cannot turn into a URI: point it at the same file under its pack name.
  files['transfer-node-202205.xsd'] = files['transfer-node-202205.xsd']!.replace(
    'schemaLocation="终端节点报文.xsd"',
    'schemaLocation="terminal-node-202205.xsd"',
  );
  const pack = { dir: found, files };
  packs.set(found, pack);
  return pack;
}

const MAIN: Record<SchemaName, string> = {
  import: 'import-business-202205.xsd',
  export: 'export-business-202205.xsd',
  transfer: 'transfer-node-202205.xsd',
};

function preloads(pack: Pack, main: string): XMLFileInfo[] {
  const out: XMLFileInfo[] = [];
  for (const [name, text] of Object.entries(pack.files)) {
    if (name === main) continue;
    out.push({ fileName: name, contents: text });
  }
  return out;
}

const ELEMENT = /Element '(?:\{[^}]*\})?([^']+)'/;
const FACET = /\[facet '([^']+)'\]/;

export function describeProblem(message: string, line: number | null): XsdProblem {
  const element = ELEMENT.exec(message)?.[1] ?? '(document)';
  let rule = FACET.exec(message)?.[1];
  if (!rule) {
    if (/Missing child element/.test(message)) rule = 'missing';
    else if (/is not expected/.test(message)) rule = 'sequence';
    else if (/is not a valid value of the atomic type|is not a valid value/.test(message)) rule = 'type';
    else if (/attribute/i.test(message)) rule = 'attribute';
    else if (/fixed/.test(message)) rule = 'fixed';
    else rule = 'schema';
  }
  const text = message.replace(/^.*?Schemas validity error : /, '').trim();
  return { element, rule, line, message: text };
}

/**
 * Validates `xml` against schema `name`. With `signatureLater`, the one problem allowed is the
 * `ds:Signature` the XSD requires of some messages (CEB621, 623, 625) and that signing adds next.
 */
export async function validateCeb(
  xml: string,
  name: SchemaName,
  opts: { dir?: string; signatureLater?: boolean } = {},
): Promise<XsdVerdict> {
  const pack = loadXsdPack(opts.dir);
  const main = MAIN[name];
  const result = await validateXML({
    xml: [{ fileName: 'message.xml', contents: xml }],
    schema: [{ fileName: main, contents: pack.files[main]! }],
    preload: preloads(pack, main),
  });
  let problems = result.errors.map((e) => describeProblem(e.message, e.loc?.lineNumber ?? null));
  if (opts.signatureLater)
    problems = problems.filter(
      (p) =>
        !(
          p.rule === 'missing' &&
          /Expected is (one of )?\(.*\{http:\/\/www\.w3\.org\/2000\/09\/xmldsig#\}Signature/.test(p.message)
        ),
    );
  if (!result.valid && problems.length === 0 && !opts.signatureLater)
    problems = [{ element: '(document)', rule: 'schema', line: null, message: result.rawOutput.trim() }];
  return { valid: problems.length === 0, problems };
}
