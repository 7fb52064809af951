import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, WaygateError } from '../domain/index.js';
import { renderErrorDocs } from './errors-doc.js';

describe('the error catalogue', () => {
  it('docs/errors.md is the catalogue as generated (run `npm run docs:errors` when this fails)', () => {
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorDocs());
  });

  it('gives every code a 4xx or 5xx status and a message', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
      expect(spec.message.length).toBeGreaterThan(0);
    }
  });

  it('takes the status from the catalogue and fills the template from the details', () => {
    const e = new WaygateError('payload_too_large', undefined, { limitBytes: 1024 });
    expect(e.status).toBe(413);
    expect(e.message).toBe('the request body is larger than 1024 bytes');
    expect(new WaygateError('order_not_found', 'no order 42').message).toBe('no order 42');
  });
});
