/**
 * Bills of a partner without an API: a spreadsheet (XLSX, generated here with exceljs) or a CSV
 * read with a column mapping given with the file — through the pipeline on SQLite and PostgreSQL,
 * the API and `waygate settlement import`. The raw file is kept (sealed) before it is read; a
 * file with bad rows names each row and field and stores no bill at all.
 */
import { mkdtempSync, readFileSync, readdirSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  computeExpectedCharge,
  formatAmount,
  parseBillMappingText,
  parseRateCardText,
  type CarrierRateCard,
} from '../../src/domain/settlement/index.js';
import { RateCardBook, loadRateCards } from '../../src/pipeline/settlement/cards.js';
import { receiveBill } from '../../src/pipeline/settlement/bills.js';
import { reconcileBill } from '../../src/pipeline/settlement/reconcile.js';
import { registerSettlementCommands } from '../../src/cli/settlement.js';
import { getInboundMessage, INBOUND_BODY_CONTEXT } from '../../src/store/inbound-messages.js';
import { linesOf } from '../../src/store/settlement.js';
import { openStore } from '../../src/store/db.js';
import { localFieldCipher } from '../../src/security/field-cipher.js';
import type { LedgerEntry } from '../../src/sandbox/billing.js';
import { WaygateError } from '../../src/domain/index.js';
import { runCli } from '../helpers/cli.js';
import { DIALECTS, freshStore, type TestStore } from '../helpers/stores.js';
import { gatewayFor } from '../helpers/gateway.js';
import { fixedRates, shipOrders } from './helpers.js';

const shippedCards = new URL('../../config/rate-cards', import.meta.url).pathname;
const fixtures = new URL('../fixtures/settlement/', import.meta.url).pathname;
const deltaFile = join(fixtures, 'carrier-delta-economy.yaml');
const delta = parseRateCardText(readFileSync(deltaFile, 'utf8'), deltaFile) as CarrierRateCard;
const book = new RateCardBook([...loadRateCards(shippedCards).cards, delta]);
const mappingFile = join(fixtures, 'carrier-delta-mapping.yaml');
const mapping = parseBillMappingText(readFileSync(mappingFile, 'utf8'), mappingFile);

const COLUMNS = [
  '序号',
  '账单号',
  '币种',
  '开票日期',
  '账期',
  '运单号',
  '计费重量',
  '运费',
  '燃油附加费',
  '偏远附加费',
  '合计',
];

/**
 * Delta's rows for the parcels, priced right, then: row of line 5 with fuel 1.00 too high, line 12
 * at the next break's price, and line 20 billing line 3's waybill again.
 */
function deltaRows(entries: LedgerEntry[]) {
  const rows = entries.map((e, i) => {
    const r = computeExpectedCharge(delta, {
      country: e.country,
      postalCode: e.postalCode,
      lines: [{ quantity: 1, weightGrams: e.weightGrams }],
    });
    if (!r.ok) throw new Error('the fixture card must price every parcel');
    const c = Object.fromEntries(r.charge.components.map((x) => [x.code, x.units]));
    return {
      lineNo: i + 1,
      waybillNo: e.waybillNo,
      kg: r.charge.chargeableGrams / 1000,
      freight: c.freight ?? 0n,
      fuel: c.fuel ?? 0n,
      remote: c.remote_area ?? 0n,
    };
  });
  rows[4]!.fuel += 10_000n;
  const twelve = rows[11]!;
  const next = computeExpectedCharge(delta, {
    country: entries[11]!.country,
    lines: [{ quantity: 1, weightGrams: twelve.kg * 1000 + 1000 }],
  });
  if (!next.ok) throw new Error('unpriced');
  twelve.kg += 1;
  twelve.freight = next.charge.components.find((x) => x.code === 'freight')!.units;
  twelve.fuel = next.charge.components.find((x) => x.code === 'fuel')!.units;
  rows.push({ ...rows[2]!, lineNo: rows.length + 1 });
  return rows.map((r) => ({
    序号: r.lineNo,
    账单号: 'DLT-2026-11',
    币种: 'EUR',
    开票日期: new Date(Date.UTC(2026, 11, 1)),
    账期: '2026-11',
    运单号: r.waybillNo,
    计费重量: r.kg,
    运费: Number(formatAmount(r.freight, 'EUR')),
    燃油附加费: Number(formatAmount(r.fuel, 'EUR')),
    偏远附加费: r.remote ? Number(formatAmount(r.remote, 'EUR')) : null,
    合计: Number(formatAmount(r.freight + r.fuel + r.remote, 'EUR')),
  }));
}
const PLANTED = [5, 12, 41];

