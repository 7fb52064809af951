import type { NetworkPolicy } from '../domain/network-policy.js';
import type {
  CarrierConnector,
  CustomsConnector,
  PlatformConnector,
  WarehouseConnector,
} from '../connectors/types.js';
import type { CustomsSettings } from './customs/settings.js';
import type { PartnerRuntime } from './policy/runtime.js';
import type { RoutingConfig } from './routing.js';

/** What the pipeline needs to know about carriers; the hub swaps the set behind it on reload. */
export interface CarrierDirectory {
  carrier(id: string): PartnerRuntime<CarrierConnector> | undefined;
  carriers(): Iterable<PartnerRuntime<CarrierConnector>>;
  routing(): RoutingConfig;
  pollIntervalMs(): number;
  /** The network policy in force (loopback allowed: http label URLs on loopback are accepted). */
  networkPolicy?(): NetworkPolicy;
}

/** Carriers and sales platforms: every partner a job handler may need. */
export interface PartnerDirectory extends CarrierDirectory {
  platform(id: string): PlatformConnector | undefined;
  /** Sales platforms by id (stock is pushed to each). */
  platforms?(): ReadonlyMap<string, PlatformConnector>;
  warehouse?(id: string): WarehouseConnector | undefined;
  warehouses?(): ReadonlyMap<string, WarehouseConnector>;
  inventory?(): InventorySettings;
  /**
   * A platform's runtime (channels, breaker, 429 gate, limits), as carriers have: its order pulls
   * and fulfilments are called through it. Absent (a directory built in a test): called directly.
   */
  platformRuntime?(id: string): PartnerRuntime<PlatformConnector> | undefined;
  /** The daily Parquet snapshot [004-3.2]; undefined when it is not configured. */
  snapshot?(): SnapshotSettings | undefined;
  /** How pull-type platforms' order feeds are read (jobs/orders-pull.ts). */
  orderPulls?(): OrderPullSettings;
  customs?(id: string): CustomsConnector | undefined;
  /** The `customs` block of the config; undefined when the hub declares nothing to customs. */
  customsSettings?(): CustomsSettings | undefined;
}

export interface OrderPullSettings {
  intervalMs: number;
  /** How far back a platform's first read starts. */
  lookbackMs: number;
}

export interface InventorySettings {
  pullIntervalMs: number;
  outageThresholdMs: number;
  /** Per warehouse, when it differs from `outageThresholdMs`. */
  outageThresholdsMs?: Readonly<Record<string, number>>;
  /** Where reconciliation reports (JSON + CSV) are written after an outage. */
  reportsDir?: string;
}

export interface SnapshotSettings {
  dir: string;
  /** Local time of the daily run, HH:MM. */
  at: string;
  timeZone: string;
  /** The A-tier partners covered, by kind. */
  scope: { platforms: string[]; carriers: string[]; warehouses: string[] };
}
