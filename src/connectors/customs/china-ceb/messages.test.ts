import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CustomsFieldMissing } from './fields.js';
import { buildMessage, orderAmounts, type CebCase, type CebMessageType, type CebOrder } from './messages.js';
import { SANDBOX_PROFILE } from './profile.js';
import { loadXsdPack, validateCeb } from './xsd.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as CebOrder;
const importOrder = fixture('import-order.canonical.json');
const exportOrder = fixture('export-order.canonical.json');
const importOrder2 = fixture('import-order-2.canonical.json');

const base: Omit<CebCase, 'order'> = {
  profile: SANDBOX_PROFILE,
  guid: '0F3C2A9E-5B7D-4E21-9A0B-3C4D5E6F7A8B',
  at: new Date('2026-12-03T07:00:00Z'),
  waybill: { waybillNo: 'SF1234567890' },
  customsNo: '514120261000000001',
  reason: '订购人取消 & 退款',
  transport: { name: 'CA987', voyageNo: 'CA987-1203' },
};

const IMPORT: CebMessageType[] = ['CEB311', 'CEB411', 'CEB511', 'CEB621', 'CEB623', 'CEB625'];
const EXPORT: CebMessageType[] = ['CEB303', 'CEB505', 'CEB603', 'CEB605', 'CEB607', 'CEB701'];
/** The XSD requires a ds:Signature in these; signing adds it (sign.test.ts validates the signed form). */
const SIGNATURE_REQUIRED = new Set(['CEB621', 'CEB623', 'CEB625']);

