/**
 * Bounded JSON for partner answers. The body is already size-limited by the HTTP client; this
 * bounds its shape before JSON.parse builds it (4 MB of `[` nests a million levels deep and takes
 * seconds to parse, and every walker after it would recurse as deep), with one linear scan.
 */
export interface JsonLimits {
  maxDepth: number;
  /** Values (scalars, arrays and objects) in the document. */
  maxValues: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 64, maxValues: 500_000 };

export class UnsafeJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeJsonError';
  }
}

/** Throws UnsafeJsonError past a limit; does not check the syntax (JSON.parse does). */
export function checkJsonShape(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): void {
  let depth = 0;
  let values = 0;
  let inString = false;
  let scalar = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      values++;
      scalar = false;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      values++;
      scalar = false;
      if (depth > limits.maxDepth) throw new UnsafeJsonError(`JSON nests deeper than ${limits.maxDepth}`);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
      scalar = false;
    } else if (c === 0x2c || c === 0x3a || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      scalar = false;
    } else if (!scalar) {
      // The first character of a number, true, false or null.
      scalar = true;
      values++;
    }
    if (values > limits.maxValues)
      throw new UnsafeJsonError(`JSON holds more than ${limits.maxValues} values`);
  }
}

/** JSON.parse behind the shape check; throws UnsafeJsonError or the parser's SyntaxError. */
export function parseJson(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): unknown {
  checkJsonShape(text, limits);
  return JSON.parse(text) as unknown;
}
