/**
 * Where an order goes: to a carrier (the hub books the parcel) or to an overseas warehouse (the
 * warehouse picks, packs and books the last mile from its own stock). Rules are tried in order;
 * the first whose destination countries — and SKU patterns, when it has them — match the order
 * decides; none matching, the default carrier ships it.
 */

export interface RoutingRule {
  countries: readonly string[];
  /**
   * SKU patterns (`ABC-1`, or `ABC-*` for a prefix) every line of the order must match for the
   * rule to apply: a warehouse fulfils only what it stocks. Absent: any SKU.
   */
  skus?: readonly string[];
  /** Exactly one of `carrier` and `warehouse` (checked when the config is loaded). */
  carrier?: string;
  warehouse?: string;
}

export interface RoutingConfig {
  rules: readonly RoutingRule[];
  default: string;
}

export type Route = { kind: 'carrier'; carrier: string } | { kind: 'warehouse'; warehouse: string };

export function skuMatches(pattern: string, sku: string): boolean {
  return pattern.endsWith('*') ? sku.startsWith(pattern.slice(0, -1)) : sku === pattern;
}

function applies(rule: RoutingRule, destinationCountry: string, skus: readonly string[] | undefined) {
  if (!rule.countries.includes(destinationCountry)) return false;
  if (!rule.skus) return true;
  // A rule about SKUs never applies to an order whose SKUs are unknown (or that has none).
  if (!skus || skus.length === 0) return false;
  return skus.every((sku) => rule.skus!.some((p) => skuMatches(p, sku)));
}

/** The route of an order by its destination and SKUs. */
export function routeOrder(
  routing: RoutingConfig,
  order: { destinationCountry: string; skus: readonly string[] },
): Route {
  const rule = routing.rules.find((r) => applies(r, order.destinationCountry, order.skus));
  if (rule?.warehouse !== undefined) return { kind: 'warehouse', warehouse: rule.warehouse };
  return { kind: 'carrier', carrier: rule?.carrier ?? routing.default };
}

/**
 * The carrier that ships to a country when the hub books the parcel itself (warehouse rules are
 * passed over: a carrier file export asks only about the hub's own bookings).
 */
export function routeCarrier(routing: RoutingConfig, destinationCountry: string): string {
  const rule = routing.rules.find(
    (r) => r.carrier !== undefined && applies(r, destinationCountry, undefined),
  );
  return rule?.carrier ?? routing.default;
}
