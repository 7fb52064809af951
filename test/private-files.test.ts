/**
 * Personal-data export files were created world-readable (issue 16, defect 10): every file the
 * hub writes with personal data is mode 0600, also when a wider file was there before.
 */
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerPrivacyCommands } from '../src/cli/privacy.js';
import { exportOrders, exportShipmentsForCarrier } from '../src/pipeline/files/export.js';
import { exportAudit } from '../src/security/audit-export.js';
import { writePrivateFile } from '../src/security/private-file.js';
import { recordAudit } from '../src/store/audit.js';
import { runCli } from './helpers/cli.js';
import { freshStore, type TestStore } from './helpers/stores.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('personal-data export files', () => {
  let store: TestStore;
  let dir: string;
  let umask: number;

  beforeAll(() => {
    // The usual umask, under which a file created without an explicit mode is 0644.
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
  });
  beforeEach(async () => {
    store = await freshStore('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'waygate-private-'));
  });
  afterEach(async () => {
    process.exitCode = undefined;
    await store.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A file someone left world-readable where the export goes. */
  const wideFile = (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, 'old', { mode: 0o644 });
    expect(modeOf(path)).toBe(0o644);
    return path;
  };

  it('personal-data export files are world-readable: dsr export --out is 0600, also over an existing 0644 file', async () => {
    const fresh = join(dir, 'subject.json');
    const dsr = (out: string) =>
      runCli(registerPrivacyCommands, [
        'dsr',
        'export',
        '--email',
        'zelda@example.org',
        '--out',
        out,
        '--db',
        store.url,
      ]);
    await dsr(fresh);
    expect(modeOf(fresh)).toBe(0o600);
    expect(JSON.parse(readFileSync(fresh, 'utf8'))).toHaveProperty('orders');

    const existing = wideFile('existing.json');
    await dsr(existing);
    expect(modeOf(existing)).toBe(0o600);
    expect(readFileSync(existing, 'utf8')).not.toBe('old');
  });

  it('personal-data export files are world-readable: order exports and carrier manifests are 0600, csv and xlsx', async () => {
    for (const format of ['csv', 'xlsx'] as const) {
      const fresh = join(dir, `orders.${format}`);
      await exportOrders(store, { format, includePersonalData: true }, fresh);
      expect([format, modeOf(fresh)]).toEqual([format, 0o600]);
      const existing = wideFile(`existing-orders.${format}`);
      await exportOrders(store, { format, includePersonalData: true }, existing);
      expect([format, modeOf(existing)]).toEqual([format, 0o600]);
      const manifest = wideFile(`manifest.${format}`);
      await exportShipmentsForCarrier(store, 'carrier-file', manifest, format);
      expect([format, modeOf(manifest)]).toEqual([format, 0o600]);
    }
    // No temporary file is left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an audit export is 0600, also over an existing 0644 file', async () => {
    await recordAudit(store.db, { actor: 'usr_1', action: 'test', target: 'x', detail: {}, outcome: 'ok' });
    const out = wideFile('audit.jsonl');
    expect(await exportAudit(store, { out, format: 'jsonl' })).toMatchObject({ entries: 1 });
    expect(modeOf(out)).toBe(0o600);
  });

  it('replaces a symlink planted at the export path instead of writing through it', () => {
    const elsewhere = join(dir, 'elsewhere.txt');
    writeFileSync(elsewhere, 'untouched', { mode: 0o644 });
    const link = join(dir, 'export.json');
    symlinkSync(elsewhere, link);
    writePrivateFile(link, 'personal data');
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(modeOf(link)).toBe(0o600);
    expect(readFileSync(elsewhere, 'utf8')).toBe('untouched');
  });

  it('leaves neither the file nor a temporary file when the target cannot be written', () => {
    const target = join(dir, 'missing-dir', 'export.json');
    expect(() => writePrivateFile(target, 'x')).toThrow();
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
