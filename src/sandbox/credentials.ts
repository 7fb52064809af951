import { randomBytes } from 'node:crypto';

/**
 * Sandbox credentials are made fresh at every start, so none is ever committed or reused.
 * A partner developer reads them from `GET /__credentials` (loopback only), as they would
 * copy test keys from a partner's developer portal.
 */
export interface SandboxCredentials {
  'sandbox-shop': { webhookSecret: string; adminToken: string };
  'carrier-alpha': { apiToken: string; webhookSecret: string };
  'carrier-beta': { appKey: string; appSecret: string };
}

const token = (bytes = 24) => randomBytes(bytes).toString('base64url');

export function makeSandboxCredentials(): SandboxCredentials {
  return {
    'sandbox-shop': { webhookSecret: token(), adminToken: `shpat_${token(16)}` },
    'carrier-alpha': { apiToken: `alpha_test_${token()}`, webhookSecret: `whsec_${token()}` },
    'carrier-beta': {
      appKey: String(20000000 + (randomBytes(3).readUIntBE(0, 3) % 9999999)),
      appSecret: token(16),
    },
  };
}
