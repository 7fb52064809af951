import { describe, expect, it } from 'vitest';
import { lineOfPath, pointerSegments, problemAt, readYamlSource } from './yaml-source.js';

const TEXT = [
  'partners:',
  '  alpha:',
  '    kind: carrier',
  '    channels:',
  '      - url: a',
  '      - url: b',
  '',
].join('\n');

describe('yaml-source: every hand-edited file reports file:line: field message alike', () => {
  it('names the line of the deepest key present, through maps and sequences', () => {
    const { source } = readYamlSource(TEXT, 'c.yaml');
    expect(lineOfPath(source, ['partners', 'alpha', 'kind'])).toBe(3);
    expect(lineOfPath(source, ['partners', 'alpha', 'channels', 1, 'url'])).toBe(6);
  });

  it('points a missing field at the map that lacks it', () => {
    const { source } = readYamlSource(TEXT, 'c.yaml');
    expect(problemAt(source, ['partners', 'alpha', 'credentials'], 'is required')).toBe(
      'c.yaml:2: partners.alpha.credentials is required',
    );
  });

  it('reports syntax errors and duplicate keys with their line', () => {
    expect(readYamlSource('a: 1\na: 2\n', 'd.yaml').syntaxErrors[0]).toMatch(/^d\.yaml:2: /);
    expect(readYamlSource('a: [1,\n', 'e.yaml').syntaxErrors[0]).toMatch(/^e\.yaml:\d+: /);
  });

  it('decodes JSON pointer escapes', () => {
    expect(pointerSegments('/a~1b/0/c~0d')).toEqual(['a/b', '0', 'c~d']);
    expect(pointerSegments('')).toEqual([]);
  });
});
