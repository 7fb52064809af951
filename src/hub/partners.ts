/**
 * The live set of partners built from config: a PartnerRuntime per carrier and per sales platform
 * (one connector per channel, policy resolved from its tier: the platforms' calls go through the
 * same breaker, 429 gate, rate and concurrency limits as the carriers') and a connector per
 * customs, warehouse and finance partner. A policy reload builds
 * a new set and swaps it in one assignment; channel health and partner-wide state (suspension,
 * rate-limit tokens, in-flight count) carry over when a channel keeps its name and URL.
 */
import type { HttpClient } from '../connectors/http.js';
import { CARRIERS, connectorFor } from '../connectors/catalogue.js';
import type {
  CarrierConnector,
  CustomsConnector,
  FinanceConnector,
  PartnerEndpoint,
  PlatformConnector,
  WarehouseConnector,
} from '../connectors/types.js';
import { resolvePolicy } from '../pipeline/policy/policy.js';
import {
  ChannelHealth,
  PartnerRuntime,
  PartnerShared,
  type Channel,
  type PartnerEvents,
} from '../pipeline/policy/runtime.js';
import type {
  CarrierDirectory,
  InventorySettings,
  OrderPullSettings,
  SnapshotSettings,
} from '../pipeline/partners.js';
import type { RoutingConfig } from '../pipeline/routing.js';
import { ConfigError, networkPolicyOf, type HubConfig } from './config.js';
import type { PartnerSigning, PartnerSigningSpec } from '../security/certs/partner-signing.js';

export interface PartnerSet extends CarrierDirectory {
  readonly config: HubConfig;
  platform(id: string): PlatformConnector | undefined;
  platforms(): ReadonlyMap<string, PlatformConnector>;
  /** A platform's channels, breaker and gates: its outbound calls (pull, fulfilment) go through it. */
  platformRuntime(id: string): PartnerRuntime<PlatformConnector> | undefined;
  platformRuntimes(): Iterable<PartnerRuntime<PlatformConnector>>;
  /** Customs, warehouse and finance partners (no job uses them yet; the next issues do). */
  customs(id: string): CustomsConnector | undefined;
  customsSettings(): HubConfig['customs'];
  warehouse(id: string): WarehouseConnector | undefined;
  warehouses(): ReadonlyMap<string, WarehouseConnector>;
  inventory(): InventorySettings;
  orderPulls(): OrderPullSettings;
  snapshot(): SnapshotSettings | undefined;
  finance(id: string): FinanceConnector | undefined;
}

type PartnerEntry = HubConfig['partners'][string];

function channelsOf(id: string, p: PartnerEntry): Array<{ name: string; url: string }> {
  const primary = p.channels?.primary?.url ?? p.baseUrl;
  if (!primary) throw new ConfigError(`partner ${id} has no primary channel`);
  return [{ name: 'primary', url: primary }, ...(p.channels?.standby ?? [])];
}

/** Turns a partner's `signing` block into schemes backed by the certificate store. */
export type SigningResolver = (partnerId: string, spec: PartnerSigningSpec | undefined) => PartnerSigning;

