/**
 * Hub configuration: partners (where and how to reach them), routing and tracking settings,
 * from a YAML file validated against a schema. Secrets are never written in the file itself:
 * `${ENV_VAR}` placeholders are filled from the environment at load time.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { CustomsProduct, CustomsProfile } from '../domain/customs.js';
import { createAjv } from '../domain/validation.js';
import {
  lineMentioning,
  pointerSegments,
  problemAt,
  readYamlSource,
  type YamlSource,
} from '../domain/yaml-source.js';
import { checkPartnerUrl, isCidr, type NetworkPolicy } from '../domain/network-policy.js';
import { PartnerUrl, PolicySchema } from '../pipeline/policy/schema.js';
import { PartnerSigningSchema } from '../security/certs/partner-signing.js';
import { isTimeZone } from '../pipeline/policy/call-window.js';
import { PARTNER_KINDS } from '../connectors/types.js';
import { connectorSettingsProblems } from './connector-settings.js';

const MaxResponseBytes = Type.Integer({
  minimum: 1024,
  maximum: 256 * 1024 * 1024,
  description: 'bytes; an answer past this is aborted while it streams',
});
const Cidr = Type.String({ minLength: 2, maxLength: 64, description: 'CIDR range, e.g. 10.20.0.0/16' });

/**
 * Which addresses partner calls may reach (SSRF defence): global unicast only, unless this says
 * otherwise. Checked when the file is loaded and again by the HTTP client at connect time.
 */
const NetworkConfig = Type.Object(
  {
    /** Loopback partners (the sandbox on this machine); off in production. */
    allowLoopback: Type.Optional(Type.Boolean()),
    /** Ranges allowed although not global unicast, e.g. a partner behind a VPN. */
    allow: Type.Optional(Type.Array(Cidr, { maxItems: 256 })),
    /** Ranges refused on top of the built-in ones; they win over `allow`. */
    deny: Type.Optional(Type.Array(Cidr, { maxItems: 256 })),
    /** Default largest answer body per partner (4 MiB when unset). */
    maxResponseBytes: Type.Optional(MaxResponseBytes),
  },
  { additionalProperties: false },
);

const PartnerConfig = Type.Object(
  {
    kind: Type.Union(PARTNER_KINDS.map((k) => Type.Literal(k))),
    /** Which connector speaks this partner's dialect; defaults to the partner id. */
    connector: Type.Optional(Type.String()),
    /** Shorthand for `channels.primary.url`. */
    baseUrl: Type.Optional(PartnerUrl),
    /** Checked against the connector's settings schema (connector-settings.ts). */
    credentials: Type.Record(Type.String(), Type.String()),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000 })),
    /** Largest answer body accepted from this partner (default network.maxResponseBytes). */
    maxResponseBytes: Type.Optional(MaxResponseBytes),
    /**
     * Register for the partner's pushes (tracking webhooks, order webhooks) at start; `false`
     * means the hub only calls the partner and is never called back (default true).
     */
    subscribe: Type.Optional(Type.Boolean()),
    /** Message signatures with certificates from the store [003-7.2] (docs/signatures.md). */
    signing: Type.Optional(PartnerSigningSchema),
    ...PolicySchema,
  },
  { additionalProperties: false },
);

/**
 * Customs declarations (docs/customs.md): which customs partner declares, the companies and codes
 * each source declares with (`defaults` merged with `sources.<source>`), catalogue data per SKU
 * until the product catalogue supplies it, the XSD folder and the three-document tolerance.
 */
const CustomsConfig = Type.Object(
  {
    partner: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' })),
    xsdDir: Type.Optional(Type.String({ minLength: 1 })),
    matchTolerance: Type.Optional(Type.String({ pattern: '^\\d{1,6}(\\.\\d{1,4})?$' })),
    defaults: Type.Optional(CustomsProfile),
    sources: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }), CustomsProfile),
    ),
    products: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), CustomsProduct)),
    /** The hub certificate (`waygate certs`) the declarant signs messages with (RSA-SHA1). */
    certificate: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' })),
    /** How often the receipts are read, in milliseconds (default 5000). */
    receiptPollMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
  },
  { additionalProperties: false },
);
export type CustomsConfig = Static<typeof CustomsConfig>;

