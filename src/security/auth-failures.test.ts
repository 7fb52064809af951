import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUTH_FAILURE_DEFAULTS,
  AuthFailureLedger,
  addressBucket,
  maskAddress,
  maskCredential,
  type AuthFailureLimits,
} from './auth-failures.js';

const T0 = Date.parse('2030-03-01T09:00:00Z');
const limits =
  (l: Partial<AuthFailureLimits> = {}) =>
  () => ({ ...AUTH_FAILURE_DEFAULTS, ...l });

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
const hextets = (n: number) => fc.array(fc.nat(0xffff), { minLength: n, maxLength: n });
const hex = (n: number) => n.toString(16);

describe('address buckets', () => {
  it('counts an IPv4 address the same in every spelling of it as an IPv4-mapped IPv6 address', () => {
    fc.assert(
      fc.property(ipv4, ([a, b, c, d]) => {
        const dotted = `${a}.${b}.${c}.${d}`;
        const spellings = [
          dotted,
          `::ffff:${dotted}`,
          `::FFFF:${dotted}`,
          `::ffff:${hex(a * 256 + b)}:${hex(c * 256 + d)}`,
          `0:0:0:0:0:ffff:${dotted}`,
        ];
        for (const s of spellings) expect(addressBucket(s), s).toBe(dotted);
      }),
    );
  });

  it('counts IPv6 addresses per /64, whatever the interface id and spelling', () => {
    fc.assert(
      fc.property(hextets(4), hextets(4), hextets(4), (prefix, a, b) => {
        fc.pre(prefix[0]! !== 0);
        const full = (suffix: number[]) => [...prefix, ...suffix].map(hex).join(':');
        const upper = full(b).toUpperCase();
        const padded = [...prefix, ...a].map((h) => hex(h).padStart(4, '0')).join(':');
        expect(addressBucket(full(a))).toBe(addressBucket(upper));
        expect(addressBucket(padded)).toBe(addressBucket(full(b)));
        expect(addressBucket(full(a))).toMatch(/\/64$/);
      }),
    );
  });

  it('keeps different /64 networks apart', () => {
    fc.assert(
      fc.property(hextets(8), fc.integer({ min: 0, max: 3 }), (parts, i) => {
        fc.pre(parts[0]! !== 0);
        const other = [...parts];
        other[i] = (other[i]! + 1) % 0x10000;
        fc.pre(other[0]! !== 0);
        expect(addressBucket(parts.map(hex).join(':'))).not.toBe(addressBucket(other.map(hex).join(':')));
      }),
    );
  });

  it('masks addresses and credentials for log lines', () => {
    fc.assert(
      fc.property(ipv4, ([a, b, c, d]) => {
        expect(maskAddress(addressBucket(`${a}.${b}.${c}.${d}`))).toBe(`${a}.${b}.${c}.0/24`);
      }),
    );
    expect(maskAddress('2001:db8:7:1::/64')).toBe('2001:db8:7::/48');
    expect(maskAddress('not an address')).toBe('[address]');
    expect(maskCredential('key:wk_Abc123xyz7890')).toBe('key:wk_Abc1…');
    expect(maskCredential('user:kim.lee')).toBe('user:ki…');
    // A short value (a typed password in the username field, say) keeps at most half of itself.
    expect(maskCredential('user:ab')).toBe('user:a…');
  });
});

