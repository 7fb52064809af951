import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeSandboxCredentials } from '../sandbox/credentials.js';
import { DEFAULT_ADMISSION } from '../gateway/admission.js';
import { parseHubConfig } from './config.js';
import { admissionLimitsOf } from './gateway-limits.js';
import { SANDBOX_CONFIG_FILE, sandboxEnv } from './sandbox-config.js';

const sandboxText = readFileSync(SANDBOX_CONFIG_FILE, 'utf8');
const env = { ...sandboxEnv('http://127.0.0.1:9090', makeSandboxCredentials()) };
const withGateway = (section: string) =>
  parseHubConfig(`${sandboxText}\ngateway:\n${section}`, 'p.yaml', env);

describe('gateway limits in the policy file', () => {
  it('reads the admission limits, the others left to their defaults', () => {
    const config = withGateway('  maxInFlight: 8\n');
    expect(admissionLimitsOf(config)).toEqual({ maxInFlight: 8, maxBacklog: DEFAULT_ADMISSION.maxBacklog });
  });

  it('leaves unset limits to the defaults', () => {
    const config = parseHubConfig(sandboxText, 'p.yaml', env);
    expect(admissionLimitsOf(config)).toEqual(DEFAULT_ADMISSION);
  });
});