export function buildPartnerSet(
  config: HubConfig,
  http: HttpClient,
  previous?: PartnerSet,
  signingFor?: SigningResolver,
  events?: PartnerEvents,
): PartnerSet {
  const carriers = new Map<string, PartnerRuntime<CarrierConnector>>();
  const platforms = new Map<string, PlatformConnector>();
  const platformRuntimes = new Map<string, PartnerRuntime<PlatformConnector>>();
  const customs = new Map<string, CustomsConnector>();
  const warehouses = new Map<string, WarehouseConnector>();
  const finance = new Map<string, FinanceConnector>();
  for (const [id, p] of Object.entries(config.partners)) {
    const connectorId = p.connector ?? id;
    const endpoint = (url: string, timeoutMs?: number): PartnerEndpoint => ({
      partnerId: id,
      baseUrl: url.replace(/\/$/, ''),
      credentials: p.credentials,
      ...(p.options ? { options: p.options } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    if (p.kind !== 'carrier') {
      // The config was checked against the registry at load (connector-settings.ts); this
      // guards a config built in code.
      const def = connectorFor(p.kind, connectorId);
      if (!def) throw new ConfigError(`partner ${id}: no ${p.kind} connector named ${connectorId}`);
      const at = endpoint(channelsOf(id, p)[0]!.url, p.timeoutMs);
      if (def.kind === 'platform') {
        const policy = resolvePolicy(p, def.manifest.defaultTier);
        const timeoutMs = p.timeoutMs ?? policy.timeoutMs;
        const before = previous?.platformRuntime(id);
        const channels: Channel<PlatformConnector>[] = channelsOf(id, p).map((c) => ({
          name: c.name,
          url: c.url,
          connector: def.create(endpoint(c.url, timeoutMs), http),
          health:
            before?.channels.find((b) => b.name === c.name && b.url === c.url)?.health ?? new ChannelHealth(),
        }));
        const runtime = new PartnerRuntime(
          id,
          { ...policy, timeoutMs },
          channels,
          before?.shared ?? new PartnerShared(),
          events,
        );
        platformRuntimes.set(id, runtime);
        // Webhooks, stock and returns still reach the primary directly (jobs/*.ts not yet moved).
        platforms.set(id, runtime.primary);
      } else if (def.kind === 'customs') customs.set(id, def.create(at, http));
      else if (def.kind === 'warehouse') warehouses.set(id, def.create(at, http));
      else if (def.kind === 'finance') finance.set(id, def.create(at, http));
      continue;
    }
    const factory = CARRIERS[connectorId]?.create;
    if (!factory) throw new ConfigError(`partner ${id}: no carrier connector named ${connectorId}`);
    const before = previous?.carrier(id);
    const signing = p.signing && signingFor ? { signing: signingFor(id, p.signing) } : undefined;
    const probe = factory(endpoint(channelsOf(id, p)[0]!.url), http, signing);
    const policy = resolvePolicy(p, probe.manifest.defaultTier);
    const timeoutMs = p.timeoutMs ?? policy.timeoutMs;
    const channels: Channel<CarrierConnector>[] = channelsOf(id, p).map((c) => {
      const kept = before?.channels.find((b) => b.name === c.name && b.url === c.url);
      return {
        name: c.name,
        url: c.url,
        connector: factory(endpoint(c.url, timeoutMs), http, signing),
        health: kept?.health ?? new ChannelHealth(),
      };
    });
    carriers.set(
      id,
      new PartnerRuntime(
        id,
        { ...policy, timeoutMs },
        channels,
        before?.shared ?? new PartnerShared(),
        events,
      ),
    );
  }
  const routing: RoutingConfig = config.routing;
  return {
    config,
    carrier: (id) => carriers.get(id),
    carriers: () => carriers.values(),
    routing: () => routing,
    pollIntervalMs: () => config.tracking?.pollIntervalMs ?? 5000,
    networkPolicy: () => networkPolicyOf(config),
    platform: (id) => platforms.get(id),
    platforms: () => platforms,
    platformRuntime: (id) => platformRuntimes.get(id),
    platformRuntimes: () => platformRuntimes.values(),
    customs: (id) => customs.get(id),
    customsSettings: () => config.customs,
    warehouse: (id) => warehouses.get(id),
    warehouses: () => warehouses,
    inventory: () => inventorySettingsOf(config),
    snapshot: () => snapshotSettingsOf(config),
    finance: (id) => finance.get(id),
    orderPulls: () => ({
      intervalMs: config.orders?.pullIntervalMs ?? 60_000,
      lookbackMs: (config.orders?.initialLookbackHours ?? 24) * 3600_000,
    }),
  };
}

export function inventorySettingsOf(config: HubConfig): InventorySettings {
  const inv = config.inventory;
  return {
    pullIntervalMs: inv?.pullIntervalMs ?? 60_000,
    outageThresholdMs: (inv?.outageThresholdMinutes ?? 30) * 60_000,
    outageThresholdsMs: Object.fromEntries(
      Object.entries(inv?.warehouses ?? {}).map(([id, w]) => [id, w.outageThresholdMinutes * 60_000]),
    ),
    ...(inv?.reportsDir ? { reportsDir: inv.reportsDir } : {}),
  };
}

/** A partner's tier: its config's, else its connector's default. */
export function tierOf(id: string, p: PartnerEntry): string | undefined {
  if (p.tier) return p.tier;
  const connectorId = p.connector ?? id;
  if (p.kind === 'carrier') return CARRIERS[connectorId]?.manifest.defaultTier;
  return connectorFor(p.kind, connectorId)?.manifest.defaultTier;
}

/** The A-tier partners a snapshot covers, by kind. */
export function snapshotScopeOf(config: HubConfig): SnapshotSettings['scope'] {
  const of = (kind: string) =>
    Object.entries(config.partners)
      .filter(([id, p]) => p.kind === kind && tierOf(id, p) === 'A')
      .map(([id]) => id)
      .sort();
  return { platforms: of('platform'), carriers: of('carrier'), warehouses: of('warehouse') };
}

/** The daily snapshot's settings; undefined when none is configured or its schedule is off. */
export function snapshotSettingsOf(config: HubConfig): SnapshotSettings | undefined {
  const s = config.snapshot;
  if (!s || s.schedule === false) return undefined;
  return { dir: s.dir, at: s.at ?? '02:00', timeZone: s.timeZone ?? 'UTC', scope: snapshotScopeOf(config) };
}