export const HubConfigSchema = Type.Object(
  {
    hub: Type.Optional(
      Type.Object(
        { publicUrl: Type.Optional(Type.String({ pattern: '^https?://' })) },
        { additionalProperties: false },
      ),
    ),
    network: Type.Optional(NetworkConfig),
    customs: Type.Optional(CustomsConfig),
    /** `/metrics`: addresses (the Prometheus servers) that may scrape it without a key. */
    metrics: Type.Optional(
      Type.Object(
        { allow: Type.Optional(Type.Array(Cidr, { maxItems: 256 })) },
        { additionalProperties: false },
      ),
    ),
    partners: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }), PartnerConfig),
    routing: Type.Object(
      {
        rules: Type.Array(
          Type.Object(
            {
              countries: Type.Array(Type.String({ pattern: '^[A-Z]{2}$' }), { minItems: 1 }),
              /** SKU patterns (`ABC-*` a prefix) every line must match; absent: any SKU. */
              skus: Type.Optional(
                Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}\\*?$' }), {
                  minItems: 1,
                  maxItems: 1000,
                }),
              ),
              /** The carrier that ships these orders, or … */
              carrier: Type.Optional(Type.String()),
              /** … the overseas warehouse that fulfils them from its stock (docs/inventory.md). */
              warehouse: Type.Optional(Type.String()),
            },
            { additionalProperties: false },
          ),
        ),
        default: Type.String(),
      },
      { additionalProperties: false },
    ),
    /** Orders posted to `POST /v1/orders`: which `source` values are accepted; pulled order feeds. */
    orders: Type.Optional(
      Type.Object(
        {
          /** Sales channels that post orders but are not platform partners (e.g. an ERP). */
          sources: Type.Optional(
            Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }), { uniqueItems: true }),
          ),
          /** Accept any `source` (default false: only platform partners and `sources`). */
          allowAdHocSources: Type.Optional(Type.Boolean()),
          /** How often each pull-type platform's order feed is read once at its end (default 60 000). */
          pullIntervalMs: Type.Optional(Type.Integer({ minimum: 100 })),
          /** How far back the first read of a newly configured platform's feed starts (default 24). */
          initialLookbackHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_160 })),
        },
        { additionalProperties: false },
      ),
    ),
    tracking: Type.Optional(
      Type.Object(
        { pollIntervalMs: Type.Optional(Type.Integer({ minimum: 100 })) },
        { additionalProperties: false },
      ),
    ),
    /** Warehouse inventory (docs/inventory.md). */
    inventory: Type.Optional(
      Type.Object(
        {
          /** How often each warehouse's full stock count is pulled (default 60 000). */
          pullIntervalMs: Type.Optional(Type.Integer({ minimum: 100 })),
          /** Unreachable this long, a warehouse's stock is served from the last snapshot (default 30). */
          outageThresholdMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_080 })),
          /** Per warehouse partner: its own outage threshold. */
          warehouses: Type.Optional(
            Type.Record(
              Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }),
              Type.Object(
                { outageThresholdMinutes: Type.Integer({ minimum: 1, maximum: 10_080 }) },
                { additionalProperties: false },
              ),
            ),
          ),
          /** Where reconciliation reports (JSON + CSV) are written after an outage. */
          reportsDir: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** The daily Parquet snapshot of A-tier partners' data [004-3.2] (docs/inventory.md). */
    snapshot: Type.Optional(
      Type.Object(
        {
          /** The folder the Parquet files and manifests are written to. */
          dir: Type.String({ minLength: 1 }),
          /** Local time of the daily run (default 02:00). */
          at: Type.Optional(Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM' })),
          /** IANA time zone of `at` and of the day in the file names (default UTC). */
          timeZone: Type.Optional(Type.String({ minLength: 1 })),
          /** Run on the schedule (default true); `waygate snapshot run` works either way. */
          schedule: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    workers: Type.Optional(
      Type.Object(
        {
          concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
          /** How long shutdown waits for jobs in flight before leaving them to their leases. */
          closeGraceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
          /** How long a node holds a job it took; a job of a node that died runs again after it. */
          leaseMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 3_600_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    gateway: Type.Optional(
      Type.Object(
        {
          maxInFlight: Type.Optional(Type.Integer({ minimum: 1 })),
          maxBacklog: Type.Optional(Type.Integer({ minimum: 1 })),
          authFailures: Type.Optional(
            Type.Object(
              {
                maxPerAddress: Type.Optional(Type.Integer({ minimum: 1 })),
                maxPerCredential: Type.Optional(Type.Integer({ minimum: 1 })),
                windowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
                spikeThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type HubConfig = Static<typeof HubConfigSchema>;

const ajv = createAjv();
const validate = ajv.compile<HubConfig>(HubConfigSchema);

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Fills `${NAME}` placeholders; an unset one is an error naming file, line and field. */
function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  where: { file: string; text: string },
  path = '',
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)\}/g, (placeholder, name: string) => {
      const v = env[name];
      if (v === undefined) {
        throw new ConfigError(
          `${where.file}:${lineMentioning(where, placeholder)}: ${path} environment variable ${name} is not set`,
        );
      }
      return v;
    });
  }
  const field = (k: string | number) => (path ? `${path}.${k}` : String(k));
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, where, field(i)));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, where, field(k))]),
    );
  }
  return value;
}

/** Parses and validates config text; errors name the file, line and field. */
export function parseHubConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): HubConfig {
  const { source, syntaxErrors } = readYamlSource(text, file);
  if (syntaxErrors.length > 0) throw new ConfigError(syntaxErrors[0]!);
  const raw = interpolate(source.doc.toJS(), env, { file, text });
  if (!validate(raw)) {
    const first = validate.errors?.[0];
    const path = pointerSegments(first?.instancePath ?? '');
    throw new ConfigError(problemAt(source, path, first?.message ?? 'is invalid'));
  }
  checkNetwork(raw, source);
  checkPartners(raw, source);
  checkInventory(raw, source);
  const problems = connectorSettingsProblems(raw, source);
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  checkReferences(raw, source);
  return raw;
}

