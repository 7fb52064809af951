/**
 * Issue 16, defect 5: "SSRF filter on partner URLs is textual". Every spelling of an internal
 * address is refused by `waygate config check`, at load and at hot reload (file:line: field),
 * and the HTTP client refuses the address it would actually connect to, whatever the name said.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/main.js';
import { PartnerCallError } from '../../src/connectors/errors.js';
import { createHttpClient } from '../../src/connectors/http.js';
import { checkAddress, checkPartnerUrl, LOOPBACK_ALLOWED } from '../../src/domain/network-policy.js';
import { parseHubConfig } from '../../src/hub/config.js';
import { watchConfig, type ConfigEvent } from '../../src/hub/config-watcher.js';

const sandboxText = readFileSync(new URL('../../config/sandbox.yaml', import.meta.url), 'utf8');
const env: Record<string, string> = {};
for (const m of sandboxText.matchAll(/\$\{([A-Z0-9_]+)\}/g)) env[m[1] as string] = 'placeholder-value';

/** A production-like config: no `network:` section, carrier-alpha's primary URL is `url`. */
function configWith(url: string): string {
  return [
    'partners:',
    '  carrier-alpha:',
    '    kind: carrier',
    '    channels:',
    `      primary: { url: '${url}' }`,
    '    credentials: { apiToken: t, webhookSecret: s }',
    'routing:',
    '  rules: []',
    '  default: carrier-alpha',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Denied addresses, and the many ways to spell them
// ---------------------------------------------------------------------------------------------

const byte = fc.integer({ min: 0, max: 255 });
/** IPv4 addresses in ranges that are never global unicast. */
const deniedV4: fc.Arbitrary<[number, number, number, number]> = fc.oneof(
  fc.tuple(fc.constant(127), byte, byte, byte), // loopback
  fc.tuple(fc.constant(10), byte, byte, byte), // private
  fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), byte, byte),
  fc.tuple(fc.constant(192), fc.constant(168), byte, byte),
  fc.tuple(fc.constant(169), fc.constant(254), byte, byte), // link-local, cloud metadata
  fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), byte, byte), // CGNAT
  fc.tuple(fc.constant(0), byte, byte, byte), // "this network", 0.0.0.0
  fc.tuple(fc.integer({ min: 224, max: 255 }), byte, byte, byte), // multicast, reserved, broadcast
  fc.constant<[number, number, number, number]>([169, 254, 169, 254]),
);

const toInt = ([a, b, c, d]: number[]) => ((a! << 24) >>> 0) + (b! << 16) + (c! << 8) + d!;
const hex = (n: number) => `0x${n.toString(16)}`;
const oct = (n: number) => `0${n.toString(8)}`;

/** Ways a URL host can name the IPv4 address `o` (WHATWG URL and inet_aton both accept them). */
const v4Spellings = (o: [number, number, number, number]): fc.Arbitrary<string> =>
  fc.constantFrom(
    o.join('.'),
    String(toInt(o)), // http://2130706433/
    hex(toInt(o)), // http://0x7f000001/
    o.map(hex).join('.'), // 0x7f.0x0.0x0.0x1
    o.map(oct).join('.'), // 0177.0.0.01
    `${o[0]}.${(o[1] << 16) + (o[2] << 8) + o[3]}`, // 127.1
    `${hex(o[0])}.${(o[1] << 16) + (o[2] << 8) + o[3]}`, // 0x7f.1
    `${o[0]}.${o[1]}.${(o[2] << 8) + o[3]}`, // 127.0.1
    `${o.join('.')}.`, // trailing dot
    `[::ffff:${o.join('.')}]`, // IPv4-mapped IPv6, dotted
    `[::ffff:${((o[0] << 8) + o[1]).toString(16)}:${((o[2] << 8) + o[3]).toString(16)}]`, // [::ffff:7f00:1]
    `[0:0:0:0:0:FFFF:${o.join('.')}]`,
  );

const hex16 = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
/** IPv6 addresses in link-local, unique-local, multicast, loopback, unspecified, NAT64 ranges. */
const deniedV6: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), hex16).map(([p, s]) => `[${p.toString(16)}::${s}]`),
  fc
    .tuple(fc.integer({ min: 0xfc00, max: 0xfdff }), hex16, hex16)
    .map(([p, a, b]) => `[${p.toString(16)}:${a}::${b}]`),
  fc.tuple(fc.integer({ min: 0xff00, max: 0xffff }), hex16).map(([p, s]) => `[${p.toString(16)}::${s}]`),
  fc.constantFrom('[::1]', '[0:0:0:0:0:0:0:1]', '[::]', '[::0]', '[64:ff9b::7f00:1]', '[fe80::a9fe:a9fe]'),
);

