/**
 * The one rule for XML from outside: DTD syntax of every kind, anywhere, refuses the document
 * before a parser sees it (no XXE, no entity expansion). Shared by the hub's XML reader and
 * the XML-DSig verifier so the two can never drift apart.
 */
const DTD_RE = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i;

export function containsDtd(xml: string): boolean {
  return DTD_RE.test(xml);
}
