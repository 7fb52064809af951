import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The simulated partners, one entry each: its kind, the test credentials it issues and whether
 * it has fault knobs (`/__faults`). The credentials handed out and the fault list are built from
 * this one list; each entry's id, kind and credential names are those of the connector
 * registered for it (src/connectors/registry.ts), which src/hub/sandbox-config.test.ts checks —
 * the sandbox itself does not import the hub's connectors (see eslint.config.js).
 *
 * Credentials are made fresh at every start, so none is ever committed or reused. A partner
 * developer reads them from `GET /__credentials` (loopback only), as they would copy test keys
 * from a partner's developer portal.
 */
const token = (bytes = 24) => randomBytes(bytes).toString('base64url');

interface SandboxPartnerSpec {
  kind: 'carrier' | 'platform' | 'customs' | 'warehouse' | 'finance';
  /** Each credential's generator. */
  credentials: Readonly<Record<string, () => string>>;
  /** Served behind the fault injector (outages, 429s, latency) on a primary and a standby channel. */
  faults: boolean;
}

export const SANDBOX_PARTNERS = {
  'sandbox-shop': {
    kind: 'platform',
    faults: false,
    credentials: { webhookSecret: () => token(), adminToken: () => `shpat_${token(16)}` },
  },
  'carrier-alpha': {
    kind: 'carrier',
    faults: true,
    credentials: { apiToken: () => `alpha_test_${token()}`, webhookSecret: () => `whsec_${token()}` },
  },
  'carrier-beta': {
    kind: 'carrier',
    faults: true,
    credentials: {
      appKey: () => String(20000000 + (randomBytes(3).readUIntBE(0, 3) % 9999999)),
      appSecret: () => token(16),
    },
  },
  fourpx: {
    kind: 'carrier',
    faults: true,
    credentials: { appKey: () => randomUUID(), appSecret: () => randomUUID() },
  },
  yunexpress: {
    kind: 'carrier',
    faults: true,
    credentials: {
      customerCode: () => `C${String(randomBytes(3).readUIntBE(0, 3) % 100000).padStart(5, '0')}`,
      apiSecret: () => token(18),
    },
  },
  ups: {
    kind: 'carrier',
    faults: true,
    credentials: {
      clientId: () => token(24),
      clientSecret: () => token(32),
      accountNumber: () => randomBytes(3).toString('hex').toUpperCase(),
    },
  },
  cainiao: {
    kind: 'carrier',
    faults: true,
    credentials: {
      logisticProviderId: () => `wg${randomBytes(8).toString('hex')}`,
      appSecret: () => token(24),
    },
  },
  yanwen: {
    kind: 'carrier',
    faults: true,
    credentials: {
      userId: () => String(100000 + (randomBytes(3).readUIntBE(0, 3) % 900000)),
      apiToken: () => randomBytes(16).toString('hex').toUpperCase(),
    },
  },
  'amazon-sp-api': {
    kind: 'platform',
    faults: true,
    credentials: {
      clientId: () => `amzn1.application-oa2-client.${randomBytes(16).toString('hex')}`,
      clientSecret: () => `amzn1.oa2-cs.v1.${randomBytes(32).toString('hex')}`,
      refreshToken: () => `Atzr|${token(48)}`,
    },
  },
  'sandbox-warehouse': {
    kind: 'warehouse',
    faults: true,
    credentials: {
      appKey: () => `owh_${token(9)}`,
      appSecret: () => token(),
      pushSecret: () => token(),
    },
  },
  shopify: {
    kind: 'platform',
    faults: true,
    credentials: {
      webhookSecret: () => token(32),
      accessToken: () => `shpat_${randomBytes(16).toString('hex')}`,
    },
  },
  'taobao-top': {
    kind: 'platform',
    faults: true,
    credentials: {
      appKey: () => String(20_000_000 + (randomBytes(3).readUIntBE(0, 3) % 9_999_999)),
      appSecret: () => randomBytes(16).toString('hex'),
      session: () => `6100${randomBytes(20).toString('hex')}`,
    },
  },
  'tiktok-shop': {
    kind: 'platform',
    faults: true,
    credentials: {
      appKey: () => randomBytes(7).toString('hex').slice(0, 13),
      appSecret: () => randomBytes(20).toString('hex'),
      accessToken: () => `ROW_${randomBytes(24).toString('base64url')}`,
      shopCipher: () => `ROW_${randomBytes(18).toString('base64url')}`,
    },
  },
  'china-ceb': {
    kind: 'customs',
    faults: false,
    credentials: { clientKey: () => token() },
  },
} as const satisfies Record<string, SandboxPartnerSpec>;

export type SandboxPartnerId = keyof typeof SANDBOX_PARTNERS;

export type SandboxCredentials = {
  [P in SandboxPartnerId]: { [F in keyof (typeof SANDBOX_PARTNERS)[P]['credentials']]: string };
};

/** The partners with fault knobs, in registry order. */
export const FAULT_PARTNERS: readonly SandboxPartnerId[] = (
  Object.keys(SANDBOX_PARTNERS) as SandboxPartnerId[]
).filter((id) => SANDBOX_PARTNERS[id].faults);

export function makeSandboxCredentials(): SandboxCredentials {
  const issue = (spec: SandboxPartnerSpec) =>
    Object.fromEntries(Object.entries(spec.credentials).map(([name, make]) => [name, make()]));
  return Object.fromEntries(
    Object.entries(SANDBOX_PARTNERS).map(([id, spec]) => [id, issue(spec)]),
  ) as SandboxCredentials;
}
