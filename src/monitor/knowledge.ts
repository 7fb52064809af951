/**
 * The fault knowledge base [003-8]: symptom, cause, fix and prevention of faults met before.
 * When an incident opens, its symptom (with the partner, interface and error code it names) is
 * matched against every entry by TF-IDF cosine similarity over words — and over character
 * bigrams of Chinese text, which has no spaces — and the best matches are offered with their
 * score (0–1).
 */
import type { OpKnowledgeTable } from '../store/operations.js';

/** Words of Latin text (lower-cased, ≥ 2 characters) and bigrams of CJK runs. */
export function tokens(text: string): string[] {
  const out: string[] = [];
  for (const w of text.toLowerCase().match(/[a-z0-9][a-z0-9_.-]*[a-z0-9]|[a-z0-9]{2,}/g) ?? []) {
    out.push(w);
    // `carrier-alpha` also matches `alpha`; `partner_timeout` also `timeout`.
    if (/[-_.]/.test(w)) for (const part of w.split(/[-_.]/)) if (part.length >= 2) out.push(part);
  }
  for (const run of text.match(/[\u3400-\u9fff]+/g) ?? []) {
    if (run.length === 1) out.push(run);
    for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
  }
  return out;
}

export interface Suggestion {
  id: string;
  symptom: string;
  cause: string;
  fix: string;
  prevention: string;
  score: number;
}

function vector(toks: readonly string[], idf: Map<string, number>): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of toks) tf.set(t, (tf.get(t) ?? 0) + 1);
  const v = new Map<string, number>();
  for (const [t, n] of tf) v.set(t, n * (idf.get(t) ?? 0));
  return v;
}

const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((a, x) => a + x * x, 0));

/** The entries most like `query`, best first, with a score in [0, 1]; none under `minScore`. */
export function searchKnowledge(
  entries: readonly OpKnowledgeTable[],
  query: string,
  opts: { limit?: number; minScore?: number } = {},
): Suggestion[] {
  if (entries.length === 0) return [];
  const docs = entries.map((e) => tokens(`${e.symptom} ${e.symptom} ${e.cause} ${e.tags}`));
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = new Map<string, number>();
  for (const [t, n] of df) idf.set(t, Math.log(1 + entries.length / n));
  const q = vector(tokens(query), idf);
  const qn = norm(q);
  if (qn === 0) return [];
  const scored = entries.map((e, i) => {
    const d = vector(docs[i]!, idf);
    let dot = 0;
    for (const [t, w] of q) dot += w * (d.get(t) ?? 0);
    const dn = norm(d);
    return {
      id: e.id,
      symptom: e.symptom,
      cause: e.cause,
      fix: e.fix,
      prevention: e.prevention,
      score: dn === 0 ? 0 : Math.round((dot / (qn * dn)) * 1000) / 1000,
    };
  });
  return scored
    .filter((s) => s.score >= (opts.minScore ?? 0.05))
    .sort((a, b) => b.score - a.score)
    .slice(0, opts.limit ?? 5);
}
