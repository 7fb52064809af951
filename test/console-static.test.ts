/** The web console at `/`: only the built files, under a strict Content-Security-Policy. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshStore } from './helpers/stores.js';
import { gatewayFor } from './helpers/gateway.js';

describe('the console at /', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'waygate-console-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves only the built files, under a strict CSP, cached by content hash', async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><title>t</title><script type="module" src="/assets/a-1.js"></script>',
    );
    writeFileSync(join(dir, 'assets', 'a-1.js'), 'console.log(1)');
    const store = await freshStore('sqlite');
    const gw = await gatewayFor(store, {}, { consoleDir: dir });
    try {
      const page = await gw.app.inject({ method: 'GET', url: '/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      const csp = String(page.headers['content-security-policy']);
      for (const d of [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
      ])
        expect(csp).toContain(d);
      expect(csp).not.toMatch(/unsafe-(inline|eval)/);
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
      const asset = await gw.app.inject({ method: 'GET', url: '/assets/a-1.js' });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toContain('immutable');
      for (const url of [
        '/../package.json',
        '/assets/../../package.json',
        '/%2e%2e/package.json',
        '/nope.js',
      ]) {
        const res = await gw.app.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(404);
      }
      // The API keeps its own answers: no CSP rewrite, JSON errors.
      const api = await gw.app.inject({ method: 'GET', url: '/v1/orders' });
      expect(api.statusCode).toBe(401);
      expect(api.headers['content-security-policy']).toBeUndefined();
    } finally {
      await gw.app.close();
      await store.destroy();
    }
  });

  it('says how to build the console when it is not built', async () => {
    const store = await freshStore('sqlite');
    const gw = await gatewayFor(store, {}, { consoleDir: join(dir, 'missing') });
    try {
      const res = await gw.app.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('npm run build');
    } finally {
      await gw.app.close();
      await store.destroy();
    }
  });
});
