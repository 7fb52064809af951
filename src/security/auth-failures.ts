/**
 * Failed authentications, counted so that guessing is slow and cheap to refuse [004-5] [000-15]:
 *
 * - per source address (an IPv6 caller counts per /64, the block one subscriber gets) and per
 *   credential named (an API key id, a username), in fixed windows. An address or credential
 *   with too many failures in its window is refused until the window ends, before any key
 *   lookup, signature check or password hash is done for it;
 * - a credential's own limit is not applied to an address that authenticated as that credential
 *   shortly before, so failures sent from elsewhere in a key's or person's name cannot lock its
 *   rightful user out (the address limit still applies to everyone);
 * - failures are tallied per (address, credential) and window for the audit log: one row with
 *   the count, not one row per guess; refused attempts per address and window;
 * - an address or credential whose failures (refused attempts included) reach the spike
 *   threshold in a window is reported once for that window.
 *
 * State is per process and bounded; like the rate limits, N nodes allow up to N times the limit.
 */
import ipaddr from 'ipaddr.js';

export interface AuthFailureLimits {
  /** Failed authentications from one address in a window before it is refused. */
  maxPerAddress: number;
  /** Failed authentications naming one key id or username in a window before it is refused. */
  maxPerCredential: number;
  windowMs: number;
  /** Failures plus refused attempts of one address or credential in a window that make a spike. */
  spikeThreshold: number;
  /** How long a successful authentication exempts that address from the credential's own limit. */
  trustMs: number;
}

export const AUTH_FAILURE_DEFAULTS: AuthFailureLimits = {
  maxPerAddress: 20,
  maxPerCredential: 10,
  windowMs: 5 * 60_000,
  spikeThreshold: 100,
  trustMs: 24 * 3_600_000,
};

/** Who tried: the address bucket and, when the request named one, the credential (`key:…`, `user:…`). */
export interface AuthAttempt {
  address: string;
  credential?: string;
}

/** One (address, credential) pair's failures in one window, for one audit row. */
export interface FailureTally {
  address: string;
  credential?: string;
  from: number;
  to: number;
  failures: number;
  refused: number;
  codes: string[];
  routes: string[];
}

export interface FailureSpike {
  /** `address` or `credential`. */
  kind: 'address' | 'credential';
  /** The address bucket or credential (unmasked: mask before logging). */
  value: string;
  count: number;
  windowMs: number;
}

interface Counter {
  windowEnd: number;
  failures: number;
  refused: number;
  spiked: boolean;
}

interface OpenTally {
  address: string;
  credential?: string;
  windowEnd: number;
  from: number;
  to: number;
  failures: number;
  refused: number;
  codes: Set<string>;
  routes: Set<string>;
}

const MAX_LISTED = 10;

