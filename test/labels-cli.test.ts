/**
 * `waygate labels get WAYBILL` as a user runs it (the built CLI, a subprocess), on each store
 * dialect: the stored label is written byte for byte to a file only its owner can read, with
 * its format and size printed; an unknown waybill, a waybill without a label, a folder that does
 * not exist and a store that is not there each end with what was wrong and what to do, exit 1,
 * and no file written.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import { insertLabel } from '../src/store/platform-flow.js';
import { insertShipment } from '../src/store/shipments.js';
import { runBin } from './helpers/cli.js';
import { orderFixture } from './helpers/fixtures.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

const LABELLED = 'LBL4PX0000001CN';
const UNLABELLED = 'LBLCN0000002';
/** A small label as a carrier serves one: a PDF by its first bytes. */
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2048, 0x20), Buffer.from('\n%%EOF\n')]);
const ZPL = Buffer.from('^XA^FO50,50^ADN,36,20^FDLBLZPL1^FS^XZ');

async function shipmentWithLabel(
  store: TestStore,
  externalId: string,
  waybillNo: string,
  carrier: string,
  label?: { format: string; data: Buffer },
): Promise<void> {
  const { id } = await acceptOrder(store, orderFixture({ externalId }), { caller: 'test' });
  const now = Date.now();
  await store.write(async (trx) => {
    await insertShipment(trx, {
      id: `shp_${id}`,
      order_id: id,
      carrier,
      waybill_no: waybillNo,
      status: 'info_received',
      label_url: null,
      estimated_delivery: null,
      last_event_at: null,
      next_poll_at: null,
      created_at: now,
      updated_at: now,
    });
    if (label)
      await insertLabel(
        trx,
        store.keys.cipher,
        { shipmentId: `shp_${id}`, carrier, waybillNo, format: label.format, data: label.data },
        now,
      );
  });
}

describe.each(DIALECTS)('waygate labels get (%s)', (dialect) => {
  let store: TestStore;
  let dir: string;
  // The PostgreSQL store's master key is found from the working folder (data/master.key), so
  // the CLI runs where the test does; files go to a folder of the test's own.
  const run = (args: string[], cwd = process.cwd()) =>
    runBin(['labels', 'get', ...args, '--db', store.url], { cwd, killAfterMs: 60_000 });

  beforeAll(async () => {
    store = await freshStore(dialect);
    dir = mkdtempSync(join(tmpdir(), 'labels-cli-'));
    await shipmentWithLabel(store, 'LBL-1', LABELLED, '4px', { format: 'PDF', data: PDF });
    await shipmentWithLabel(store, 'LBL-2', UNLABELLED, 'cainiao');
    await shipmentWithLabel(store, 'LBL-3', 'LBLZPL1', 'yunexpress', { format: 'ZPL', data: ZPL });
  }, 60_000);
  afterAll(async () => {
    await store.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the stored label byte for byte, mode 0600, and prints its format and size', async () => {
    const out = join(dir, 'label.pdf');
    const r = await run([LABELLED, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`wrote the PDF label of ${LABELLED} (4px, ${PDF.length} bytes) to ${out}`);
    expect(readFileSync(out).equals(PDF)).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const json = await run(['LBLZPL1', '--out', join(dir, 'z.zpl'), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      waybillNo: 'LBLZPL1',
      carrier: 'yunexpress',
      format: 'ZPL',
      bytes: ZPL.length,
      file: join(dir, 'z.zpl'),
    });
    expect(readFileSync(join(dir, 'z.zpl')).equals(ZPL)).toBe(true);
  }, 120_000);

  it('ends with what was wrong, exit 1 and no file, for an unknown waybill or one without a label', async () => {
    const before = readdirSync(dir).sort();
    const unknown = await run(['NO-SUCH-WAYBILL', '--out', join(dir, 'x.pdf')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/shipment_not_found: no shipment with waybill NO-SUCH-WAYBILL/);
    const wrongCarrier = await run([LABELLED, '--carrier', 'ups', '--out', join(dir, 'x.pdf')]);
    expect(wrongCarrier.code).toBe(1);
    expect(wrongCarrier.stderr).toMatch(/shipment_not_found: .* from ups/);
    const none = await run([UNLABELLED, '--out', join(dir, 'x.pdf')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/label_not_found: no label is stored for LBLCN0000002 \(cainiao\)/);
    expect(none.stderr).toContain(`GET /v1/shipments/${UNLABELLED}/label`);
    expect(readdirSync(dir).sort()).toEqual(before);
  }, 120_000);

  it('refuses an --out in a folder that does not exist, or that is a folder, before opening the store', async () => {
    const missing = await run([LABELLED, '--out', join(dir, 'nope', 'label.pdf')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--out .*: folder .*nope does not exist; create it or choose another/);
    const folder = await run([LABELLED, '--out', dir]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toMatch(/is a folder; give a file name/);
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  }, 120_000);

  if (dialect === 'sqlite')
    it('writes WAYBILL.<format> in the current folder by default, and names a store that is not there', async () => {
      const r = await run([LABELLED], dir);
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, `${LABELLED}.pdf`)).equals(PDF)).toBe(true);
      const gone = join(dir, 'absent.db');
      const noStore = await runBin(['labels', 'get', LABELLED, '--db', `sqlite:${gone}`], {
        cwd: dir,
        killAfterMs: 60_000,
      });
      expect(noStore.code).toBe(1);
      expect(noStore.stderr).toMatch(/no store there; give the hub's store with --db/);
      expect(existsSync(gone)).toBe(false);
    }, 120_000);
});
