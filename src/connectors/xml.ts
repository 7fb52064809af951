/**
 * Hardened XML for every XML dialect the hub reads (carrier XML, later SOAP and customs CEB)
 * and for the sandbox partners that answer in XML. Documents with a DTD are refused before
 * parsing (no XXE, no billion laughs), the parser never expands entities, and values stay
 * strings. Only the five predefined XML entities and numeric character references are decoded,
 * which cannot expand.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { containsDtd } from '../security/xml-safety.js';

export class UnsafeXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeXmlError';
  }
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : whole;
    }
    return PREDEFINED[ref] ?? whole;
  });
}

/** What one partner XML document may hold; the parser's cost grows with these, so they are bounded. */
export interface XmlLimits {
  maxDepth: number;
  maxElements: number;
  maxAttributesPerElement: number;
  maxAttributes: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxDepth: 64,
  maxElements: 100_000,
  maxAttributesPerElement: 64,
  maxAttributes: 200_000,
};

/**
 * One linear pass over the text, before the parser sees it: counts elements and attributes and
 * tracks nesting, skipping comments, CDATA and processing instructions. Throws UnsafeXmlError at
 * the first limit passed, so a hostile document costs at most one scan.
 */
export function checkXmlShape(xml: string, limits: XmlLimits = DEFAULT_XML_LIMITS): void {
  let depth = 0;
  let elements = 0;
  let attributes = 0;
  let i = xml.indexOf('<');
  while (i !== -1 && i < xml.length) {
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      i = end === -1 ? -1 : xml.indexOf('<', end + 3);
      continue;
    }
    if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i + 9);
      i = end === -1 ? -1 : xml.indexOf('<', end + 3);
      continue;
    }
    if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i + 2);
      i = end === -1 ? -1 : xml.indexOf('<', end + 2);
      continue;
    }
    const closing = xml[i + 1] === '/';
    // The end of the tag: the first '>' outside a quoted attribute value.
    let j = i + 1;
    let quote = '';
    let attrs = 0;
    for (; j < xml.length; j++) {
      const c = xml[j];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (c === '=') {
        attrs++;
      } else if (c === '>') {
        break;
      }
    }
    if (j >= xml.length) break; // unterminated: the parser reports it
    if (closing) {
      depth = Math.max(0, depth - 1);
    } else {
      elements++;
      attributes += attrs;
      if (attrs > limits.maxAttributesPerElement) {
        throw new UnsafeXmlError(`an element has more than ${limits.maxAttributesPerElement} attributes`);
      }
      if (xml[j - 1] !== '/') depth++;
      if (depth > limits.maxDepth) throw new UnsafeXmlError(`elements nest deeper than ${limits.maxDepth}`);
      if (elements > limits.maxElements) throw new UnsafeXmlError(`more than ${limits.maxElements} elements`);
      if (attributes > limits.maxAttributes)
        throw new UnsafeXmlError(`more than ${limits.maxAttributes} attributes`);
    }
    i = xml.indexOf('<', j + 1);
  }
}

/**
 * Throws UnsafeXmlError for a DTD or a document past the shape limits, and the parser's own
 * error for XML that is not well-formed.
 */
export function parseXml(
  xml: string,
  arrayTags: readonly string[] = [],
  limits: XmlLimits = DEFAULT_XML_LIMITS,
): Record<string, unknown> {
  if (containsDtd(xml)) throw new UnsafeXmlError('XML with a DTD or entity declarations is refused');
  checkXmlShape(xml, limits);
  const arrays = new Set(arrayTags);
  const parser = new XMLParser({
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    ignoreDeclaration: true,
    ignorePiTags: true,
    trimValues: true,
    tagValueProcessor: (_tag, value) => decodeXmlText(value),
    attributeValueProcessor: (_name, value) => decodeXmlText(value),
    isArray: (tag) => arrays.has(tag),
  });
  const doc: unknown = parser.parse(xml, true);
  if (typeof doc !== 'object' || doc === null) throw new Error('not an XML document');
  return doc as Record<string, unknown>;
}

const builder = new XMLBuilder({
  format: true,
  indentBy: '  ',
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  processEntities: true,
});

export function buildXml(doc: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${(builder.build(doc) as string).trimEnd()}`;
}

/** Read helpers over the parser's loose output. */
export function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function list(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

export function text(parent: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = parent?.[key];
  if (typeof v === 'string') return v;
  const o = obj(v);
  if (o && typeof o['#text'] === 'string') return o['#text'];
  return undefined;
}
