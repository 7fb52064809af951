import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unwrapEnvelope, wrapEnvelope } from './envelope.js';
import { parseCebTime, parseReceipts, ReceiptUnreadable, RECEIPT_TYPES, statusOfCode } from './receipts.js';
import { loadXsdPack, validateCeb } from './xsd.js';

/** The official samples of the 2022-05 pack (read in place: they are the customs authority's). */
const samples = join(loadXsdPack().dir, '..', 'samples');
const officialReceipts = ['import', 'export'].flatMap((dir) =>
  readdirSync(join(samples, dir))
    .filter((f) => RECEIPT_TYPES.includes(f.replace('.xml', '')))
    .map((f) => [`${dir}/${f}`, readFileSync(join(samples, dir, f), 'utf8')] as const),
);

describe('official sample receipts parse (prefixed or default namespace, BOM, several per file)', () => {
  it('covers every receipt type the connector reads', () => {
    expect(officialReceipts.map(([f]) => f.replace(/^.*\//, '').replace('.xml', '')).sort()).toEqual(
      [...RECEIPT_TYPES].sort(),
    );
  });
  for (const [file, xml] of officialReceipts) {
    it(file, () => {
      const receipts = parseReceipts(xml);
      expect(receipts.length).toBeGreaterThan(0);
      for (const r of receipts) {
        expect(r.guid).toMatch(/^[0-9A-Z-]{36}$/);
        expect(r.code).not.toBe('');
        expect(r.at).toBeInstanceOf(Date);
      }
    });
  }

  it('reads the values of the CEB622 sample: customs code, pre-entry number, status and text', () => {
    const xml = officialReceipts.find(([f]) => f.endsWith('CEB622Message.xml'))![1];
    expect(parseReceipts(xml)[0]).toMatchObject({
      receiptType: 'CEB622',
      document: 'inventory',
      guid: '4CDE1CFD-EDED-46B1-946C-B8022E42FC94',
      preNo: 'B20160512000001882',
      code: '1',
      info: '暂存',
      status: 'declared',
    });
  });
});

describe('receipt codes and times', () => {
  it('maps customs return codes to canonical statuses', () => {
    expect(['-301010', '4', '100'].map(statusOfCode)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(['1', '2', '3'].map(statusOfCode)).toEqual(['declared', 'declared', 'declared']);
    expect(['120', '399'].map(statusOfCode)).toEqual(['accepted', 'accepted']);
    expect(['500', '700', '800', '899'].map(statusOfCode)).toEqual([
      'inspection',
      'returned',
      'released',
      'released',
    ]);
  });
  it('reads Beijing time', () => {
    expect(parseCebTime('20160512102646001')?.toISOString()).toBe('2016-05-12T02:26:46.001Z');
    expect(parseCebTime('2016-05-12')).toBeNull();
  });
  it('refuses what is not a receipt, and DTDs, with a reason; never throws anything else', () => {
    expect(() =>
      parseReceipts('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><CEB622Message/>'),
    ).toThrow(ReceiptUnreadable);
    expect(() => parseReceipts('<CEB311Message/>')).toThrow(/not a CEB receipt/);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          parseReceipts(`<CEB622Message><InventoryReturn>${s}</InventoryReturn></CEB622Message>`);
        } catch (err) {
          expect(err).toBeInstanceOf(ReceiptUnreadable);
        }
      }),
    );
  });
});

describe('transfer envelope', () => {
  const message =
    '<?xml version="1.0" encoding="UTF-8"?>\n<ceb:CEB311Message guid="x" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb">张 &amp; 伟</ceb:CEB311Message>\n';
  const envelope = wrapEnvelope({
    copMsgId: '0F3C2A9E5B7D4E219A0B3C4D5E6F7A8B',
    senderId: 'DXPENT0000000001',
    receiverId: 'DXPEDCCEB0000002',
    createdAt: new Date('2026-12-03T07:00:00.123Z'),
    msgType: 'CEB311Message',
    message,
  });
  it('validates against transfer-node-202205.xsd', async () => {
    expect((await validateCeb(envelope, 'transfer')).problems).toEqual([]);
  });
  it('gives back the message byte for byte', () => {
    expect(unwrapEnvelope(envelope)).toMatchObject({
      copMsgId: '0F3C2A9E5B7D4E219A0B3C4D5E6F7A8B',
      msgType: 'CEB311Message',
      message,
    });
  });
});
