/**
 * A small writer for CEB documents: elements in the XSD's order, text escaped, optional elements
 * left out when they have no value. Canonical text has no control characters (domain/text.ts), so
 * escaping the five XML specials is all a value needs.
 */

export type XmlNode = readonly [name: string, content: string | readonly XmlNode[] | undefined];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
export const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

export const el = (name: string, content: string | readonly XmlNode[] | undefined): XmlNode => [
  name,
  content,
];

function write(node: XmlNode, prefix: string, indent: string, out: string[]): void {
  const [name, content] = node;
  if (content === undefined) return;
  const tag = `${prefix}${name}`;
  if (typeof content === 'string') {
    out.push(`${indent}<${tag}>${escapeXml(content)}</${tag}>`);
    return;
  }
  out.push(`${indent}<${tag}>`);
  for (const child of content) write(child, prefix, `${indent}\t`, out);
  out.push(`${indent}</${tag}>`);
}

export const CEB_NS = 'http://www.chinaport.gov.cn/ceb';

/** A whole CEB message: `<ceb:CEBnnnMessage guid=… version="1.0" xmlns:ceb=…>` around `body`. */
export function cebDocument(root: string, guid: string, body: readonly XmlNode[]): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<ceb:${root} guid="${escapeXml(guid)}" version="1.0" xmlns:ceb="${CEB_NS}">`,
  ];
  for (const node of body) write(node, 'ceb:', '\t', out);
  out.push(`</ceb:${root}>`);
  return `${out.join('\n')}\n`;
}
