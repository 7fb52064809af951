import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeSandboxCredentials } from '../sandbox/credentials.js';
import { loadHubConfig, parseHubConfig } from './config.js';
import { SANDBOX_CONFIG_FILE, sandboxEnv } from './sandbox-config.js';

const sandboxText = readFileSync(SANDBOX_CONFIG_FILE, 'utf8');
const env = { ...sandboxEnv('http://127.0.0.1:9090', makeSandboxCredentials()) };

describe('partner config file', () => {
  it('loads the sandbox config with its placeholders filled and tier defaults applicable', () => {
    const config = loadHubConfig(SANDBOX_CONFIG_FILE, env);
    expect(Object.keys(config.partners)).toEqual(['sandbox-shop', 'carrier-alpha', 'carrier-beta']);
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

  it('rejects an unknown time zone in a call window with its line', () => {
    const text = sandboxText.replace(
      '    concurrency: 16\n',
      '    concurrency: 16\n    callWindows: [{ days: [mon], from: "09:00", to: "18:00", timezone: Mars/Olympus }]\n',
    );
    expect(() => parseHubConfig(text, 'p.yaml', env)).toThrow(
      /p\.yaml:\d+: partners\.carrier-beta\.callWindows\.0\.timezone Mars\/Olympus is not an IANA time zone/,
    );
  });
});
