/**
 * The Parquet snapshot [004-3.2] on SQLite and PostgreSQL: the files are read back with hyparquet
 * (a reader independent of the writer) and hold exactly the A-tier partners' rows; the manifest's
 * row counts and SHA-256 match the files; no personal data reaches them; the snapshot's inventory
 * becomes the outage fallback. And `waygate snapshot run` refuses a bad --out or --db clearly.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { applyStockFigures, reserveForOrder } from '../src/pipeline/inventory.js';
import { takeSnapshot, type SnapshotManifest } from '../src/pipeline/snapshot/take.js';
import { nextRunAt } from '../src/pipeline/snapshot/schedule.js';
import { snapshotInventory } from '../src/store/inventory.js';
import { upsertProducts } from '../src/store/products.js';
import { main } from '../src/cli/main.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

const T0 = Date.UTC(2026, 11, 2, 18, 30); // 2026-12-03 02:30 in Asia/Shanghai
const PII = ['Zhang San', '13800138000', 'zhang.san@example.com', '88 Nanjing Road'];

async function seed(store: TestStore): Promise<void> {
  await store.write((trx) =>
    upsertProducts(
      trx,
      [
        {
          sku: 'SKU-1',
          hsCode: '610910',
          originCountry: 'CN',
          nameEn: 'T-shirt',
          nameZh: 'T恤',
          weightGrams: 200,
          declaredValue: '9.90',
          currency: 'USD',
        },
        {
          sku: 'SKU-2',
          hsCode: '420222',
          originCountry: 'CN',
          nameEn: 'Tote bag',
          nameZh: '手提袋',
          weightGrams: 350,
          declaredValue: '12.50',
          currency: 'USD',
        },
      ],
      T0 - 1000,
    ),
  );
  const order = (id: string, source: string, items: unknown[]) => ({
    id,
    source,
    external_id: `ext-${id}`,
    status: 'accepted',
    currency: 'USD',
    total_value: '29.70',
    destination_country: 'US',
    // Stands for the sealed recipient: whatever it holds must never reach a snapshot.
    recipient: JSON.stringify({ name: PII[0], phone: PII[1], email: PII[2], line1: PII[3] }),
    recipient_email_bidx: null,
    recipient_phone_bidx: null,
    items: JSON.stringify(items),
    customs_sealed: JSON.stringify({ buyer: PII[0] }),
    charges: null,
    notes_sealed: `call ${PII[1]}`,
    placed_at: T0 - 5000,
    created_at: T0 - 4000,
    updated_at: T0 - 3000,
  });
  await store.db
    .insertInto('orders')
    .values([
      order('ord_a1', 'shop-a', [{ sku: 'SKU-1', quantity: 3, unitPrice: '9.90', description: 'T-shirt' }]),
      order('ord_b1', 'shop-b', [{ sku: 'SKU-2', quantity: 1, unitPrice: '12.50', description: 'Bag' }]),
      order('ord_w1', 'shop-b', [{ sku: 'SKU-2', quantity: 2, unitPrice: '12.50', description: 'Bag' }]),
    ])
    .execute();
  await applyStockFigures(
    store,
    'wh-a',
    [
      { sku: 'SKU-1', onHand: 40 },
      { sku: 'SKU-2', onHand: 7 },
    ],
    T0 - 60_000,
    'pull',
    T0 - 60_000,
  );
  await applyStockFigures(store, 'wh-b', [{ sku: 'SKU-1', onHand: 99 }], T0 - 60_000, 'pull', T0 - 60_000);
  // ord_w1 comes from a B-tier shop but is fulfilled by the A-tier warehouse: it is in.
  await store.write((trx) =>
    reserveForOrder(trx, 'ord_w1', 'wh-a', [{ sku: 'SKU-2', quantity: 2 }], T0 - 2000),
  );
}

for (const dialect of DIALECTS) {
  describe(`Parquet snapshot on ${dialect}`, () => {
    let store: TestStore;
    let dir: string;
    beforeEach(async () => {
      store = await freshStore(dialect);
      dir = mkdtempSync(join(tmpdir(), 'waygate-snap-'));
    });
    afterEach(async () => {
      await store.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it("writes the A-tier partners' products, orders and inventory that an independent reader reads back exactly", async () => {
      await seed(store);
      const result = await takeSnapshot(store, {
        dir,
        timeZone: 'Asia/Shanghai',
        scope: { platforms: ['shop-a'], carriers: [], warehouses: ['wh-a'] },
        trigger: 'cli',
        nowMs: T0,
      });
      expect(result.day).toBe('2026-12-03');
      expect(readdirSync(dir).sort()).toEqual([
        'inventory-2026-12-03.parquet',
        'manifest-2026-12-03.json',
        'orders-2026-12-03.parquet',
        'products-2026-12-03.parquet',
      ]);
      const read = async (file: string) => {
        const bytes = readFileSync(join(dir, file));
        const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        return { bytes, rows: await parquetReadObjects({ file: buf }), meta: parquetMetadata(buf) };
      };
      const products = await read('products-2026-12-03.parquet');
      expect(products.rows).toEqual([
        {
          sku: 'SKU-1',
          hs_code: '610910',
          origin_country: 'CN',
          name_en: 'T-shirt',
          name_zh: 'T恤',
          weight_grams: 200,
          declared_value: '9.90',
          currency: 'USD',
          updated_at: new Date(T0 - 1000),
        },
        {
          sku: 'SKU-2',
          hs_code: '420222',
          origin_country: 'CN',
          name_en: 'Tote bag',
          name_zh: '手提袋',
          weight_grams: 350,
          declared_value: '12.50',
          currency: 'USD',
          updated_at: new Date(T0 - 1000),
        },
      ]);
      const orders = await read('orders-2026-12-03.parquet');
      const row = (
        id: string,
        source: string,
        sku: string,
        units: number,
        price: string,
        warehouse: string | null,
      ) => ({
        id,
        source,
        external_id: `ext-${id}`,
        status: 'accepted',
        currency: 'USD',
        total_value: '29.70',
        destination_country: 'US',
        line_count: 1,
        units,
        lines: [{ sku, quantity: units, unitPrice: price }],
        carrier: null,
        waybill_no: null,
        warehouse,
        placed_at: new Date(T0 - 5000),
        created_at: new Date(T0 - 4000),
        updated_at: new Date(T0 - 3000),
      });
      // ord_b1 (B-tier shop, no A-tier warehouse or carrier) is not in the snapshot.
      expect(orders.rows).toEqual([
        row('ord_a1', 'shop-a', 'SKU-1', 3, '9.90', null),
        row('ord_w1', 'shop-b', 'SKU-2', 2, '12.50', 'wh-a'),
      ]);
      const inventory = await read('inventory-2026-12-03.parquet');
      expect(inventory.rows).toEqual([
        {
          warehouse: 'wh-a',
          sku: 'SKU-1',
          on_hand: 40,
          reserved: 0,
          available: 40,
          oversold: 0,
          in_transit: 0,
          on_hand_at: new Date(T0 - 60_000),
          on_hand_source: 'pull',
        },
        {
          warehouse: 'wh-a',
          sku: 'SKU-2',
          on_hand: 7,
          reserved: 2,
          available: 5,
          oversold: 0,
          in_transit: 0,
          on_hand_at: new Date(T0 - 60_000),
          on_hand_source: 'pull',
        },
      ]);
      expect(inventory.meta.key_value_metadata).toContainEqual({ key: 'waygate.snapshot', value: result.id });

      // The manifest: each file with its row count and checksum, as read back.
      const manifest = JSON.parse(
        readFileSync(join(dir, 'manifest-2026-12-03.json'), 'utf8'),
      ) as SnapshotManifest;
      expect(manifest.files.map((f) => [f.entity, f.file, f.rows])).toEqual([
        ['products', 'products-2026-12-03.parquet', 2],
        ['orders', 'orders-2026-12-03.parquet', 2],
        ['inventory', 'inventory-2026-12-03.parquet', 2],
      ]);
      for (const f of manifest.files) {
        const bytes = readFileSync(join(dir, f.file));
        expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
        expect(f.bytes).toBe(bytes.byteLength);
      }
      expect(manifest.files[1]!.schema.map((c) => c.name)).toEqual(Object.keys(orders.rows[0]!));

      // Personal data is left out: not one byte of it in any file.
      for (const file of readdirSync(dir)) {
        const text = readFileSync(join(dir, file)).toString('latin1');
        for (const pii of PII) expect(text).not.toContain(pii);
      }

      // The snapshot's inventory is the fallback now (A-tier warehouse only).
      const fallback = await snapshotInventory(store.db, {});
      expect(fallback.map((s) => [s.warehouse_id, s.sku, s.on_hand, s.reserved, s.snapshot_id])).toEqual([
        ['wh-a', 'SKU-1', 40, 0, result.id],
        ['wh-a', 'SKU-2', 7, 2, result.id],
      ]);
    });

    it("replaces the day's files on a second run the same day, leaving no partial file", async () => {
      await seed(store);
      const scope = { platforms: ['shop-a'], carriers: [], warehouses: ['wh-a'] };
      await takeSnapshot(store, { dir, timeZone: 'UTC', scope, trigger: 'cli', nowMs: T0 });
      await applyStockFigures(store, 'wh-a', [{ sku: 'SKU-1', onHand: 12 }], T0, 'pull', T0);
      const second = await takeSnapshot(store, {
        dir,
        timeZone: 'UTC',
        scope,
        trigger: 'cli',
        nowMs: T0 + 60_000,
      });
      expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
      const bytes = readFileSync(join(dir, 'inventory-2026-12-02.parquet'));
      const rows = await parquetReadObjects({
        file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      });
      expect(rows.map((r) => [r.sku, r.on_hand])).toEqual([
        ['SKU-1', 12],
        ['SKU-2', 7],
      ]);
      expect((await snapshotInventory(store.db, {}))[0]!.snapshot_id).toBe(second.id);
    });
  });
}

describe('the daily schedule', () => {
  it('runs next at 02:00 in the configured time zone', () => {
    // 2026-12-03 02:30 Shanghai → next 2026-12-04 02:00 Shanghai = 2026-12-03 18:00 UTC.
    expect(new Date(nextRunAt(T0, '02:00', 'Asia/Shanghai')).toISOString()).toBe('2026-12-03T18:00:00.000Z');
    expect(new Date(nextRunAt(T0, '02:00', 'UTC')).toISOString()).toBe('2026-12-03T02:00:00.000Z');
    // The spring-forward gap in New York (02:00–03:00 on 2026-03-08): runs once, at 03:00 EDT.
    const before = Date.UTC(2026, 2, 8, 5, 0); // 00:00 EST
    expect(new Date(nextRunAt(before, '02:30', 'America/New_York')).toISOString()).toBe(
      '2026-03-08T07:00:00.000Z',
    );
  });
});

describe('waygate snapshot run errors', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'waygate-snapcli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (args: string[]) => {
    let err = '';
    let out = '';
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
    const before = process.exitCode;
    process.exitCode = 0;
    try {
      await main(['node', 'waygate', ...args]);
    } finally {
      e.mockRestore();
      o.mockRestore();
    }
    const code = process.exitCode;
    process.exitCode = before;
    return { code, err, out };
  };

  it('refuses an --out that is a file, saying what to do, and exits non-zero', async () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const r = await run(['snapshot', 'run', '--out', file, '--db', `sqlite:${join(dir, 'w.db')}`]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/snapshot_dir_unusable: .*not-a-folder cannot hold snapshot files .*give a folder/);
  });

  it('refuses a --db that is not a database URL, and exits non-zero', async () => {
    const r = await run(['snapshot', 'run', '--out', dir, '--db', 'mysql://nowhere/x']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/unsupported database URL .*use sqlite:PATH or postgres/);
  });

  it('prints the files written and their row counts', async () => {
    const r = await run([
      'snapshot',
      'run',
      '--out',
      join(dir, 'out'),
      '--db',
      `sqlite:${join(dir, 'w.db')}`,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as { files: Array<{ file: string; rows: number }> };
    expect(result.files.map((f) => f.file.replace(/\d{4}-\d{2}-\d{2}/, 'DAY'))).toEqual([
      'products-DAY.parquet',
      'orders-DAY.parquet',
      'inventory-DAY.parquet',
    ]);
    expect(result.files.every((f) => f.rows === 0)).toBe(true);
  });
});
