/** config/production.example.yaml loads and names every real carrier, its secrets only as ${ENV}. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadHubConfig } from '../src/hub/config.js';

const file = fileURLToPath(new URL('../config/production.example.yaml', import.meta.url));
const text = readFileSync(file, 'utf8');
const vars = [...new Set([...text.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!))];

describe('the example production config', () => {
  it('loads with every ${VAR} set and routes to the real carriers', () => {
    const env = Object.fromEntries(
      vars.map((v) => [v, v === 'SHOPIFY_SHOP' ? 'acme' : `v${vars.indexOf(v)}`]),
    );
    const config = loadHubConfig(file, env);
    for (const id of ['fourpx', 'yunexpress', 'ups', 'cainiao'])
      expect(config.partners[id]?.kind).toBe('carrier');
    expect(config.routing.default).toBe('yunexpress');
  });

  it('holds no secret literally: every credential is a ${VAR}', () => {
    for (const m of text.matchAll(
      /^\s+(appSecret|apiSecret|clientSecret|accessToken|webhookSecret|appKey|clientId|session): (.*)$/gm,
    )) {
      expect([m[1], m[2]]).toEqual([m[1], expect.stringMatching(/^\$\{[A-Z0-9_]+\}$/)]);
    }
  });

  it('refuses to start without a carrier secret, naming the field', () => {
    const env = Object.fromEntries(
      vars.filter((v) => v !== 'UPS_CLIENT_SECRET').map((v) => [v, `x-${v.toLowerCase()}`]),
    );
    expect(() => loadHubConfig(file, env)).toThrow(/UPS_CLIENT_SECRET|clientSecret/);
  });
});
