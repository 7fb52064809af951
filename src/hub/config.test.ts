import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/catalogue.js';
import { makeSandboxCredentials } from '../sandbox/credentials.js';
import { loadHubConfig, parseHubConfig } from './config.js';
import { SANDBOX_CONFIG_FILE, sandboxEnv } from './sandbox-config.js';

const sandboxText = readFileSync(SANDBOX_CONFIG_FILE, 'utf8');
const env = { ...sandboxEnv('http://127.0.0.1:9090', makeSandboxCredentials()) };

describe('partner config file', () => {
  it('loads the sandbox config with its placeholders filled and tier defaults applicable', () => {
    const config = loadHubConfig(SANDBOX_CONFIG_FILE, env);
    expect(Object.keys(config.partners)).toEqual(
      expect.arrayContaining(['sandbox-shop', 'carrier-alpha', 'carrier-beta']),
    );
    expect(config.partners['carrier-alpha']?.channels?.standby?.[0]?.url).toBe(
      'http://127.0.0.1:9090/standby',
    );
  });

  it('names file, line and field when a placeholder has no value', () => {
    const file = fileURLToPath(new URL('../../config/sandbox.yaml', import.meta.url));
    expect(() => loadHubConfig(file, {})).toThrow(
      /sandbox\.yaml:10: partners\.sandbox-shop\.baseUrl environment variable SANDBOX_URL is not set/,
    );
  });

  it('rejects routing to a carrier that is not configured', () => {
    const text = sandboxText.replace('default: carrier-beta', 'default: carrier-gamma');
    expect(() => parseHubConfig(text, 'p.yaml', env)).toThrow(/routing names carrier carrier-gamma/);
  });

  it('routes to a warehouse only by a rule naming a configured warehouse, one destination per rule, with its line', () => {
    const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
    const config = parseHubConfig(sandboxText, 'p.yaml', env);
    expect(config.routing.rules[0]).toEqual({
      countries: ['US'],
      skus: ['OWH-*'],
      warehouse: 'sandbox-warehouse',
    });
    const unknown = sandboxText.replace('warehouse: sandbox-warehouse', 'warehouse: warehouse-nowhere');
    expect(() => parseHubConfig(unknown, 'p.yaml', env)).toThrow(
      `p.yaml:${lineOf(unknown, 'warehouse: warehouse-nowhere')}: routing.rules.0.warehouse routing names warehouse warehouse-nowhere, which is not a configured warehouse (configured: sandbox-warehouse)`,
    );
    // A carrier is not a warehouse, and a rule names exactly one of the two.
    const carrier = sandboxText.replace('warehouse: sandbox-warehouse', 'warehouse: carrier-alpha');
    expect(() => parseHubConfig(carrier, 'p.yaml', env)).toThrow(/routing names warehouse carrier-alpha/);
    const both = sandboxText.replace(
      'warehouse: sandbox-warehouse',
      'warehouse: sandbox-warehouse\n      carrier: carrier-alpha',
    );
    expect(() => parseHubConfig(both, 'p.yaml', env)).toThrow(
      /p\.yaml:\d+: routing\.rules\.0 a routing rule names either a carrier or a warehouse/,
    );
    const badSku = sandboxText.replace("skus: ['OWH-*']", "skus: ['OWH*-x']");
    expect(() => parseHubConfig(badSku, 'p.yaml', env)).toThrow(/p\.yaml:\d+: routing\.rules\.0\.skus\.0 /);
  });

  it('names the allowed values of a small choice (tier)', () => {
    const text = sandboxText.replace('    tier: B\n', '    tier: D\n');
    expect(() => parseHubConfig(text, 'p.yaml', env)).toThrow(
      /p\.yaml:\d+: partners\.carrier-beta\.tier must be one of A, B, C$/,
    );
  });

  it('rejects an unknown time zone in a call window with its line', () => {
    const text = sandboxText.replace(
      '    concurrency: 16\n',
      '    concurrency: 16\n    callWindows: [{ days: [mon], from: "09:00", to: "18:00", timezone: Mars/Olympus }]\n',
    );
    expect(() => parseHubConfig(text, 'p.yaml', env)).toThrow(
      /p\.yaml:\d+: partners\.carrier-beta\.callWindows\.0\.timezone Mars\/Olympus is not an IANA time zone/,
    );
  });

  describe('connector settings (the settings schema of each partner’s connector)', () => {
    /** 1-based line of the first line of `text` that contains `needle`. */
    const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
    const betaCredentials = lineOf(sandboxText, '      appKey: ${CARRIER_BETA_APP_KEY}') - 1;

    it('rejects a carrier without a required credential, with file, line and field', () => {
      const text = sandboxText.replace('      appSecret: ${CARRIER_BETA_APP_SECRET}\n', '');
      expect(() => parseHubConfig(text, 'partners.yaml', env)).toThrow(
        `partners.yaml:${betaCredentials}: partners.carrier-beta.credentials.appSecret is required by connector carrier-beta`,
      );
    });

    it('reports every missing credential of every partner at once, each on its line', () => {
      const text = sandboxText
        .replace('      appSecret: ${CARRIER_BETA_APP_SECRET}\n', '')
        .replace('      adminToken: ${SANDBOX_SHOP_ADMIN_TOKEN}\n', '');
      let message = '';
      try {
        parseHubConfig(text, 'partners.yaml', env);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message.split('\n')).toEqual([
        `partners.yaml:${lineOf(text, '    credentials:')}: partners.sandbox-shop.credentials.adminToken is required by connector sandbox-shop`,
        `partners.yaml:${lineOf(text, '      appKey:') - 1}: partners.carrier-beta.credentials.appSecret is required by connector carrier-beta`,
      ]);
    });

    it('refuses a credential that expanded to an empty string, never echoing values', () => {
      const text = sandboxText.replace('${CARRIER_ALPHA_API_TOKEN}', '${EMPTY_TOKEN}');
      const err = (() => {
        try {
          parseHubConfig(text, 'p.yaml', { ...env, EMPTY_TOKEN: '' });
        } catch (e) {
          return e as Error;
        }
        throw new Error('accepted');
      })();
      expect(err.message).toBe(
        `p.yaml:${lineOf(text, 'apiToken:')}: partners.carrier-alpha.credentials.apiToken must not be empty`,
      );
    });

    it('refuses a credential the connector does not know (a misspelt key), on its own line', () => {
      const text = sandboxText.replace(
        'appSecret: ${CARRIER_BETA_APP_SECRET}',
        'appSecrt: ${CARRIER_BETA_APP_SECRET}',
      );
      expect(() => parseHubConfig(text, 'p.yaml', env)).toThrow(
        `p.yaml:${lineOf(text, 'appSecrt:')}: partners.carrier-beta.credentials.appSecrt is not a setting of this connector`,
      );
    });

    it('checks options against the schema too', () => {
      const text = sandboxText.replace(
        '      appSecret: ${CARRIER_BETA_APP_SECRET}\n',
        '      appSecret: ${CARRIER_BETA_APP_SECRET}\n    options: { serviceCode: 42 }\n',
      );
      expect(() => parseHubConfig(text, 'p.yaml', env)).toThrow(
        `p.yaml:${lineOf(text, 'serviceCode')}: partners.carrier-beta.options.serviceCode must be string`,
      );
      const ok = text.replace('serviceCode: 42', 'serviceCode: BETA_ECONOMY');
      expect(parseHubConfig(ok, 'p.yaml', env).partners['carrier-beta']?.options).toEqual({
        serviceCode: 'BETA_ECONOMY',
      });
    });

    it('refuses a partner naming a connector that is not registered for its kind', () => {
      const text = sandboxText.replace(
        '  carrier-beta:\n    kind: carrier\n',
        '  carrier-beta:\n    kind: carrier\n    connector: sandbox-shop\n',
      );
      const carriers = CONNECTORS.filter((d) => d.kind === 'carrier').map((d) => d.manifest.id);
      expect(carriers).toEqual(expect.arrayContaining(['carrier-alpha', 'carrier-beta']));
      expect(() => parseHubConfig(text, 'p.yaml', env)).toThrow(
        `p.yaml:${lineOf(text, 'connector: sandbox-shop')}: partners.carrier-beta.connector names no registered carrier connector sandbox-shop (registered: ${carriers.join(', ')})`,
      );
    });
  });
});
