/**
 * Every string of the web console is in both translation files [001-4.4]: the same keys in
 * English and Simplified Chinese, none empty, every key the code names present, and no text
 * written into the pages outside them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const WEB = join(import.meta.dirname, '..', 'web', 'src');
const load = (lng: string) =>
  JSON.parse(readFileSync(join(WEB, 'locales', `${lng}.json`), 'utf8')) as unknown;

function flatten(v: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof x === 'string') out.set(key, x);
    else for (const [kk, xx] of flatten(x, key)) out.set(kk, xx);
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const en = flatten(load('en'));
const zh = flatten(load('zh-CN'));
const code = sources(WEB).map((f) => ({ f, text: readFileSync(f, 'utf8') }));

describe('console translations', () => {
  it('has the same keys in English and Chinese, none empty, Chinese text in Chinese', () => {
    expect([...zh.keys()].sort()).toEqual([...en.keys()].sort());
    for (const [k, v] of [...en, ...zh]) expect(v.trim(), k).not.toBe('');
    const untranslated = [...zh].filter(([k, v]) => v === en.get(k) && /[a-z]{3}/i.test(v)).map(([k]) => k);
    expect(untranslated).toEqual([]);
    for (const [k, v] of en)
      expect(new Set(v.match(/{{\w+}}/g)), k).toEqual(new Set(zh.get(k)?.match(/{{\w+}}/g)));
  });

  it('knows every key the pages ask for', () => {
    const missing: string[] = [];
    for (const { f, text } of code)
      for (const m of text.matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g))
        if (!en.has(m[1] as string)) missing.push(`${f}: ${m[1]}`);
    expect(missing).toEqual([]);
  });

  it('writes no English words straight into the markup', () => {
    // JSX text between tags that is not an expression: `<p>Some words</p>`.
    const literal: string[] = [];
    for (const { f, text } of code)
      for (const m of text.matchAll(/(?<![=-])>\s*([A-Za-z][A-Za-z ,.'!?]{2,})\s*</g))
        literal.push(`${f}: ${m[1]}`);
    expect(literal).toEqual([]);
  });
});
