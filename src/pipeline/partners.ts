import type { CarrierConnector } from '../connectors/types.js';
import type { PartnerRuntime } from './policy/runtime.js';
import type { RoutingConfig } from './routing.js';

/** What the pipeline needs to know about carriers; the hub swaps the set behind it on reload. */
export interface CarrierDirectory {
  carrier(id: string): PartnerRuntime<CarrierConnector> | undefined;
  carriers(): Iterable<PartnerRuntime<CarrierConnector>>;
  routing(): RoutingConfig;
  pollIntervalMs(): number;
}
