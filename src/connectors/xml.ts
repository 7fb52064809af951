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

/** Throws UnsafeXmlError for a DTD, and the parser's own error for XML that is not well-formed. */
export function parseXml(xml: string, arrayTags: readonly string[] = []): Record<string, unknown> {
  if (containsDtd(xml)) throw new UnsafeXmlError('XML with a DTD or entity declarations is refused');
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
