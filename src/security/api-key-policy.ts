/**
 * Rules for what an API key may be granted, and the address allow-list check [003-4.3].
 * A key bound to one partner acts for that partner only, so it may hold only the scopes a
 * partner's system needs; administrative scopes stay with internal systems and people.
 */
import { BlockList, isIP } from 'node:net';
import { WaygateError } from '../domain/index.js';
import { isPermission, type Permission } from './permissions.js';

export const PARTNER_SCOPES: readonly Permission[] = [
  'orders:read',
  'orders:write',
  'tracking:read',
  'tracking:write',
];

export interface KeyGrant {
  scopes: readonly string[];
  partnerId?: string | null;
  allowCidrs?: readonly string[];
  ratePerMinute?: number | null;
  expiresAt?: number | null;
}

/** Throws `invalid_key_grant` naming every problem; returns the scopes typed as permissions. */
export function checkKeyGrant(grant: KeyGrant, nowMs = Date.now()): Permission[] {
  const details: { field: string; message: string }[] = [];
  if (grant.scopes.length === 0) details.push({ field: 'scopes', message: 'name at least one scope' });
  for (const s of grant.scopes) {
    if (!isPermission(s)) details.push({ field: 'scopes', message: `${s} is not a known scope` });
    else if (grant.partnerId && !PARTNER_SCOPES.includes(s)) {
      details.push({ field: 'scopes', message: `${s} cannot be granted to a partner key` });
    }
  }
  if (
    grant.partnerId !== undefined &&
    grant.partnerId !== null &&
    !/^[a-z0-9][a-z0-9-]{1,62}$/.test(grant.partnerId)
  ) {
    details.push({ field: 'partner', message: 'must be a partner id (lowercase letters, digits, dashes)' });
  }
  for (const c of grant.allowCidrs ?? []) {
    if (!parseCidr(c))
      details.push({ field: 'allow', message: `${c} is not an IPv4/IPv6 address or CIDR block` });
  }
  const rate = grant.ratePerMinute;
  if (rate !== undefined && rate !== null && (!Number.isInteger(rate) || rate < 1 || rate > 1_000_000)) {
    details.push({ field: 'rate', message: 'must be a whole number of requests per minute, 1 to 1000000' });
  }
  if (grant.expiresAt !== undefined && grant.expiresAt !== null && grant.expiresAt <= nowMs) {
    details.push({ field: 'expires', message: 'must be in the future' });
  }
  if (details.length > 0) {
    throw new WaygateError(
      'invalid_key_grant',
      details.map((d) => `${d.field}: ${d.message}`).join('; '),
      details,
    );
  }
  return grant.scopes as Permission[];
}

function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText] = cidr.split('/');
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * True when every address of `inner` lies in `outer` (both addresses or CIDR blocks of one
 * family): the outer block is no longer than the inner one and holds the inner's address.
 * Anything unparsable, or of mixed families, is not within (a refusal, never a widening).
 */
export function cidrWithin(inner: string, outer: string): boolean {
  const i = parseCidr(inner);
  const o = parseCidr(outer);
  if (!i || !o || i.family !== o.family || o.prefix > i.prefix) return false;
  const list = new BlockList();
  list.addSubnet(o.address, o.prefix, o.family);
  return list.check(i.address, i.family);
}

/** Compiles an allow-list; an empty list allows every address. */
export function allowListOf(cidrs: readonly string[]): (ip: string) => boolean {
  if (cidrs.length === 0) return () => true;
  const list = new BlockList();
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (p) list.addSubnet(p.address, p.prefix, p.family);
  }
  return (ip) => {
    // Dual-stack sockets report IPv4 callers as ::ffff:a.b.c.d.
    const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
    const family = isIP(plain) === 4 ? 'ipv4' : isIP(plain) === 6 ? 'ipv6' : undefined;
    return family !== undefined && list.check(plain, family);
  };
}