const deniedHost: fc.Arbitrary<string> = fc.oneof(deniedV4.chain(v4Spellings), deniedV6);
const withUserinfo = (host: string) =>
  fc.constantFrom(
    `http://${host}/`,
    `https://${host}:8443/x`,
    `http://a@${host}/`,
    `http://carrier.example.com@${host}/`,
  );

describe('defect 5: partner URLs are judged by the address they name, not their text', () => {
  it('refuses every spelling of an internal address at config load, naming file, line and field', () => {
    fc.assert(
      fc.property(deniedHost.chain(withUserinfo), (url) => {
        expect(() => parseHubConfig(configWith(url), 'partners.yaml', {})).toThrow(
          /^partners\.yaml:5: partners\.carrier-alpha\.channels\.primary\.url /,
        );
      }),
      { numRuns: 400 },
    );
  });

  it('lets the same spellings of loopback through only where the config allows loopback', () => {
    fc.assert(
      fc.property(fc.tuple(fc.constant(127), byte, byte, byte).chain(v4Spellings), (host) => {
        const url = `http://${host}:9090/`;
        expect(checkPartnerUrl(url).ok).toBe(false);
        expect(checkPartnerUrl(url, LOOPBACK_ALLOWED).ok).toBe(true);
      }),
      { numRuns: 100 },
    );
    // Loopback allowed is not "everything internal allowed".
    expect(checkPartnerUrl('http://169.254.169.254/', LOOPBACK_ALLOWED).ok).toBe(false);
    expect(checkPartnerUrl('http://[fe80::1]/', LOOPBACK_ALLOWED).ok).toBe(false);
    expect(checkPartnerUrl('http://10.0.0.1/', LOOPBACK_ALLOWED).ok).toBe(false);
  });

  it('accepts public partners, refuses metadata names and user info, honours allow and deny ranges', () => {
    expect(() => parseHubConfig(configWith('https://api.carrier.example/v1'), 'p.yaml', {})).not.toThrow();
    expect(() => parseHubConfig(configWith('https://93.184.216.34/'), 'p.yaml', {})).not.toThrow();
    for (const url of [
      'http://metadata.google.internal/',
      'http://localhost:8080/',
      'https://user:pw@api.example/',
    ]) {
      expect(() => parseHubConfig(configWith(url), 'p.yaml', {})).toThrow(/^p\.yaml:5: /);
    }
    const vpn = `network:\n  allow: [10.20.0.0/16]\n  deny: [93.184.216.0/24]\n${configWith('http://10.20.1.5/')}`;
    expect(() => parseHubConfig(vpn, 'p.yaml', {})).not.toThrow();
    expect(() => parseHubConfig(vpn.replace('10.20.1.5', '0x0a.0x15.1.5'), 'p.yaml', {})).toThrow(
      /10\.21\.1\.5/,
    );
    expect(() => parseHubConfig(vpn.replace('10.20.1.5', '93.184.216.34'), 'p.yaml', {})).toThrow(
      /denied range/,
    );
    expect(() =>
      parseHubConfig(`network:\n  allow: [10.0.0.0/99]\n${configWith('https://a.example/')}`, 'p.yaml', {}),
    ).toThrow(/^p\.yaml:2: network\.allow\.0 10\.0\.0\.0\/99 is not a CIDR range/);
  });

  it('the sandbox config (allowLoopback) still loads, and a metadata URL in it is still refused', () => {
    expect(() =>
      parseHubConfig(sandboxText, 'sandbox.yaml', { ...env, SANDBOX_URL: 'http://127.0.0.1:9090' }),
    ).not.toThrow();
    expect(() =>
      parseHubConfig(sandboxText, 'sandbox.yaml', { ...env, SANDBOX_URL: 'http://0xa9.0xfe.0xa9.0xfe' }),
    ).toThrow(/^sandbox\.yaml:\d+: partners\.sandbox-shop\.baseUrl host 169\.254\.169\.254 refused/);
  });

  it('`waygate config check` exits 1 with file:line: field for a hex spelling of the metadata address', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waygate-ssrf-'));
    try {
      const file = join(dir, 'partners.yaml');
      writeFileSync(file, configWith('http://0xA9FEA9FE/latest/meta-data'));
      let err = '';
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        err += String(chunk);
        return true;
      });
      const before = process.exitCode;
      try {
        await buildCli().parseAsync(['node', 'waygate', 'config', 'check', file]);
        expect(process.exitCode).toBe(1);
      } finally {
        spy.mockRestore();
        process.exitCode = before;
      }
      expect(err).toContain(
        `${file}:5: partners.carrier-alpha.channels.primary.url host 169.254.169.254 refused`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a hot reload that points a partner at an internal address is rejected; the last good policy stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waygate-ssrf-'));
    const file = join(dir, 'partners.yaml');
    writeFileSync(file, configWith('https://api.carrier.example/'));
    const applied: unknown[] = [];
    const events: ConfigEvent[] = [];
    const watcher = watchConfig(
      file,
      {},
      (c) => applied.push(c),
      (e) => events.push(e),
    );
    try {
      writeFileSync(file, configWith('http://[::ffff:a9fe:a9fe]/'));
      await vi.waitFor(() => expect(events.length).toBeGreaterThan(0), { timeout: 5000, interval: 50 });
      expect(applied).toHaveLength(0);
      expect(events[0]).toMatchObject({ outcome: 'rejected' });
      expect(events[0]!.message).toMatch(
        /partners\.yaml:5: partners\.carrier-alpha\.channels\.primary\.url host/,
      );
    } finally {
      watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Connect time: the address actually connected to
// ---------------------------------------------------------------------------------------------

describe('defect 5: the HTTP client checks the address it connects to', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('{"ok":true}'));
    server.on('connection', () => connections++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const refusal = async (http: ReturnType<typeof createHttpClient>, url: string) =>
    http.send({ partnerId: 'carrier-x', method: 'GET', url, timeoutMs: 3000 }).then(
      () => undefined,
      (e: unknown) => e,
    );

  it('refuses loopback by literal, by any spelling, and by a name that resolves to it, before connecting', async () => {
    const http = createHttpClient({
      // "partner.example" resolves to loopback, as a rebinding or hostile DNS answer would.
      lookup: (host, _o, cb) =>
        host === 'partner.example'
          ? cb(null, [{ address: '127.0.0.1', family: 4 }])
          : cb(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }), []),
    });
    try {
      const before = connections;
      for (const url of [
        `http://127.0.0.1:${port}/`,
        `http://2130706433:${port}/`,
        `http://0x7f.1:${port}/`,
        `http://[::ffff:127.0.0.1]:${port}/`,
        `http://localhost:${port}/`,
        `http://partner.example:${port}/`,
      ]) {
        const err = await refusal(http, url);
        expect(err, url).toBeInstanceOf(PartnerCallError);
        expect(err, url).toMatchObject({ code: 'partner_address_refused', retryable: false });
      }
      expect(connections).toBe(before);
    } finally {
      await http.close();
    }
  });

  it('connects when the policy allows loopback (the sandbox), and keeps refusing other internal answers', async () => {
    const http = createHttpClient({
      network: LOOPBACK_ALLOWED,
      lookup: (host, _o, cb) =>
        cb(
          null,
          host === 'partner.example'
            ? [{ address: '127.0.0.1', family: 4 }]
            : [{ address: '169.254.169.254', family: 4 }],
        ),
    });
    try {
      const ok = await http.send({
        partnerId: 'carrier-x',
        method: 'GET',
        url: `http://partner.example:${port}/`,
      });
      expect(ok.status).toBe(200);
      const err = await refusal(http, `http://metadata.example:${port}/`);
      expect(err).toMatchObject({ code: 'partner_address_refused' });
    } finally {
      await http.close();
    }
  });

  it('a network policy change applies to the next connection (config reload)', async () => {
    let policy = LOOPBACK_ALLOWED;
    const http = createHttpClient({ network: () => policy, connectionsPerOrigin: 1 });
    try {
      expect(
        (await http.send({ partnerId: 'x', method: 'GET', url: `http://127.0.0.1:${port}/a` })).status,
      ).toBe(200);
      policy = { ...LOOPBACK_ALLOWED, allowLoopback: false };
      // A new origin needs a new connection, which is judged under the new policy.
      expect(await refusal(http, `http://localhost:${port}/b`)).toMatchObject({
        code: 'partner_address_refused',
      });
    } finally {
      await http.close();
    }
  });

  it('checkAddress agrees with ipaddr on every generated internal address', () => {
    fc.assert(
      fc.property(deniedV4, (o) => {
        expect(checkAddress(o.join('.')).ok).toBe(false);
        expect(checkAddress(`::ffff:${o.join('.')}`).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
