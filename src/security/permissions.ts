/**
 * Who may do what: permissions are `interface:action` pairs [004-8], roles are named bundles of
 * them for people [000-5], and API-key scopes are the same permission names for machines. Every
 * `/v1` route declares the one permission it needs; nothing is allowed by default.
 */

// The permission names themselves are vocabulary every layer shares (the store keeps API keys'
// scopes); they live in domain/, the roles and who holds what here.
import { PERMISSIONS, type Permission } from '../domain/permissions.js';

export { PERMISSIONS, isPermission, type Permission } from '../domain/permissions.js';

/** The roles of [000-5], plus `viewer` and the machine-only `partner`. */
export const ROLES = [
  'admin',
  'integration_engineer',
  'logistics_ops',
  'warehouse',
  'order_desk',
  'compliance',
  'security',
  'finance',
  'management',
  'viewer',
] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

const READ_OPS: Permission[] = ['orders:read', 'tracking:read', 'partners:read', 'products:read'];

/**
 * Least privilege per role: each gets what its duties in the interface lifecycle need and no
 * more. Only the admin holds every permission; personal data is unmasked for the desks that
 * talk to consignees (orders, logistics) and for compliance, which answers data-subject requests.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  integration_engineer: [
    ...READ_OPS,
    'partners:manage',
    'dlq:read',
    'dlq:manage',
    'certs:read',
    'files:export',
    'metrics:read',
    'alerts:read',
    'alerts:manage',
    'incidents:read',
    'incidents:manage',
  ],
  logistics_ops: [
    ...READ_OPS,
    'tracking:write',
    'dlq:read',
    'dlq:manage',
    'files:import',
    'files:export',
    'pii:read',
    'alerts:read',
    'alerts:manage',
    'incidents:read',
    'incidents:manage',
    'products:write',
    'customs:read',
  ],
  warehouse: ['orders:read', 'tracking:read', 'files:export', 'inventory:read', 'inventory:manage'],
  order_desk: [
    'orders:read',
    'orders:write',
    'tracking:read',
    'files:import',
    'files:export',
    'pii:read',
    'inventory:read',
    'products:read',
    'products:write',
  ],
  compliance: [
    'customs:read',
    'customs:override',
    'products:read',
    'products:write',
    'orders:read',
    'tracking:read',
    'audit:read',
    'audit:export',
    'pii:read',
    'dsr:export',
    'dsr:erase',
  ],
  security: [
    'audit:read',
    'audit:export',
    'users:manage',
    'apikeys:manage',
    'keys:manage',
    'certs:read',
    'certs:manage',
    'partners:read',
  ],
  finance: ['orders:read', 'reports:read', 'files:export', 'finance:read', 'finance:manage'],
  management: [
    ...READ_OPS,
    'reports:read',
    'audit:read',
    'interfaces:approve',
    'finance:read',
    'inventory:read',
    'alerts:read',
    'incidents:read',
    'customs:read',
  ],
  viewer: READ_OPS,
};

export function permissionsOfRole(role: Role): ReadonlySet<Permission> {
  return new Set(ROLE_PERMISSIONS[role]);
}

/**
 * Who is calling, as the gateway resolved it. `partnerId` set means the caller acts for exactly
 * one partner and sees only that partner's objects (object-level authorisation).
 */
export interface Caller {
  kind: 'user' | 'api_key' | 'partner';
  id: string;
  permissions: ReadonlySet<Permission>;
  partnerId?: string;
  role?: Role;
  /** Requests per minute this caller may make (API keys with a rate limit). */
  ratePerMinute?: number;
}

export function can(caller: Caller | undefined, permission: Permission): boolean {
  return caller !== undefined && caller.permissions.has(permission);
}

/** Object-level check: a partner-bound caller owns only objects of its own partner id. */
export function ownsSource(caller: Caller | undefined, source: string): boolean {
  return caller !== undefined && (caller.partnerId === undefined || caller.partnerId === source);
}
