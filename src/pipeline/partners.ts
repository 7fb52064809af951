import type { CarrierConnector, PlatformConnector } from '../connectors/types.js';
import type { PartnerRuntime } from './policy/runtime.js';
import type { RoutingConfig } from './routing.js';

/** What the pipeline needs to know about carriers; the hub swaps the set behind it on reload. */
export interface CarrierDirectory {
  carrier(id: string): PartnerRuntime<CarrierConnector> | undefined;
  carriers(): Iterable<PartnerRuntime<CarrierConnector>>;
  routing(): RoutingConfig;
  pollIntervalMs(): number;
}

/** Carriers and sales platforms: every partner a job handler may need. */
export interface PartnerDirectory extends CarrierDirectory {
  platform(id: string): PlatformConnector | undefined;
}
