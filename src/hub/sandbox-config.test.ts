/**
 * The sandbox's list of simulated partners (src/sandbox/credentials.ts) agrees with the
 * connector registry: each simulated partner is a registered connector of the same kind and
 * issues exactly the credentials that connector's settings schema requires; a sandbox config
 * (config/sandbox.yaml, or config/sandbox-real.yaml for the real-dialect platforms) reads each of
 * them from the environment variable sandboxEnv fills; and the invented shop has no fault knobs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectorFor } from '../connectors/catalogue.js';
import { requiredCredentials } from '../connectors/settings.js';
import { FAULT_PARTNERS, makeSandboxCredentials, SANDBOX_PARTNERS } from '../sandbox/credentials.js';
import { credentialEnvName, SANDBOX_CONFIG_FILE, sandboxEnv } from './sandbox-config.js';

const REAL_PARTNERS_CONFIG = fileURLToPath(new URL('../../config/sandbox-real.yaml', import.meta.url));
const yaml = [SANDBOX_CONFIG_FILE, REAL_PARTNERS_CONFIG].map((f) => readFileSync(f, 'utf8')).join('\n');

describe('the sandbox partners and the connector registry', () => {
  it.each(Object.entries(SANDBOX_PARTNERS))(
    '%s is a registered connector with the same credentials',
    (id, spec) => {
      const def = connectorFor(spec.kind, id);
      expect(def?.manifest.id).toBe(id);
      expect(Object.keys(spec.credentials).sort()).toEqual(
        requiredCredentials(def!.manifest.settings).sort(),
      );
      for (const field of Object.keys(spec.credentials)) {
        expect(yaml).toContain(`${field}: \${${credentialEnvName(id, field)}}`);
      }
    },
  );

  it('gives fault knobs to carriers, the warehouse and the real-dialect platforms, not the invented shop', () => {
    expect(FAULT_PARTNERS).toEqual(
      expect.arrayContaining(['carrier-alpha', 'carrier-beta', 'fourpx', 'sandbox-warehouse', 'shopify']),
    );
    expect(FAULT_PARTNERS).not.toContain('sandbox-shop');
    for (const id of FAULT_PARTNERS)
      expect(['carrier', 'warehouse', 'platform']).toContain(SANDBOX_PARTNERS[id].kind);
  });

  it('issues fresh, non-empty credentials and hands each to the config by its variable', () => {
    const a = makeSandboxCredentials();
    const b = makeSandboxCredentials();
    const env = sandboxEnv('http://127.0.0.1:1', a);
    for (const [id, fields] of Object.entries(a)) {
      for (const [field, value] of Object.entries(fields as Record<string, string>)) {
        expect(value.length).toBeGreaterThan(0);
        expect(value).not.toBe((b as unknown as Record<string, Record<string, string>>)[id]![field]);
        expect(env[credentialEnvName(id, field)]).toBe(value);
      }
    }
    expect(credentialEnvName('carrier-alpha', 'apiToken')).toBe('CARRIER_ALPHA_API_TOKEN');
  });
});
