/**
 * Canonical text: what every string of the canonical model may hold. Names and addresses travel
 * to carriers as XML (carrier-beta), onto labels and into customs declarations; a character XML
 * 1.0 cannot carry makes the whole document not well-formed, and controls or invisible
 * noncharacters in a name are never what a shop meant. Refused at the edge, so nothing further
 * down has to cope:
 *
 * - C0 controls U+0000–U+001F (prose keeps tab and line feed; carriage return is refused too,
 *   since XML turns CR LF into LF and the text would not come back as sent) and C1 controls
 *   U+007F–U+009F;
 * - lone UTF-16 surrogates U+D800–U+DFFF (no character at all; UTF-8 cannot encode them);
 * - the noncharacters U+FDD0–U+FDEF, U+FFFE and U+FFFF;
 * - in one-line text also the line and paragraph separators U+2028, U+2029.
 *
 * The patterns are for JSON Schema validators compiled with the `u` flag (Ajv's default, which
 * Fastify's serializer shares): a surrogate pair there is one astral character, so emoji and
 * other astral characters pass, and only a lone surrogate matches the surrogate range.
 */
const ALWAYS = '\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF\\uFDD0-\\uFDEF\\uFFFE\\uFFFF';

export const MULTI_LINE_TEXT_PATTERN = `^[^${ALWAYS}]*$`;
export const SINGLE_LINE_TEXT_PATTERN = `^[^\\u0009\\u000A\\u2028\\u2029${ALWAYS}]*$`;

const single = new RegExp(SINGLE_LINE_TEXT_PATTERN, 'u');
const multi = new RegExp(MULTI_LINE_TEXT_PATTERN, 'u');

/** Whether `value` is canonical text (one line unless `lines` is `multi`). */
export function isCanonicalText(value: string, lines: 'single' | 'multi' = 'single'): boolean {
  return (lines === 'multi' ? multi : single).test(value);
}