const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
const work = mkdtempSync(join(tmpdir(), 'ceb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The system's xmllint (Debian libxml2-utils) on the message, as a second, independent check. */
function xmllint(xml: string, schema: 'import' | 'export'): { status: number | null; out: string } {
  const file = join(work, `m-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  const dir = loadXsdPack().dir;
  const r = spawnSync('xmllint', ['--noout', '--schema', join(dir, `${schema}-business-202205.xsd`), file], {
    encoding: 'utf8',
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('CEB messages from canonical orders validate against the official 2022-05 XSDs', () => {
  for (const [orders, types, schema] of [
    [[importOrder, importOrder2], IMPORT, 'import'],
    [[exportOrder], EXPORT, 'export'],
  ] as const) {
    for (const type of types) {
      it(`${type} (${schema})`, async () => {
        for (const order of orders) {
          const xml = buildMessage(type, { ...base, order });
          const v = await validateCeb(xml, schema, { signatureLater: SIGNATURE_REQUIRED.has(type) });
          expect(v.problems).toEqual([]);
          if (hasXmllint && !SIGNATURE_REQUIRED.has(type)) {
            const r = xmllint(xml, schema);
            expect(r.out).toMatch(/validates/);
            expect(r.status).toBe(0);
          }
        }
      });
    }
  }

  it('escapes XML-special characters and keeps non-ASCII text as written', () => {
    const xml = buildMessage('CEB311', { ...base, order: importOrder });
    expect(xml).toContain(
      '<ceb:itemDescribe>Ceramic mug &quot;Tom &amp; Jerry&quot; &lt;350ml&gt;</ceb:itemDescribe>',
    );
    expect(xml).toContain('<ceb:consignee>张 伟</ceb:consignee>');
    expect(xml).toContain('&lt;A座&gt; &amp; 3F');
  });

  it('adds the order up as customs does: goods + freight + tax − discount, rounded to the fen', () => {
    // goods 2×45.50 + 3×66.3333 + 0.0001 = 290.0000; + 12.5 + 11.25 − 5 = 308.75
    expect(orderAmounts(importOrder)).toMatchObject({ goods: '290', paid: '308.75', freight: '12.5' });
    const xml = buildMessage('CEB311', { ...base, order: importOrder });
    expect(xml).toContain('<ceb:acturalPaid>308.75</ceb:acturalPaid>');
    expect(xml).toContain('<ceb:totalPrice>198.9999</ceb:totalPrice>');
    expect(xml).toContain('<ceb:country>116</ceb:country>');
    expect(xml).toContain('<ceb:currency>142</ceb:currency>');
  });

  it('translates the export currency and destination to customs codes', () => {
    const xml = buildMessage('CEB603', { ...base, order: exportOrder });
    expect(xml).toContain('<ceb:fCurrency>502</ceb:fCurrency>');
    expect(xml).toContain('<ceb:country>502</ceb:country>');
    expect(xml).toContain('<ceb:grossWeight>1.06</ceb:grossWeight>');
  });
});

describe('a field nobody supplies fails naming it, before anything is built', () => {
  const cases: Array<[string, CebMessageType, (c: CebCase) => CebCase]> = [
    [
      'buyer.idNumber',
      'CEB311',
      (c) => ({ ...c, order: { ...c.order, buyer: { ...c.order.buyer!, idNumber: '' } } }),
    ],
    ['buyer.name', 'CEB621', (c) => ({ ...c, order: { ...c.order, buyer: undefined } })],
    ['waybill.waybillNo', 'CEB511', (c) => ({ ...c, waybill: undefined })],
    ['customs.logistics.code', 'CEB511', (c) => ({ ...c, profile: { ...c.profile, logistics: undefined } })],
    ['customs.assureCode', 'CEB621', (c) => ({ ...c, profile: { ...c.profile, assureCode: undefined } })],
    [
      'items[1].hsCode',
      'CEB621',
      (c) => ({
        ...c,
        order: { ...c.order, items: c.order.items.map((i, n) => (n === 1 ? { ...i, hsCode: '090210' } : i)) },
      }),
    ],
    ['currency', 'CEB311', (c) => ({ ...c, order: { ...c.order, currency: 'USD' } })],
    ['payment', 'CEB411', (c) => ({ ...c, order: { ...c.order, payment: undefined } })],
    [
      'items[0].originCountry',
      'CEB311',
      (c) => ({
        ...c,
        order: {
          ...c.order,
          items: c.order.items.map((i, n) => (n === 0 ? { ...i, originCountry: 'AQ' } : i)),
        },
      }),
    ],
  ];
  for (const [field, type, change] of cases) {
    it(`${type} without ${field}`, () => {
      let err: unknown;
      try {
        buildMessage(type, change({ ...base, order: importOrder }));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CustomsFieldMissing);
      expect((err as CustomsFieldMissing).field).toBe(field);
    });
  }
});

describe('a message that breaks the XSD is refused naming the element and the rule', () => {
  it('a buyer name longer than 60 characters: buyerName, maxLength', async () => {
    const order = { ...importOrder, buyer: { ...importOrder.buyer!, name: '名'.repeat(61) } };
    const v = await validateCeb(buildMessage('CEB311', { ...base, order }), 'import');
    expect(v.valid).toBe(false);
    expect(v.problems[0]).toMatchObject({ element: 'buyerName', rule: 'maxLength' });
    expect(v.problems[0]!.line).toBeGreaterThan(0);
  });

  it('elements out of order: the element and `sequence`', async () => {
    const xml = buildMessage('CEB311', { ...base, order: importOrder }).replace(
      /(\t*<ceb:appType>1<\/ceb:appType>\n)(\t*<ceb:appTime>\d+<\/ceb:appTime>\n)/,
      '$2$1',
    );
    const v = await validateCeb(xml, 'import');
    expect(v.problems[0]).toMatchObject({ element: 'appTime', rule: 'sequence' });
  });

  it('a missing signature is a problem unless signing comes next', async () => {
    const xml = buildMessage('CEB621', { ...base, order: importOrder });
    expect((await validateCeb(xml, 'import')).problems[0]).toMatchObject({ rule: 'missing' });
    expect((await validateCeb(xml, 'import', { signatureLater: true })).valid).toBe(true);
  });
});
