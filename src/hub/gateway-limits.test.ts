import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeSandboxCredentials } from '../sandbox/credentials.js';
import { DEFAULT_ADMISSION } from '../gateway/admission.js';
import { parseHubConfig } from './config.js';
import { admissionLimitsOf, authFailureLimitsOf, orderSourcesOf } from './gateway-limits.js';
import { SANDBOX_CONFIG_FILE, sandboxEnv } from './sandbox-config.js';

const sandboxText = readFileSync(SANDBOX_CONFIG_FILE, 'utf8');
const env = { ...sandboxEnv('http://127.0.0.1:9090', makeSandboxCredentials()) };
const withGateway = (section: string) =>
  parseHubConfig(`${sandboxText}\ngateway:\n${section}`, 'p.yaml', env);

describe('gateway limits in the policy file', () => {
  it('reads admission and failed-authentication limits, seconds as milliseconds', () => {
    const config = withGateway(
      '  maxInFlight: 8\n  authFailures: { maxPerAddress: 5, maxPerCredential: 3, windowSeconds: 60, spikeThreshold: 40 }\n',
    );
    expect(admissionLimitsOf(config)).toEqual({ maxInFlight: 8, maxBacklog: DEFAULT_ADMISSION.maxBacklog });
    expect(authFailureLimitsOf(config)).toEqual({
      maxPerAddress: 5,
      maxPerCredential: 3,
      windowMs: 60_000,
      spikeThreshold: 40,
    });
  });

  it('leaves unset limits to the defaults', () => {
    const config = parseHubConfig(sandboxText, 'p.yaml', env);
    expect(admissionLimitsOf(config)).toEqual(DEFAULT_ADMISSION);
    expect(authFailureLimitsOf(config)).toEqual({});
  });

  it('refuses a zero window, a zero threshold and unknown fields', () => {
    expect(() => withGateway('  authFailures: { windowSeconds: 0 }\n')).toThrow(/windowSeconds/);
    expect(() => withGateway('  authFailures: { spikeThreshold: 0 }\n')).toThrow(/spikeThreshold/);
    expect(() => withGateway('  authFailures: { maxPerIp: 3 }\n')).toThrow(
      /gateway\.authFailures must NOT have additional properties/,
    );
  });
});

describe('order sources in the policy file', () => {
  const withOrders = (section: string) =>
    parseHubConfig(sandboxText.replace(/^orders:\n( {2}.*\n)+/m, `orders:\n${section}`), 'p.yaml', env);

  it('knows the platform partners and orders.sources, and refuses others unless ad-hoc is allowed', () => {
    expect(orderSourcesOf(parseHubConfig(sandboxText, 'p.yaml', env))).toEqual({
      known: ['sandbox-shop', 'amazon-sp-api', 'bench-shop', 'cross-border-shop'],
      allowAdHoc: false,
    });
    expect(orderSourcesOf(withOrders('  allowAdHocSources: true\n'))).toEqual({
      known: ['sandbox-shop', 'amazon-sp-api'],
      allowAdHoc: true,
    });
  });

  it('rejects a malformed orders section with its line', () => {
    expect(() => withOrders('  allowAdHocSources: yes please\n')).toThrow(
      /p\.yaml:\d+: orders\.allowAdHocSources/,
    );
    expect(() => withOrders('  sources: [Bad Source]\n')).toThrow(/orders\.sources\.0/);
  });
});