describe('failure ledger', () => {
  it('never lets an address or a credential fail more often than its limit in a window (property)', () => {
    const attempt = fc.record({
      address: fc.constantFrom('192.0.2.1', '192.0.2.2', '2001:db8::/64'),
      credential: fc.option(fc.constantFrom('key:wk_a', 'key:wk_b', 'user:kim'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(attempt, { maxLength: 200 }), (attempts) => {
        const ledger = new AuthFailureLedger(limits({ maxPerAddress: 7, maxPerCredential: 4 }));
        const failures = new Map<string, number>();
        const bump = (k: string) => failures.set(k, (failures.get(k) ?? 0) + 1);
        let refused = 0;
        for (const a of attempts) {
          const att = a.credential
            ? { address: a.address, credential: a.credential }
            : { address: a.address };
          if (ledger.retryAfter(att, T0) !== undefined) {
            ledger.refused(att, 'GET /v1/orders', T0);
            refused++;
            continue;
          }
          ledger.failed(att, 'auth_bad_signature', 'GET /v1/orders', T0);
          bump(`a:${a.address}`);
          if (a.credential) bump(`c:${a.credential}`);
        }
        for (const [k, n] of failures) expect(n, k).toBeLessThanOrEqual(k.startsWith('a:') ? 7 : 4);
        const tallies = ledger.takeTallies(T0, true);
        expect(tallies.reduce((n, t) => n + t.failures, 0)).toBe(attempts.length - refused);
        expect(tallies.reduce((n, t) => n + t.refused, 0)).toBe(refused);
        // One tally per (address, credential) that failed and one per address refused: never per attempt.
        expect(tallies.length).toBeLessThanOrEqual(3 * 4 + 3);
      }),
    );
  });

  it('refuses until the window ends, then counts afresh', () => {
    const ledger = new AuthFailureLedger(limits({ maxPerAddress: 2, windowMs: 60_000 }));
    const a = { address: '192.0.2.1' };
    ledger.failed(a, 'auth_missing', 'r', T0);
    expect(ledger.retryAfter(a, T0 + 10_000)).toBeUndefined();
    ledger.failed(a, 'auth_missing', 'r', T0 + 10_000);
    expect(ledger.retryAfter(a, T0 + 10_000)).toBe(50);
    expect(ledger.retryAfter(a, T0 + 59_999)).toBe(1);
    expect(ledger.retryAfter(a, T0 + 60_000)).toBeUndefined();
    ledger.failed(a, 'auth_missing', 'r', T0 + 60_000);
    expect(ledger.retryAfter(a, T0 + 60_000)).toBeUndefined();
  });

  it('exempts an address from a credential’s own limit for a while after it authenticated there', () => {
    const ledger = new AuthFailureLedger(limits({ maxPerCredential: 1, trustMs: 1_000 }));
    const home = { address: '192.0.2.1', credential: 'user:kim' };
    ledger.succeeded(home, T0);
    ledger.failed({ address: '198.51.100.9', credential: 'user:kim' }, 'invalid_credentials', 'r', T0);
    expect(ledger.retryAfter({ address: '198.51.100.10', credential: 'user:kim' }, T0)).toBeDefined();
    expect(ledger.retryAfter(home, T0 + 999)).toBeUndefined();
    expect(ledger.retryAfter(home, T0 + 1_000)).toBeDefined();
  });

  it('reports a spike once per window for the address and for the credential', () => {
    const ledger = new AuthFailureLedger(limits({ spikeThreshold: 3, maxPerAddress: 2 }));
    const a = { address: '192.0.2.1', credential: 'key:wk_a' };
    const spikes = [];
    for (let i = 0; i < 10; i++) {
      spikes.push(
        ...(ledger.retryAfter(a, T0) === undefined
          ? ledger.failed(a, 'auth_bad_signature', 'r', T0)
          : ledger.refused(a, 'r', T0)),
      );
    }
    expect(spikes.map((s) => [s.kind, s.value, s.count])).toEqual([
      ['address', '192.0.2.1', 3],
      ['credential', 'key:wk_a', 3],
    ]);
  });

  it('stays within its bound under a flood of distinct addresses, writing the tallies it closes early', () => {
    const ledger = new AuthFailureLedger(limits(), { maxEntries: 50 });
    for (let i = 0; i < 1_000; i++) {
      const a = { address: `10.0.${i >> 8}.${i & 255}`, credential: `key:wk_${i}` };
      ledger.failed(a, 'c', 'r', T0);
      ledger.succeeded(a, T0);
    }
    const held = ledger.held();
    expect(Math.max(held.counters, held.tallies, held.trusted)).toBeLessThanOrEqual(50);
    const tallies = ledger.takeTallies(T0, true);
    expect(tallies.reduce((n, t) => n + t.failures, 0)).toBe(1_000);
    expect(ledger.takeTallies(T0, true)).toEqual([]);
  });
});
