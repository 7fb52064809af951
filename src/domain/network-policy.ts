/**
 * Which network addresses the hub may call (SSRF defence, OWASP API7). Pure: no I/O.
 *
 * Partner URLs are parsed with the WHATWG URL parser — the same one the HTTP client uses — so
 * every spelling of an IP literal (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`,
 * `[::ffff:7f00:1]`, …) is judged by the address it normalises to, not by its text. Addresses
 * are classified with ipaddr.js: only global unicast is allowed by default; loopback only when
 * the config says so (the sandbox does); an operator's `allow` ranges punch holes (a partner on
 * a private VPN), `deny` ranges add to the refusals and win over `allow`.
 */
import ipaddr from 'ipaddr.js';

export interface NetworkPolicy {
  /** Loopback (127.0.0.0/8, ::1, `localhost`) may be called: the sandbox on this machine. */
  allowLoopback: boolean;
  /** CIDR ranges allowed although not global unicast (e.g. a partner behind a VPN). */
  allow: readonly string[];
  /** CIDR ranges refused although global unicast; they win over `allow`. */
  deny: readonly string[];
}

export const DEFAULT_NETWORK_POLICY: NetworkPolicy = Object.freeze({
  allowLoopback: false,
  allow: Object.freeze([]),
  deny: Object.freeze([]),
});

/** Host names that are internal whatever they resolve to (cloud metadata endpoints). */
const DENIED_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data']);

export type AddressVerdict = { ok: true } | { ok: false; reason: string };

/** True when `cidr` is a valid `address/prefix` range (ipaddr.js, any IPv4/IPv6 spelling). */
export function isCidr(cidr: string): boolean {
  try {
    ipaddr.parseCIDR(cidr);
    return true;
  } catch {
    return false;
  }
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function inRanges(addr: ipaddr.IPv4 | ipaddr.IPv6, cidrs: readonly string[]): boolean {
  for (const cidr of cidrs) {
    let range: Range;
    try {
      range = ipaddr.parseCIDR(cidr);
    } catch {
      continue; // refused at config load; never widens anything here
    }
    const [net, bits] = range;
    if (net.kind() === addr.kind() && addr.match(range)) return true;
    // An IPv4 range also covers the IPv4-mapped IPv6 spelling of its addresses (and back).
    if (net.kind() === 'ipv4' && addr.kind() === 'ipv6') {
      const v6 = addr as ipaddr.IPv6;
      if (v6.isIPv4MappedAddress() && v6.toIPv4Address().match(net, bits)) return true;
    }
  }
  return false;
}

/**
 * Judges one IP address (any spelling ipaddr.js reads, including IPv4-mapped IPv6 and a zone
 * suffix) against the policy.
 */
export function checkAddress(ip: string, policy: NetworkPolicy = DEFAULT_NETWORK_POLICY): AddressVerdict {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return { ok: false, reason: `${ip} is not an IP address` };
  // process() turns ::ffff:a.b.c.d into a.b.c.d, so a mapped address is judged as IPv4.
  const addr = ipaddr.process(bare);
  if (inRanges(addr, policy.deny)) return { ok: false, reason: `${addr.toString()} is in a denied range` };
  const range = addr.range();
  if (range === 'unicast') return { ok: true };
  if (range === 'loopback' && policy.allowLoopback) return { ok: true };
  if (inRanges(addr, policy.allow)) return { ok: true };
  return { ok: false, reason: `${addr.toString()} is a ${range} address` };
}

/** A host name the policy refuses before any lookup (undefined when a lookup must decide). */
export function checkHostName(name: string, policy: NetworkPolicy = DEFAULT_NETWORK_POLICY): AddressVerdict {
  const host = name.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return policy.allowLoopback ? { ok: true } : { ok: false, reason: `${name} is a loopback name` };
  }
  if (DENIED_NAMES.has(host)) return { ok: false, reason: `${name} is a cloud metadata host` };
  return { ok: true };
}

/**
 * Parses a partner URL as the HTTP client will and judges its host: scheme http(s), no user
 * info (credentials belong in `credentials:`), an IP literal in any spelling by its address, a
 * name by the names refused outright (what it resolves to is checked at connect time).
 */
export function checkPartnerUrl(url: string, policy: NetworkPolicy = DEFAULT_NETWORK_POLICY): AddressVerdict {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: `scheme ${parsed.protocol} is not http or https` };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'must not carry user info (user@ or user:password@)' };
  }
  const host = parsed.hostname;
  const literal = host.startsWith('[') || ipaddr.IPv4.isValidFourPartDecimal(host);
  const verdict = literal ? checkAddress(host, policy) : checkHostName(host, policy);
  return verdict.ok ? verdict : { ok: false, reason: `host ${host} refused: ${verdict.reason}` };
}

/** True when `host` (a URL hostname) is loopback by name or by address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const bare = h.replace(/^\[|\]$/g, '');
  return ipaddr.isValid(bare) && ipaddr.process(bare).range() === 'loopback';
}

/** The policy of a hub talking to the sandbox on this machine (and of tests that do). */
export const LOOPBACK_ALLOWED: NetworkPolicy = Object.freeze({
  ...DEFAULT_NETWORK_POLICY,
  allowLoopback: true,
});