/** The address an attempt is counted under: IPv4 as is (also when IPv4-mapped), IPv6 per /64. */
export function addressBucket(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip.slice(0, 64);
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

/** An address bucket fit for a log line: IPv4 to its /24, IPv6 to its /48. */
export function maskAddress(bucket: string): string {
  const ip = bucket.replace(/\/64$/, '');
  if (!ipaddr.isValid(ip)) return '[address]';
  const addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv4') {
    const [a, b, c] = (addr as ipaddr.IPv4).octets;
    return `${a}.${b}.${c}.0/24`;
  }
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 3);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0, 0]).toString()}/48`;
}

/**
 * A credential fit for a log line or audit row: the kind and a short prefix. A key id field
 * sometimes carries a pasted secret and a username field a typed password, so neither is kept whole.
 */
export function maskCredential(credential: string): string {
  const colon = credential.indexOf(':');
  const kind = colon > 0 ? credential.slice(0, colon) : 'credential';
  const value = colon > 0 ? credential.slice(colon + 1) : credential;
  const keep = kind === 'key' ? 7 : 2;
  return `${kind}:${value.slice(0, Math.min(keep, Math.floor(value.length / 2)))}…`;
}

export class AuthFailureLedger {
  readonly #limits: () => AuthFailureLimits;
  readonly #maxEntries: number;
  readonly #counters = new Map<string, Counter>();
  readonly #trusted = new Map<string, number>();
  readonly #tallies = new Map<string, OpenTally>();
  #closed: FailureTally[] = [];

  constructor(limits: () => AuthFailureLimits, opts: { maxEntries?: number } = {}) {
    this.#limits = limits;
    this.#maxEntries = opts.maxEntries ?? 100_000;
  }

  /** Seconds the attempt must wait, when its address or credential is over its limit; else undefined. */
  retryAfter(a: AuthAttempt, now: number): number | undefined {
    const l = this.#limits();
    let until = 0;
    const address = this.#active(`a:${a.address}`, now);
    if (address && address.failures >= l.maxPerAddress) until = address.windowEnd;
    if (a.credential && !this.#isTrusted(a, now)) {
      const credential = this.#active(`c:${a.credential}`, now);
      if (credential && credential.failures >= l.maxPerCredential)
        until = Math.max(until, credential.windowEnd);
    }
    return until > now ? Math.max(1, Math.ceil((until - now) / 1000)) : undefined;
  }

  /** Counts a failed authentication; returns the spikes it completes. */
  failed(a: AuthAttempt, code: string, route: string, now: number): FailureSpike[] {
    this.#tally(a, now, (t) => {
      t.failures++;
      if (t.codes.size < MAX_LISTED) t.codes.add(code);
      if (t.routes.size < MAX_LISTED) t.routes.add(route);
    });
    return this.#count(a, now, (c) => c.failures++);
  }

  /** Counts an attempt refused unverified (over the limit); returns the spikes it completes. */
  refused(a: AuthAttempt, route: string, now: number): FailureSpike[] {
    // Tallied per address alone: a throttled client naming a new credential with every attempt
    // must not get a new audit row for each.
    this.#tally({ address: a.address }, now, (t) => {
      t.refused++;
      if (t.routes.size < MAX_LISTED) t.routes.add(route);
    });
    return this.#count(a, now, (c) => c.refused++);
  }

  /** The attempt authenticated: its address is exempt from its credential's own limit for a while. */
  succeeded(a: AuthAttempt, now: number): void {
    if (!a.credential) return;
    const key = `${a.address}|${a.credential}`;
    this.#trusted.delete(key);
    this.#trusted.set(key, now + this.#limits().trustMs);
    this.#bound(this.#trusted, (until) => until <= now);
  }

  /** The tallies whose window has ended (with `all`, every tally), taken out of the ledger. */
  takeTallies(now: number, all = false): FailureTally[] {
    const out = this.#closed;
    this.#closed = [];
    for (const [key, t] of this.#tallies) {
      if (!all && t.windowEnd > now) continue;
      this.#tallies.delete(key);
      out.push(closeTally(t));
    }
    return out;
  }

  /** How many counters, open tallies and trusted pairs are held (each stays within the bound). */
  held(): { counters: number; tallies: number; trusted: number } {
    return { counters: this.#counters.size, tallies: this.#tallies.size, trusted: this.#trusted.size };
  }

  #isTrusted(a: AuthAttempt, now: number): boolean {
    const until = this.#trusted.get(`${a.address}|${a.credential}`);
    return until !== undefined && until > now;
  }

  #active(key: string, now: number): Counter | undefined {
    const c = this.#counters.get(key);
    return c && c.windowEnd > now ? c : undefined;
  }

  #count(a: AuthAttempt, now: number, bump: (c: Counter) => void): FailureSpike[] {
    const l = this.#limits();
    const spikes: FailureSpike[] = [];
    const subjects: Array<[FailureSpike['kind'], string]> = [['address', a.address]];
    if (a.credential) subjects.push(['credential', a.credential]);
    for (const [kind, value] of subjects) {
      const key = `${kind === 'address' ? 'a' : 'c'}:${value}`;
      let c = this.#active(key, now);
      if (!c) {
        c = { windowEnd: now + l.windowMs, failures: 0, refused: 0, spiked: false };
        this.#counters.delete(key);
        this.#counters.set(key, c);
      }
      bump(c);
      const count = c.failures + c.refused;
      if (!c.spiked && count >= l.spikeThreshold) {
        c.spiked = true;
        spikes.push({ kind, value, count, windowMs: l.windowMs });
      }
    }
    this.#bound(this.#counters, (c) => c.windowEnd <= now);
    return spikes;
  }

  #tally(a: AuthAttempt, now: number, bump: (t: OpenTally) => void): void {
    const key = `${a.address}|${a.credential ?? ''}`;
    let t = this.#tallies.get(key);
    if (t && t.windowEnd <= now) {
      this.#tallies.delete(key);
      this.#closed.push(closeTally(t));
      t = undefined;
    }
    if (!t) {
      t = {
        address: a.address,
        ...(a.credential ? { credential: a.credential } : {}),
        windowEnd: now + this.#limits().windowMs,
        from: now,
        to: now,
        failures: 0,
        refused: 0,
        codes: new Set(),
        routes: new Set(),
      };
      this.#tallies.set(key, t);
    }
    t.to = now;
    bump(t);
    // Beyond the bound the oldest tallies are closed early (written, not lost).
    for (const [oldKey, old] of this.#tallies) {
      if (this.#tallies.size <= this.#maxEntries) break;
      this.#tallies.delete(oldKey);
      this.#closed.push(closeTally(old));
    }
  }

  /** Keeps a map within the bound: expired entries go first, then the oldest. */
  #bound<V>(map: Map<string, V>, expired: (v: V) => boolean): void {
    if (map.size <= this.#maxEntries) return;
    for (const [k, v] of map) if (expired(v)) map.delete(k);
    for (const k of map.keys()) {
      if (map.size <= this.#maxEntries) break;
      map.delete(k);
    }
  }
}

function closeTally(t: OpenTally): FailureTally {
  return {
    address: t.address,
    ...(t.credential ? { credential: t.credential } : {}),
    from: t.from,
    to: t.to,
    failures: t.failures,
    refused: t.refused,
    codes: [...t.codes],
    routes: [...t.routes],
  };
}
