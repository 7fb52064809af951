import { RECIPIENT_CONTEXT } from '../src/store/orders.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { importOrders } from '../src/pipeline/files/orders-import.js';
import { importTracking } from '../src/pipeline/files/tracking-import.js';
import {
  exportOrders,
  exportShipmentsForCarrier,
  maskEmail,
  maskName,
  maskPhone,
  ORDER_EXPORT_COLUMNS,
} from '../src/pipeline/files/export.js';
import { formatFromPath, neutraliseFormula, readTable } from '../src/pipeline/files/table.js';
import { JobQueue } from '../src/store/queue.js';
import { findOrderIdByExternal, getOrderRow } from '../src/store/orders.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/files/${name}`, import.meta.url));
const ORDERS_CSV = { path: fixture('orders.csv'), format: 'csv' } as const;
const ORDERS_XLSX = { path: fixture('orders.xlsx'), format: 'xlsx' } as const;
const TRACKING_CSV = { path: fixture('tracking.csv'), format: 'csv' } as const;
const CARRIER = 'carrier-file';

async function orderCount(store: TestStore): Promise<number> {
  const row = await store.db
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function addShipment(store: TestStore, orderId: string, waybillNo: string): Promise<void> {
  const now = Date.now();
  await store.db
    .insertInto('shipments')
    .values({
      id: `shp_${waybillNo}`,
      order_id: orderId,
      carrier: CARRIER,
      waybill_no: waybillNo,
      status: 'info_received',
      label_url: null,
      estimated_delivery: null,
      last_event_at: null,
      next_poll_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

/** Reads back a written file with the libraries directly (not through the hub's reader). */
async function readBack(path: string): Promise<{ header: string[]; rows: unknown[][]; frozen?: boolean }> {
  if (path.endsWith('.csv')) {
    const [header = [], ...rows] = parse(await readFile(path, 'utf8'), { bom: true }) as string[][];
    return { header, rows: rows.map((r) => r.map((c) => (c === '' ? null : c))) };
  }
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path);
  const sheet = wb.worksheets[0]!;
  const all: unknown[][] = [];
  sheet.eachRow((row) => {
    const cells: unknown[] = [];
    for (let c = 1; c <= sheet.columnCount; c++) cells.push(row.getCell(c).value ?? null);
    all.push(cells);
  });
  const [header = [], ...rows] = all;
  const view = sheet.views[0] as { state?: string; ySplit?: number } | undefined;
  return { header: header as string[], rows, frozen: view?.state === 'frozen' && view.ySplit === 1 };
}

describe('file helpers', () => {
  it('masks personal data and infers formats', () => {
    expect(maskPhone('+14155550100')).toBe('+1415****0100');
    expect(maskName('Jane Doe')).toBe('J*** D**');
    expect(maskEmail('jane@example.com')).toBe('j***@example.com');
    expect(formatFromPath('a/b.XLSX')).toBe('xlsx');
    expect(formatFromPath('b.csv')).toBe('csv');
    expect(() => formatFromPath('b.xls')).toThrow(/\.csv or \.xlsx/);
    expect(neutraliseFormula('=HYPERLINK("x")')).toBe(`'=HYPERLINK("x")`);
    expect(neutraliseFormula('+1415****0100')).toBe('+1415****0100');
  });

  it('reads semicolon CSV (European spreadsheet locales) with spreadsheet row numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waygate-files-'));
    try {
      const path = join(dir, 'semi.csv');
      writeFileSync(path, '\ufeffwaybillNo;eventCode\n\nWB1;"PICKED_UP"\nWB2;DELIVERED\n');
      expect(await readTable({ path, format: 'csv' })).toEqual({
        header: ['waybillNo', 'eventCode'],
        rows: [
          { row: 3, values: { waybillNo: 'WB1', eventCode: 'PICKED_UP' } },
          { row: 4, values: { waybillNo: 'WB2', eventCode: 'DELIVERED' } },
        ],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`file exchange on ${dialect}`, () => {
    let store: TestStore;
    let dir: string;
    beforeEach(async () => {
      store = await freshStore(dialect);
      dir = mkdtempSync(join(tmpdir(), 'waygate-files-'));
    });
    afterEach(async () => {
      await store.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it('imports orders from CSV: good orders accepted, the bad row reported, re-import creates nothing', async () => {
      const opts = { source: 'wholesale-fax', actor: 'test' };
      const first = await importOrders(store, ORDERS_CSV, opts);
      expect(first).toMatchObject({ accepted: 2, duplicates: 0 });
      expect(first.rejected).toEqual([
        { row: 6, externalId: 'SO-F3', field: 'hsCode', message: expect.stringMatching(/pattern/) },
      ]);
      // The bad line rejects its whole order: the good line of SO-F3 is not stored either.
      expect(await findOrderIdByExternal(store.db, 'wholesale-fax', 'SO-F3')).toBeUndefined();
      const f1 = await getOrderRow(
        store.db,
        (await findOrderIdByExternal(store.db, 'wholesale-fax', 'SO-F1'))!,
      );
      expect(f1?.total_value).toBe('34.99');
      expect(JSON.parse(f1!.items)).toHaveLength(2);
      expect(JSON.parse(await store.keys.open(f1!.recipient, RECIPIENT_CONTEXT))).toMatchObject({
        name: 'Jane Doe',
        country: 'US',
      });
      expect(await new JobQueue(store).counts()).toEqual({ ready: 2 });

      const again = await importOrders(store, ORDERS_CSV, opts);
      expect(again).toMatchObject({ accepted: 0, duplicates: 2 });
      expect(again.rejected).toEqual(first.rejected);
      expect(again.orders.map((o) => o.orderId)).toEqual(first.orders.map((o) => o.orderId));
      expect(await orderCount(store)).toBe(2);
      expect(await new JobQueue(store).counts()).toEqual({ ready: 2 });
    });

    it('imports orders from xlsx with typed cells, reporting the bad row by field', async () => {
      const opts = { source: 'wholesale-fax', actor: 'test' };
      const first = await importOrders(store, ORDERS_XLSX, opts);
      expect(first).toMatchObject({ accepted: 2, duplicates: 0 });
      expect(first.rejected).toEqual([
        { row: 4, externalId: 'XL-2', field: 'country', message: expect.any(String) },
      ]);
      const xl1 = await getOrderRow(
        store.db,
        (await findOrderIdByExternal(store.db, 'wholesale-fax', 'XL-1'))!,
      );
      expect(xl1?.total_value).toBe('32.00');
      expect(JSON.parse(xl1!.items)).toMatchObject([
        { quantity: 4, weightGrams: 210, unitPrice: '7.25' },
        {},
      ]);

      const again = await importOrders(store, ORDERS_XLSX, opts);
      expect(again).toMatchObject({ accepted: 0, duplicates: 2 });
      expect(await orderCount(store)).toBe(2);
      expect(await new JobQueue(store).counts()).toEqual({ ready: 2 });
    });

    it('imports tracking from CSV, moving the shipment and order, and dedups a re-import', async () => {
      await importOrders(store, ORDERS_CSV, { source: 'shop', actor: 'test' });
      const orderId = (await findOrderIdByExternal(store.db, 'shop', 'SO-F1'))!;
      await addShipment(store, orderId, 'WB-FILE-1');

      const first = await importTracking(store, TRACKING_CSV, { carrier: CARRIER });
      expect(first).toMatchObject({ received: 4, inserted: 4, duplicates: 0, unknownWaybills: [] });
      expect(first.shipmentsUpdated).toBe(1);
      expect(first.rejected).toEqual([
        {
          row: 5,
          waybillNo: 'WB-FILE-1',
          field: 'eventCode',
          message: expect.stringMatching(/ARRIVED_SOMEWHERE/),
        },
      ]);
      const shipment = await store.db
        .selectFrom('shipments')
        .selectAll()
        .where('waybill_no', '=', 'WB-FILE-1')
        .executeTakeFirstOrThrow();
      expect(shipment.status).toBe('delivered');
      expect((await getOrderRow(store.db, orderId))?.status).toBe('delivered');
      const held = await store.db
        .selectFrom('tracking_events')
        .select(['occurred_at', 'detail'])
        .where('code', '=', 'IMPORT_CUSTOMS_HELD')
        .executeTakeFirstOrThrow();
      expect(new Date(Number(held.occurred_at)).toISOString()).toBe('2026-03-05T07:00:00.000Z');
      expect(JSON.parse(held.detail)).toMatchObject({
        reason: 'documents_required',
        location: { city: 'London', country: 'GB' },
      });

      const again = await importTracking(store, TRACKING_CSV, { carrier: CARRIER });
      expect(again).toMatchObject({ received: 4, inserted: 0, duplicates: 4, shipmentsUpdated: 0 });
    });

    it('keeps events for a waybill the hub does not know yet', async () => {
      const result = await importTracking(store, TRACKING_CSV, { carrier: CARRIER });
      expect(result).toMatchObject({ inserted: 4, shipmentsUpdated: 0, unknownWaybills: ['WB-FILE-1'] });
    });

    for (const format of ['xlsx', 'csv'] as const) {
      it(`exports orders as ${format}: round-trips, personal data masked by default`, async () => {
        await importOrders(store, ORDERS_CSV, { source: 'shop', actor: 'test' });
        const f1 = (await findOrderIdByExternal(store.db, 'shop', 'SO-F1'))!;
        const f2 = (await findOrderIdByExternal(store.db, 'shop', 'SO-F2'))!;
        await addShipment(store, f1, 'WB-FILE-1');

        const out = join(dir, `orders.${format}`);
        expect(await exportOrders(store, { format }, out)).toEqual({ path: out, rows: 2 });
        const back = await readBack(out);
        expect(back.header).toEqual(ORDER_EXPORT_COLUMNS.map((c) => c.key));
        if (format === 'xlsx') expect(back.frozen).toBe(true);
        const byKey = back.rows.map((r) => Object.fromEntries(back.header.map((h, i) => [h, r[i]])));
        const num = (n: number) => (format === 'xlsx' ? n : String(n));
        expect(byKey).toEqual([
          expect.objectContaining({
            orderId: f1,
            externalId: 'SO-F1',
            status: 'accepted',
            currency: 'USD',
            totalValue: '34.99',
            recipientName: 'J*** D**',
            phone: '+1415****0100',
            email: 'j***@example.com',
            line1: '1 M***** S*',
            city: 'San Francisco',
            country: 'US',
            lines: num(2),
            quantity: num(3),
            weightGrams: num(880),
            carrier: CARRIER,
            waybillNo: 'WB-FILE-1',
            shipmentStatus: 'info_received',
          }),
          expect.objectContaining({
            orderId: f2,
            externalId: 'SO-F2',
            totalValue: '34.90',
            recipientName: 'M** M*****',
            carrier: null,
            waybillNo: null,
          }),
        ]);

        const clear = join(dir, `clear.${format}`);
        await exportOrders(store, { format, includePersonalData: true, carrier: CARRIER }, clear);
        const clearBack = await readBack(clear);
        expect(clearBack.rows).toHaveLength(1);
        const row = Object.fromEntries(clearBack.header.map((h, i) => [h, clearBack.rows[0]![i]]));
        expect(row).toMatchObject({ recipientName: 'Jane Doe', phone: '+14155550100', line1: '1 Market St' });

        const none = join(dir, `none.${format}`);
        expect(await exportOrders(store, { format, status: 'delivered' }, none)).toMatchObject({ rows: 0 });
      });
    }

    it('writes the carrier manifest of orders not yet handed over', async () => {
      await importOrders(store, ORDERS_CSV, { source: 'shop', actor: 'test' });
      const f1 = (await findOrderIdByExternal(store.db, 'shop', 'SO-F1'))!;
      const f2 = (await findOrderIdByExternal(store.db, 'shop', 'SO-F2'))!;
      await addShipment(store, f1, 'WB-FILE-1');

      const out = join(dir, 'manifest.xlsx');
      expect(await exportShipmentsForCarrier(store, CARRIER, out, 'xlsx')).toMatchObject({ rows: 1 });
      const routing = { rules: [{ countries: ['DE'], carrier: CARRIER }], default: 'carrier-other' };
      const csv = join(dir, 'manifest.csv');
      expect(await exportShipmentsForCarrier(store, CARRIER, csv, 'csv', { routing })).toMatchObject({
        rows: 2,
      });
      const back = await readBack(csv);
      const rows = back.rows.map((r) => Object.fromEntries(back.header.map((h, i) => [h, r[i]])));
      expect(rows).toEqual([
        expect.objectContaining({
          orderId: f1,
          waybillNo: 'WB-FILE-1',
          recipientName: 'Jane Doe',
          items: '2 x MUG-01 Ceramic mug; 1 x TEE-02 Cotton T-shirt, size M',
          weightGrams: '880',
          currency: 'USD',
          declaredValue: '34.99',
        }),
        expect.objectContaining({ orderId: f2, waybillNo: null, country: 'DE', declaredValue: '34.90' }),
      ]);

      // Once the carrier scanned the parcel it is off the manifest.
      await importTracking(store, TRACKING_CSV, { carrier: CARRIER });
      expect(await exportShipmentsForCarrier(store, CARRIER, out, 'xlsx')).toMatchObject({ rows: 0 });
    });
  });
}
