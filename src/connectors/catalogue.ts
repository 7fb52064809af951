/**
 * The registered connectors (registry.ts), checked and indexed by kind and id. A registry
 * entry whose export name does not match its manifest id, or two connectors with one id, stop
 * the hub at import: the registry is code, and a broken one is a build error, not a config error.
 */
import * as registry from './registry.js';
import type {
  CarrierDefinition,
  ConnectorDefinition,
  CustomsDefinition,
  FinanceDefinition,
  PartnerKind,
  PlatformDefinition,
  WarehouseDefinition,
} from './types.js';

/** The export name registry.ts gives a connector id: `carrier-alpha` → `carrierAlpha`. */
export function registryName(id: string): string {
  return id.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const entries: ReadonlyArray<[string, ConnectorDefinition]> = Object.entries(
  registry satisfies Record<string, ConnectorDefinition>,
);

/** Every registered connector, in registry order. */
export const CONNECTORS: readonly ConnectorDefinition[] = entries.map(([name, def]) => {
  if (registryName(def.manifest.id) !== name) {
    throw new Error(
      `connectors/registry.ts: ${name} exports connector ${def.manifest.id}; name it ${registryName(def.manifest.id)}`,
    );
  }
  if (def.kind !== def.manifest.kind) {
    throw new Error(
      `connectors/registry.ts: ${def.manifest.id} is registered as a ${def.kind} but its manifest says ${def.manifest.kind}`,
    );
  }
  return def;
});

function byId<D extends ConnectorDefinition>(kind: D['kind']): Readonly<Record<string, D>> {
  const out: Record<string, D> = {};
  for (const def of CONNECTORS) {
    if (def.kind === kind) out[def.manifest.id] = def as D;
  }
  return Object.freeze(out);
}

export const CARRIERS = byId<CarrierDefinition>('carrier');
export const PLATFORMS = byId<PlatformDefinition>('platform');
export const CUSTOMS = byId<CustomsDefinition>('customs');
export const WAREHOUSES = byId<WarehouseDefinition>('warehouse');
export const FINANCE = byId<FinanceDefinition>('finance');

/** The registered connector of that kind and id, if any. */
export function connectorFor(kind: PartnerKind, id: string): ConnectorDefinition | undefined {
  const def = CONNECTORS.find((d) => d.manifest.id === id);
  return def?.kind === kind ? def : undefined;
}

/** The folder under src/connectors/ holding each kind's connectors. */
export const KIND_FOLDERS: Readonly<Record<PartnerKind, string>> = {
  carrier: 'carriers',
  platform: 'platforms',
  customs: 'customs',
  warehouse: 'warehouses',
  finance: 'finance',
};
