/** Carrier choice by destination country (the simple rule; rate comparison comes later). */

export interface RoutingRule {
  countries: readonly string[];
  carrier: string;
}

export interface RoutingConfig {
  rules: readonly RoutingRule[];
  default: string;
}

export function routeCarrier(routing: RoutingConfig, destinationCountry: string): string {
  const rule = routing.rules.find((r) => r.countries.includes(destinationCountry));
  return rule ? rule.carrier : routing.default;
}
