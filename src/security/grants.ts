/**
 * Who may hand out what [004-8] [000-15]: nobody grants a permission or a role they do not hold
 * themselves, and only an administrator makes an administrator. Every grant path goes through
 * `assertCanGrant`: creating an API key, rotating one (which hands its new secret to the
 * caller), creating an account, changing its role, and every action that gives an account's
 * permissions back or to someone else (unfreeze, reset token, second-factor removal, unlock).
 *
 * A grantor's effective permissions are its key's scopes (API key) or its role's permissions
 * (person). A key grantor also passes on its own limits: a key bound to a partner mints only keys
 * bound to that partner, and a key with an allow-list, a rate limit or an expiry mints only keys
 * at least as narrow, as slow and as short-lived.
 */
import { WaygateError } from '../domain/index.js';
import { cidrWithin } from './api-key-policy.js';
import { PERMISSIONS, permissionsOfRole, type Caller, type Permission, type Role } from './permissions.js';

/** The limits an API key carries besides its scopes. */
export interface KeyLimits {
  partnerId: string | null;
  allowCidrs: readonly string[];
  ratePerMinute: number | null;
  expiresAt: number | null;
}

export interface Grantor {
  /** Who the audit log names. */
  actor: string;
  /**
   * `operator`: the local operator of the CLI, who holds the database and the master key and
   * so is an administrator (see docs/security.md).
   */
  kind: 'user' | 'api_key' | 'operator';
  /** A person's account id: nobody changes their own role or freezes themselves. */
  userId?: string;
  role?: Role;
  permissions: ReadonlySet<Permission>;
  /** A key grantor's own limits, which what it grants may not exceed. */
  limits?: KeyLimits;
}

export type GrantRequest =
  /** Creating an account of this role, promoting to it, or acting on an account that has it. */
  | { role: Role }
  /** Creating an API key, or rotating one (its secret goes to the grantor). */
  | ({ scopes: readonly Permission[] } & KeyLimits);

export interface GrantProblem {
  field: 'scopes' | 'role' | 'partner' | 'allow' | 'rate' | 'expires';
  message: string;
  permission?: Permission;
}

/** The local operator of the CLI: an administrator (whoever runs it holds the database and keys). */
export function operatorGrantor(actor: string): Grantor {
  return { actor, kind: 'operator', role: 'admin', permissions: new Set(PERMISSIONS) };
}

/**
 * A gateway caller as a grantor. A key caller needs `limits`, read from its stored key: without
 * them it grants nothing (fail closed), since its allow-list and expiry are not on the caller.
 */
export function grantorOf(caller: Caller, actor: string, limits?: KeyLimits): Grantor {
  if (caller.kind === 'user')
    return {
      actor,
      kind: 'user',
      userId: caller.id,
      ...(caller.role ? { role: caller.role } : {}),
      // A person's permissions are those of their role, and none while the password must change.
      permissions: caller.role
        ? new Set([...permissionsOfRole(caller.role)].filter((p) => caller.permissions.has(p)))
        : new Set(),
    };
  if (!limits)
    throw new WaygateError(
      'grantor_unknown',
      'the calling key is no longer active: it cannot grant anything',
    );
  return { actor, kind: 'api_key', permissions: new Set(caller.permissions), limits };
}

/** Every way `requested` exceeds what `grantor` holds; empty when the grant is allowed. */
export function grantProblems(grantor: Grantor, requested: GrantRequest): GrantProblem[] {
  const problems: GrantProblem[] = [];
  const wanted = 'role' in requested ? [...permissionsOfRole(requested.role)] : requested.scopes;
  for (const permission of new Set(wanted)) {
    if (!grantor.permissions.has(permission))
      problems.push(
        'role' in requested
          ? {
              field: 'role',
              permission,
              message: `role ${requested.role} holds ${permission}, which the grantor does not`,
            }
          : { field: 'scopes', permission, message: `the grantor does not hold ${permission}` },
      );
  }
  if ('role' in requested) {
    // Holding every permission is not enough: an API key is never an administrator.
    if (requested.role === 'admin' && !(grantor.kind !== 'api_key' && grantor.role === 'admin'))
      problems.push({ field: 'role', message: 'only an administrator may make or manage an administrator' });
    return problems;
  }
  const own = grantor.limits;
  if (!own) return problems;
  if (own.partnerId !== null && requested.partnerId !== own.partnerId)
    problems.push({
      field: 'partner',
      message: `a key bound to partner ${own.partnerId} grants only keys bound to ${own.partnerId}`,
    });
  if (
    own.allowCidrs.length > 0 &&
    (requested.allowCidrs.length === 0 ||
      !requested.allowCidrs.every((inner) => own.allowCidrs.some((outer) => cidrWithin(inner, outer))))
  )
    problems.push({
      field: 'allow',
      message: `the allow-list must lie within the grantor's own (${own.allowCidrs.join(', ')})`,
    });
  if (own.ratePerMinute !== null && (requested.ratePerMinute ?? Infinity) > own.ratePerMinute)
    problems.push({
      field: 'rate',
      message: `the rate limit must be at most the grantor's own ${own.ratePerMinute}/min`,
    });
  if (own.expiresAt !== null && (requested.expiresAt ?? Infinity) > own.expiresAt)
    problems.push({
      field: 'expires',
      message: `the key must expire no later than the grantor's own key (${new Date(own.expiresAt).toISOString()})`,
    });
  return problems;
}

/** Throws 403 `grant_exceeds_grantor`, naming every problem, unless the grant is allowed. */
export function assertCanGrant(grantor: Grantor, requested: GrantRequest): void {
  const problems = grantProblems(grantor, requested);
  if (problems.length === 0) return;
  throw new WaygateError(
    'grant_exceeds_grantor',
    `nobody may grant a permission or role they do not hold: ${problems.map((p) => p.message).join('; ')}`,
    problems,
  );
}
