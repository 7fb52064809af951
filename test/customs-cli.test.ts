/**
 * `waygate customs render|validate` as a user runs them: a canonical order file becomes the
 * unsigned CEB message (sandbox profile without --config, the config's codes with it), a gap is
 * named with what to pass, and validate says which element breaks which rule.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin } from './helpers/cli.js';

const fixtures = join(import.meta.dirname, '..', 'src', 'connectors', 'customs', 'china-ceb', 'fixtures');
const importOrder = join(fixtures, 'import-order.canonical.json');
const exportOrder = join(fixtures, 'export-order.canonical.json');
const cwd = mkdtempSync(join(tmpdir(), 'customs-cli-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
const run = (args: string[]) => runBin(args, { cwd, killAfterMs: 60_000 });

describe('waygate customs', () => {
  it('renders CEB311 with the sandbox profile, and validate accepts it', async () => {
    const r = await run(['customs', 'render', '--order-file', importOrder, '--message', 'CEB311']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('<ceb:ebpCode>SANDBOXEBP1</ceb:ebpCode>');
    const file = join(cwd, 'ceb311.xml');
    writeFileSync(file, r.stdout);
    const v = await run(['customs', 'validate', file]);
    expect(v.stdout).toContain('CEB311Message validates against the import XSD');
    expect(v.code).toBe(0);
  }, 90_000);

  it('takes company codes from --config, per source', async () => {
    const config = join(cwd, 'hub.yaml');
    writeFileSync(
      config,
      [
        'partners:',
        '  carrier-alpha:',
        '    kind: carrier',
        '    baseUrl: https://alpha.example.com',
        '    credentials: { apiToken: t, webhookSecret: s }',
        'routing: { rules: [], default: carrier-alpha }',
        'customs:',
        '  defaults:',
        '    platform: { code: "3301960ABC", name: "杭州某某平台" }',
        '    enterprise: { code: "3301960DEF", name: "某某电商" }',
        '    logistics: { code: "3301980XYZ", name: "某某物流" }',
        '    declarant: { code: "3301980XYZ", name: "某某物流" }',
        '    customsOffice: "2991"',
        '    port: "2991"',
        '    tradeMode: "9610"',
        '    transportMode: "5"',
        '    destinationPort: "502"',
        '    packaging: "2"',
        '    sender: { code: "3301960DEF", name: "某某电商", dxpId: "DXPENT0000099999" }',
        '',
      ].join('\n'),
    );
    const r = await run([
      'customs',
      'render',
      '--order-file',
      exportOrder,
      '--message',
      'CEB603',
      '--waybill',
      'SF99',
      '--config',
      config,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('<ceb:customsCode>2991</ceb:customsCode>');
    expect(r.stdout).toContain('<ceb:ebpName>杭州某某平台</ceb:ebpName>');
  }, 90_000);

  it('names the missing field and what to pass, exit 1', async () => {
    const r = await run(['customs', 'render', '--order-file', importOrder, '--message', 'CEB621']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/waybill\.waybillNo.*pass --waybill NO/);
  }, 90_000);

  it('validate names the element and rule of an XSD failure, exit 1', async () => {
    const r = await run(['customs', 'render', '--order-file', importOrder, '--message', 'CEB311']);
    const broken = join(cwd, 'broken.xml');
    writeFileSync(broken, r.stdout.replace(/<ceb:buyerIdType>1</, '<ceb:buyerIdType>12<'));
    const v = await run(['customs', 'validate', broken]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/buyerIdType \[length\]/);
  }, 90_000);

  it('refuses a file that is not a canonical order, naming the field', async () => {
    const bad = join(cwd, 'bad.json');
    writeFileSync(bad, JSON.stringify({ source: 'x' }));
    const r = await run(['customs', 'render', '--order-file', bad, '--message', 'CEB311']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a canonical order/);
  }, 90_000);
});