async function xlsx(rows: Record<string, unknown>[], sheet = '账单明细'): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('说明').addRow(['德尔塔经济物流 2026年11月账单']);
  const ws = wb.addWorksheet(sheet);
  ws.addRow(COLUMNS);
  for (const r of rows) ws.addRow(COLUMNS.map((c) => r[c] ?? null));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function csv(rows: Record<string, unknown>[]): string {
  return stringify(
    rows.map((r) => ({ ...r, 开票日期: '2026-12-01' })),
    { header: true, columns: COLUMNS },
  );
}

for (const dialect of DIALECTS) {
  describe(`bills uploaded with a column mapping on ${dialect}`, () => {
    let store: TestStore;
    beforeEach(async () => {
      store = await freshStore(dialect);
    });
    afterEach(async () => {
      await store.destroy();
    });

    it('reads an XLSX bill with its mapping and flags exactly the planted lines, in EUR and CNY', async () => {
      const entries = await shipOrders(store, 'carrier-delta', 40, 'dl');
      const file = await xlsx(deltaRows(entries));
      const received = await receiveBill(store, book, {
        partnerId: 'carrier-delta',
        format: 'xlsx',
        body: file,
        mapping,
      });
      expect(received).toMatchObject({ created: true, billNo: 'DLT-2026-11', lines: 41 });
      const raw = await getInboundMessage(store.db, received.messageId);
      // Kept sealed, byte for byte: the spreadsheet can be read again with a corrected mapping.
      expect(raw?.sealedBody).not.toContain(file.toString('base64').slice(0, 40));
      expect(await store.keys.open(raw!.sealedBody, INBOUND_BODY_CONTEXT)).toBe(file.toString('base64'));

      const summary = await reconcileBill(store, book, received.billId, {
        actor: 'test',
        fx: fixedRates({ 'EUR/CNY': '7.8125' }),
      });
      expect(summary).toMatchObject({ lines: 41, flagged: 3, currency: 'EUR', reportingCurrency: 'CNY' });
      const lines = await linesOf(store.db, received.billId);
      const flagged = lines.filter((l) => l.status !== 'ok');
      expect(flagged.map((l) => l.line_no)).toEqual(PLANTED);
      expect(flagged.map((l) => l.status)).toEqual(['discrepancy', 'discrepancy', 'duplicate']);
      const [fuel, weight] = flagged.map((l) => JSON.parse(l.discrepancies) as Record<string, string>[]);
      expect(fuel).toEqual([
        expect.objectContaining({ component: 'fuel', difference: '1.00', differenceReporting: '7.81' }),
      ]);
      expect(weight![0]).toMatchObject({ component: 'weight' });
      expect(flagged[0]).toMatchObject({
        difference: '1.00',
        difference_reporting: '7.81',
        fx_rate: '7.8125',
      });
    });

    it('stores no bill from a file with bad rows, names each row and field, and keeps the raw file', async () => {
      const entries = await shipOrders(store, 'carrier-delta', 6, 'dx');
      const rows = deltaRows([...entries, ...entries, ...entries, ...entries].slice(0, 13)).slice(0, 6);
      rows[1]!.合计 = 'abc' as never;
      rows[3]!.运单号 = '' as never;
      const err = await receiveBill(store, book, {
        partnerId: 'carrier-delta',
        format: 'xlsx',
        body: await xlsx(rows),
        mapping,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WaygateError);
      const details = (err as WaygateError).details as {
        issues: { where: string; field: string; message: string }[];
        messageId: string;
      };
      expect((err as WaygateError).code).toBe('settlement_bill_unreadable');
      expect(details.issues).toEqual([
        { where: 'row 3', field: '合计', message: 'must be a decimal amount' },
        { where: 'row 5', field: '运单号', message: 'must be a waybill number' },
      ]);
      expect(await getInboundMessage(store.db, details.messageId)).toBeDefined();
      expect(
        await store.db
          .selectFrom('settlement_bills' as never)
          .selectAll()
          .execute(),
      ).toEqual([]);
      // The mapping names a sheet the file does not have: said so, nothing stored either.
      const noSheet = await receiveBill(store, book, {
        partnerId: 'carrier-delta',
        format: 'xlsx',
        body: await xlsx(rows, 'Sheet1'),
        mapping,
      }).then(
        () => undefined,
        (e: unknown) => e as WaygateError,
      );
      expect(noSheet).toMatchObject({ code: 'settlement_bill_unreadable' });
      expect(noSheet?.message).toContain('no sheet named 账单明细');
    });
  });
}

describe('bills with a column mapping over the API and the CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'waygate-import-'));
    // The shipped cards and delta's, as an operator's rate-card folder.
    for (const f of readdirSync(shippedCards)) copyFileSync(join(shippedCards, f), join(dir, f));
    copyFileSync(deltaFile, join(dir, 'carrier-delta-economy.yaml'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('POST /v1/settlement/bills takes an XLSX with its mapping, and refuses a bad mapping field by field', async () => {
    const store = await freshStore('sqlite');
    const gw = await gatewayFor(store, {}, { settlement: { book, fx: fixedRates({ 'EUR/CNY': '7.8' }) } });
    try {
      const entries = await shipOrders(store, 'carrier-delta', 12, 'da');
      const content = (await xlsx(deltaRows(entries).slice(0, 12))).toString('base64');
      const m = JSON.parse(JSON.stringify(mapping)) as Record<string, unknown>;
      const up = await gw.call('POST', '/v1/settlement/bills', {
        partner: 'carrier-delta',
        format: 'xlsx',
        content,
        mapping: m,
      });
      expect(up.statusCode).toBe(201);
      expect(up.json()).toMatchObject({ created: true, lines: 12, billNo: 'DLT-2026-11' });
      const bad = await gw.call('POST', '/v1/settlement/bills', {
        partner: 'carrier-delta',
        format: 'xlsx',
        content,
        mapping: { ...m, format: 'sheet', line: { waybillNo: '运单号' } },
      });
      expect(bad.statusCode).toBe(400);
      const body = bad.json() as { error: { code: string; details: { issues: { field: string }[] } } };
      expect(body.error.code).toBe('settlement_mapping_invalid');
      expect(body.error.details.issues.map((i) => i.field)).toEqual(
        expect.arrayContaining(['mapping.format', 'mapping.line.total', 'mapping.line.charges']),
      );
    } finally {
      await gw.app.close();
      await store.destroy();
    }
  });

  it('waygate settlement import FILE.csv --mapping FILE.yaml stores, reconciles, and explains bad input', async () => {
    const db = `sqlite:${join(dir, 'w.db')}`;
    const store = await openStore(db, { cipher: localFieldCipher });
    const entries = await shipOrders(store, 'carrier-delta', 40, 'dc');
    await store.close();
    const file = join(dir, 'delta-2026-11.csv');
    writeFileSync(file, csv(deltaRows(entries)));
    const args = ['--partner', 'carrier-delta', '--mapping', mappingFile, '--cards', dir, '--db', db];
    const run = await runCli(registerSettlementCommands, [
      'settlement',
      'import',
      file,
      ...args,
      '--reconcile',
      '--json',
    ]);
    const out = JSON.parse(run.out) as {
      created: boolean;
      lines: number;
      reconciled: { flagged: number; byComponent: object };
    };
    expect(out).toMatchObject({ created: true, lines: 41 });
    expect(out.reconciled).toMatchObject({ flagged: 3, byComponent: { fuel: 1, weight: 1, duplicate: 1 } });

    // The same file again: nothing new.
    const again = await runCli(registerSettlementCommands, ['settlement', 'import', file, ...args]);
    expect(again.out).toContain('was received before');

    // Bad rows: each named on stderr, exit code 1, no bill.
    const broken = join(dir, 'broken.csv');
    writeFileSync(
      broken,
      csv(deltaRows(entries).map((r, i) => (i === 6 ? { ...r, 账单号: 'OTHER-1', 合计: '12,30' } : r))),
    );
    process.exitCode = 0;
    const bad = await runCli(registerSettlementCommands, ['settlement', 'import', broken, ...args]);
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    expect(bad.err).toContain('broken.csv: row 8: 合计 must be a decimal amount');
    expect(bad.err).toContain('broken.csv: row 8: 账单号 differs from the first row: one file is one bill');
    expect(bad.err).toContain('settlement_bill_unreadable');

    // A bad mapping file: every problem with its line, before the store is touched.
    const badMapping = await runCli(registerSettlementCommands, [
      'settlement',
      'import',
      file,
      ...args.map((a) => (a === mappingFile ? join(fixtures, 'bad-mapping.yaml') : a)),
    ]).catch((e: unknown) => e as Error);
    expect(String((badMapping as Error).message)).toMatch(
      /bad-mapping\.yaml:1: format must be json or table/,
    );
    expect(String((badMapping as Error).message)).toMatch(
      /bad-mapping\.yaml:\d+: line\.total must name a field or column/,
    );
  });
});
