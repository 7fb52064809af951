/**
 * YAML read with its source positions, so every hand-edited file the hub loads (config, rate
 * cards, policy, alert rules) reports problems the same way: `file:line: field message`. One
 * place decides how a syntax error and a schema path become a line.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

/** Parse `text`; syntax errors come back as `file:line: message` lines (empty when sound). */
export function readYamlSource(
  text: string,
  file: string,
  options: { uniqueKeys?: boolean } = {},
): { source: YamlSource; syntaxErrors: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    prettyErrors: true,
    lineCounter: lines,
    uniqueKeys: options.uniqueKeys ?? true,
  });
  const syntaxErrors = doc.errors.map(
    (e) => `${file}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0] ?? 'is not valid YAML'}`,
  );
  return { source: { file, text, doc, lines }, syntaxErrors };
}

/**
 * The line of the deepest key of `path` present in the document: the key itself when it is
 * there, else (a missing field) the line of the map that lacks it; `?` when nothing matches.
 */
export function lineOfPath(source: YamlSource, path: readonly (string | number)[]): number | '?' {
  let node: unknown = source.doc.contents;
  let offset: number | undefined = (node as Node | null)?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? '?' : source.lines.linePos(offset).line;
}

/** The first line mentioning `needle`, for values the schema cannot place (after interpolation). */
export function lineMentioning(source: Pick<YamlSource, 'text'>, needle: string): number | '?' {
  const idx = source.text.indexOf(needle);
  return idx < 0 ? '?' : source.text.slice(0, idx).split('\n').length;
}

/** `file:line: field message` for a problem at `path`. */
export function problemAt(source: YamlSource, path: readonly (string | number)[], message: string): string {
  return `${source.file}:${lineOfPath(source, path)}: ${path.join('.') || '(root)'} ${message}`;
}

/** A schema validator's JSON pointer (`/a/0/b`) as path segments. */
export function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}
