/** `waygate connectors list` and `waygate connectors map`, in-process. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { registerConnectorCommands } from '../src/cli/connectors.js';
import { runCli } from './helpers/cli.js';

const fx = (connector: string, name: string) =>
  fileURLToPath(new URL(`../src/connectors/carriers/${connector}/fixtures/${name}`, import.meta.url));

afterEach(() => {
  process.exitCode = undefined;
});

describe('waygate connectors', () => {
  it('lists every connector with kind, dialect, capabilities, auth and version', async () => {
    const { out } = await runCli(registerConnectorCommands, ['connectors', 'list', '--json']);
    const rows = JSON.parse(out) as {
      id: string;
      kind: string;
      auth: string;
      version: string | null;
      capabilities: string[];
    }[];
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId.fourpx).toMatchObject({
      kind: 'carrier',
      auth: '4px-md5-sign',
      capabilities: expect.arrayContaining(['label.fetch']),
    });
    expect(byId.ups).toMatchObject({
      auth: 'oauth2-client-credentials',
      version: 'shipments v2409, track v1',
    });
    expect(Object.keys(byId)).toEqual(
      expect.arrayContaining(['yunexpress', 'cainiao', 'carrier-alpha', 'sandbox-shop']),
    );
    const table = await runCli(registerConnectorCommands, ['connectors', 'list']);
    expect(table.out).toMatch(/fourpx\s+\|?\s*carrier/);
  });

  it('maps a partner tracking answer to canonical events', async () => {
    const { out } = await runCli(registerConnectorCommands, [
      'connectors',
      'map',
      '--connector',
      'fourpx',
      '--message',
      'tracking',
      '--file',
      fx('fourpx', 'tracking-response.4px.json'),
      '--json',
    ]);
    const res = JSON.parse(out) as { ok: boolean; value: { code: string }[] };
    expect(res.ok).toBe(true);
    expect(res.value.map((e) => e.code)).toContain('DELIVERED');
  });

  it('builds the partner payload of a canonical file with --direction out', async () => {
    const { out } = await runCli(registerConnectorCommands, [
      'connectors',
      'map',
      '--connector',
      'yunexpress',
      '--message',
      'shipment.create',
      '--direction',
      'out',
      '--file',
      fx('yunexpress', 'shipment-request.canonical.json'),
    ]);
    expect(JSON.parse(out)).toEqual(
      JSON.parse(
        JSON.stringify(
          await import(fx('yunexpress', 'create-request.yun.json'), { with: { type: 'json' } }).then(
            (m: { default: unknown }) => m.default,
          ),
        ),
      ),
    );
  });

  it('names the partner field a payload lacks, and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wg-map-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"result":"1","data":{"ref_no":"x"}}');
    const { out, err } = await runCli(registerConnectorCommands, [
      'connectors',
      'map',
      '--connector',
      'fourpx',
      '--message',
      'shipment.create',
      '--file',
      file,
    ]);
    expect(out).toBe('');
    expect(err).toContain('4px_tracking_no');
    expect(process.exitCode).toBe(1);
  });

  it('says what to do for an unknown connector, message or file', async () => {
    const a = await runCli(registerConnectorCommands, [
      'connectors',
      'map',
      '--connector',
      'nope',
      '--message',
      'x',
      '--file',
      'x',
    ]);
    expect(a.err).toMatch(/no connector nope; `waygate connectors list`/);
    const b = await runCli(registerConnectorCommands, [
      'connectors',
      'map',
      '--connector',
      'ups',
      '--message',
      'nope',
      '--file',
      'x',
    ]);
    expect(b.err).toMatch(/it maps shipment.create, tracking, token/);
    const c = await runCli(registerConnectorCommands, [
      'connectors',
      'map',
      '--connector',
      'ups',
      '--message',
      'tracking',
      '--file',
      '/nonexistent/f.json',
    ]);
    expect(c.err).toMatch(/cannot read \/nonexistent\/f.json \(ENOENT\)/);
  });
});
