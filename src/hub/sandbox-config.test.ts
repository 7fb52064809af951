/**
 * The sandbox's list of simulated partners (src/sandbox/credentials.ts) agrees with the
 * connector registry: each simulated partner is a registered connector of the same kind and
 * issues exactly the credentials that connector's settings schema requires; the sandbox config
 * reads each of them from the environment variable sandboxEnv fills; and only carriers have
 * fault knobs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connectorFor } from '../connectors/catalogue.js';
import { requiredCredentials } from '../connectors/settings.js';
import { FAULT_PARTNERS, makeSandboxCredentials, SANDBOX_PARTNERS } from '../sandbox/credentials.js';
import { credentialEnvName, SANDBOX_CONFIG_FILE, sandboxEnv } from './sandbox-config.js';

const yaml = readFileSync(SANDBOX_CONFIG_FILE, 'utf8');

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

  it('gives fault knobs to carriers and the warehouse only', () => {
    expect(FAULT_PARTNERS).toEqual(
      expect.arrayContaining(['carrier-alpha', 'carrier-beta', 'fourpx', 'sandbox-warehouse']),
    );
    for (const id of FAULT_PARTNERS) expect(['carrier', 'warehouse']).toContain(SANDBOX_PARTNERS[id].kind);
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
