/**
 * Limits on the shape of a JSON body beyond its size [004-5] (OWASP API4): a small body can
 * still nest ten thousand levels deep or carry a million keys, which costs validation and
 * every later walk over it. Checked right after parsing, before any schema sees it.
 */
export interface BodyShapeLimits {
  maxDepth: number;
  maxNodes: number;
}

export const DEFAULT_BODY_SHAPE: BodyShapeLimits = { maxDepth: 32, maxNodes: 100_000 };

/** A message saying which limit the value exceeds, or undefined when it fits. */
export function checkBodyShape(value: unknown, limits: BodyShapeLimits): string | undefined {
  // Iterative walk: a recursive one would itself overflow the stack on the attack it stops.
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number };
    if (++nodes > limits.maxNodes) return `the body has more than ${limits.maxNodes} values`;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limits.maxDepth) return `the body nests deeper than ${limits.maxDepth} levels`;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const c of children) stack.push({ v: c, depth: depth + 1 });
  }
  return undefined;
}