/** The network policy a config sets (defaults: no loopback, no extra ranges). */
export function networkPolicyOf(config: HubConfig): NetworkPolicy {
  return {
    allowLoopback: config.network?.allowLoopback ?? false,
    allow: config.network?.allow ?? [],
    deny: config.network?.deny ?? [],
  };
}

/**
 * Every partner URL parsed as the HTTP client will parse it and judged by the address it names,
 * in whatever spelling (see domain/network-policy.ts); every range must be a valid CIDR.
 */
function checkNetwork(config: HubConfig, source: YamlSource): void {
  for (const [i, cidr] of (config.metrics?.allow ?? []).entries()) {
    if (!isCidr(cidr)) {
      throw new ConfigError(problemAt(source, ['metrics', 'allow', i], `${cidr} is not a CIDR range`));
    }
  }
  for (const key of ['allow', 'deny'] as const) {
    for (const [i, cidr] of (config.network?.[key] ?? []).entries()) {
      if (!isCidr(cidr)) {
        throw new ConfigError(problemAt(source, ['network', key, i], `${cidr} is not a CIDR range`));
      }
    }
  }
  const policy = networkPolicyOf(config);
  for (const [id, p] of Object.entries(config.partners)) {
    const urls: Array<[Array<string | number>, string | undefined]> = [
      [['partners', id, 'baseUrl'], p.baseUrl],
      [['partners', id, 'channels', 'primary', 'url'], p.channels?.primary?.url],
      ...(p.channels?.standby ?? []).map((s, i): [Array<string | number>, string] => [
        ['partners', id, 'channels', 'standby', i, 'url'],
        s.url,
      ]),
    ];
    for (const [path, url] of urls) {
      if (url === undefined) continue;
      const verdict = checkPartnerUrl(url, policy);
      if (!verdict.ok) {
        throw new ConfigError(problemAt(source, path, verdict.reason));
      }
    }
  }
}

/** The snapshot's time zone is a real one; per-warehouse settings name warehouse partners. */
function checkInventory(config: HubConfig, source: YamlSource): void {
  const tz = config.snapshot?.timeZone;
  if (tz !== undefined && !isTimeZone(tz))
    throw new ConfigError(problemAt(source, ['snapshot', 'timeZone'], `${tz} is not an IANA time zone`));
  for (const id of Object.keys(config.inventory?.warehouses ?? {})) {
    if (config.partners[id]?.kind !== 'warehouse')
      throw new ConfigError(
        problemAt(source, ['inventory', 'warehouses', id], `${id} is not a configured warehouse partner`),
      );
  }
}

function checkPartners(config: HubConfig, source: YamlSource): void {
  for (const [id, p] of Object.entries(config.partners)) {
    if (!p.baseUrl && !p.channels?.primary) {
      throw new ConfigError(problemAt(source, ['partners', id], 'needs baseUrl or channels.primary.url'));
    }
    for (const [i, w] of (p.callWindows ?? []).entries()) {
      if (w.timezone && !isTimeZone(w.timezone)) {
        const path = ['partners', id, 'callWindows', i, 'timezone'];
        throw new ConfigError(problemAt(source, path, `${w.timezone} is not an IANA time zone`));
      }
      if (w.from === w.to) {
        const path = ['partners', id, 'callWindows', i];
        throw new ConfigError(problemAt(source, path, 'opens and closes at the same time'));
      }
    }
  }
}

/** Every partner routing names exists with the right kind; each rule names one destination. */
function checkReferences(config: HubConfig, source: YamlSource): void {
  const ofKind = (kind: string) =>
    Object.entries(config.partners)
      .filter(([, p]) => p.kind === kind)
      .map(([id]) => id);
  const carriers = ofKind('carrier');
  const warehouses = ofKind('warehouse');
  const problem = (path: Array<string | number>, message: string) =>
    new ConfigError(problemAt(source, ['routing', ...path], message));
  if (!carriers.includes(config.routing.default))
    throw problem(
      ['default'],
      `routing names carrier ${config.routing.default}, which is not a configured carrier`,
    );
  for (const [i, rule] of config.routing.rules.entries()) {
    if ((rule.carrier === undefined) === (rule.warehouse === undefined))
      throw problem(['rules', i], 'a routing rule names either a carrier or a warehouse (one of the two)');
    if (rule.carrier !== undefined && !carriers.includes(rule.carrier))
      throw problem(
        ['rules', i, 'carrier'],
        `routing names carrier ${rule.carrier}, which is not a configured carrier`,
      );
    if (rule.warehouse !== undefined && !warehouses.includes(rule.warehouse))
      throw problem(
        ['rules', i, 'warehouse'],
        `routing names warehouse ${rule.warehouse}, which is not a configured warehouse` +
          (warehouses.length > 0 ? ` (configured: ${warehouses.join(', ')})` : ''),
      );
  }
}

export function loadHubConfig(file: string, env: NodeJS.ProcessEnv = process.env): HubConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseHubConfig(text, file, env);
}
