/**
 * The connector contract, checked for every registered connector: the same folder layout, a
 * manifest whose capability flags match the methods the connector has, a settings schema of
 * non-empty string credentials that the connector enforces when built, and a code table with a
 * declared fallback. A connector added to registry.ts is held to all of it at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONNECTORS, KIND_FOLDERS, registryName } from './catalogue.js';
import type { HttpClient } from './http.js';
import { ConnectorSettingsError, requiredCredentials } from './settings.js';
import { CAPABILITIES, CAPABILITY_METHODS, type ConnectorDefinition, type PartnerKind } from './types.js';

const noHttp: HttpClient = {
  send: () => Promise.reject(new Error('no HTTP in this test')),
  close: () => Promise.resolve(),
};
const folderOf = (def: ConnectorDefinition) =>
  fileURLToPath(new URL(`./${KIND_FOLDERS[def.kind]}/${def.manifest.id}/`, import.meta.url));
const credentialsFor = (def: ConnectorDefinition) =>
  Object.fromEntries(requiredCredentials(def.manifest.settings).map((name) => [name, `test-${name}`]));
const build = (def: ConnectorDefinition, credentials: Record<string, string>) =>
  def.create({ partnerId: def.manifest.id, baseUrl: 'http://127.0.0.1:9', credentials }, noHttp) as object;
/** Methods an interface requires whatever the flags: their capability must be declared. */
const REQUIRED: Partial<Record<PartnerKind, string[]>> = {
  carrier: ['shipment.create'],
};
/** A platform must bring orders in one way or the other. */
const ONE_OF: Partial<Record<PartnerKind, string[]>> = { platform: ['orders.webhook', 'orders.pull'] };

describe('the connector contract', () => {
  it('registers at least the shipped connectors, each under its camel-cased id', () => {
    expect(CONNECTORS.map((c) => c.manifest.id)).toEqual(
      expect.arrayContaining(['carrier-alpha', 'carrier-beta', 'sandbox-shop']),
    );
    const registry = readFileSync(new URL('./registry.ts', import.meta.url), 'utf8');
    for (const def of CONNECTORS) {
      expect(registry).toContain(
        `export { connector as ${registryName(def.manifest.id)} } from './${KIND_FOLDERS[def.kind]}/${def.manifest.id}/index.js';`,
      );
    }
  });

  describe.each(CONNECTORS.map((def) => [def.manifest.id, def] as const))('%s', (_id, def) => {
    it('lives in its kind’s folder with the standard files', () => {
      for (const file of ['manifest.ts', 'client.ts', 'mapper.ts', 'codes.ts', 'index.ts', 'fixtures']) {
        expect([file, existsSync(folderOf(def) + file)]).toEqual([file, true]);
      }
    });

    it('declares only capabilities of its kind, including the ones its interface requires', () => {
      const allowed: readonly string[] = CAPABILITIES[def.kind];
      expect(def.manifest.capabilities.filter((c) => !allowed.includes(c))).toEqual([]);
      expect(new Set(def.manifest.capabilities).size).toBe(def.manifest.capabilities.length);
      for (const cap of REQUIRED[def.kind] ?? []) expect(def.manifest.capabilities).toContain(cap);
      const oneOf = ONE_OF[def.kind];
      if (oneOf) expect(def.manifest.capabilities.some((c) => oneOf.includes(c))).toBe(true);
    });

    it('has exactly the methods its capability flags stand for', () => {
      const connector = build(def, credentialsFor(def)) as Record<string, unknown>;
      const methods = CAPABILITY_METHODS[def.kind] as Record<string, readonly string[]>;
      const declared = def.manifest.capabilities as readonly string[];
      for (const [cap, names] of Object.entries(methods)) {
        for (const name of names) {
          expect([cap, name, typeof connector[name] === 'function']).toEqual([
            cap,
            name,
            declared.includes(cap),
          ]);
        }
      }
      expect(connector.manifest).toBe(def.manifest);
    });

    it('declares its credentials as required non-empty strings and refuses to be built without any of them', () => {
      const schema = def.manifest.settings.credentials as unknown as {
        properties: Record<string, { type?: string; minLength?: number }>;
      };
      const names = requiredCredentials(def.manifest.settings);
      expect(names.length).toBeGreaterThan(0);
      expect(def.manifest.credentials).toEqual(names);
      for (const name of names) {
        expect([name, schema.properties[name]?.type, schema.properties[name]?.minLength]).toEqual([
          name,
          'string',
          1,
        ]);
        const { [name]: _dropped, ...without } = credentialsFor(def);
        expect(() => build(def, without)).toThrow(ConnectorSettingsError);
        expect(() => build(def, { ...credentialsFor(def), [name]: '' })).toThrow(
          `credentials.${name} must not be empty`,
        );
      }
    });

    it('declares a fallback in its code table for codes it does not know', () => {
      expect(readFileSync(folderOf(def) + 'codes.ts', 'utf8')).toMatch(/FALLBACK\b/);
    });

    if (def.kind === 'carrier') {
      it('derives its tracking mode from its flags', () => {
        const m = def.manifest;
        const caps = m.capabilities as readonly string[];
        expect(m.tracking).toBe(
          caps.includes('tracking.poll') ? 'poll' : caps.includes('tracking.push') ? 'push' : 'none',
        );
      });
    }
  });
});
