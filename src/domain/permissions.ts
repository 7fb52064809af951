/**
 * The permission names [004-8]: `interface:action` pairs. People hold them through roles
 * (security/permissions.ts), machines as API-key scopes (store/api-keys.ts); every `/v1` route
 * declares the one it needs.
 */

export const PERMISSIONS = [
  'orders:read',
  'orders:write',
  'tracking:read',
  'tracking:write',
  'partners:read',
  'partners:manage',
  'dlq:read',
  'dlq:manage',
  'files:import',
  'files:export',
  /** See personal data unmasked (names, phones, e-mails, addresses, ID numbers). */
  'pii:read',
  'audit:read',
  'audit:export',
  'users:manage',
  'apikeys:manage',
  'keys:manage',
  'certs:read',
  'certs:manage',
  'dsr:export',
  'dsr:erase',
  'reports:read',
  'interfaces:approve',
  /** Bills, reconciliations, disputes and statements of fee settlement [003-5.9]. */
  'finance:read',
  /** Receive and reconcile bills, move disputes, record payments and exchange rates. */
  'finance:manage',
  /** Stock per warehouse and SKU, its history, inbound receipts and reconciliation reports. */
  'inventory:read',
  /** Send inbound receipts (ASN) and take snapshots. */
  'inventory:manage',
  /** Scrape `/metrics` from an address outside `metrics.allow` (Prometheus with a key). */
  'metrics:read',
  /** See alerts, their rules and the notifications sent. */
  'alerts:read',
  /** Acknowledge alerts. */
  'alerts:manage',
  /** See incidents, their timelines and reports, and the fault knowledge base. */
  'incidents:read',
  /** Open, annotate and close incidents; edit the fault knowledge base. */
  'incidents:manage',
  /** The product catalogue: SKU master data for customs (HS code, origin, declared names, value). */
  'products:read',
  /** Add or change products; releases the orders that waited for them. */
  'products:write',
  /** Customs declarations, their statuses, receipts and three-document discrepancies. */
  'customs:read',
  /** Release an inventory list held by the three-document match despite its discrepancies (audited). */
  'customs:override',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
