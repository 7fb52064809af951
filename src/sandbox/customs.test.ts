/**
 * The sandbox customs on its own, fed real-format CEB 2022-05 messages (fixture files in
 * test/fixtures/customs-sandbox/, wrapped here in a transfer envelope as a transfer client
 * receives them): through the folders and over HTTP it accepts valid declarations, refuses
 * planted faults with a customs-style code and reason, refuses a message the XSD rejects naming
 * the element and rule, releases inventory lists later on its (injected) clock, answers a
 * re-delivered message once, and says clearly when the XSD pack is missing. Its receipts are
 * themselves valid against the official XSDs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCustoms, TRANSFER_PREFIX, type CustomsPartner } from './customs.js';
import { validateAll } from './customs-xsd.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'customs-sandbox');
const fixture = (type: string) => readFileSync(join(FIXTURES, `${type}.xml`), 'utf8');
const BUYER_ID = '110105198805120017';

/** A transfer envelope (terminal-node DxpMsg) around a message, as the declarant's client writes it. */
function envelope(message: string, msgType: string, copMsgId: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<dxp:DxpMsg ver="1.0" xmlns:dxp="http://www.chinaport.gov.cn/dxp">',
    '<dxp:TransInfo>',
    `<dxp:CopMsgId>${copMsgId}</dxp:CopMsgId>`,
    '<dxp:SenderId>DXPENT0000000001</dxp:SenderId>',
    '<dxp:ReceiverIds><dxp:ReceiverId>DXPEDCCEB0000002</dxp:ReceiverId></dxp:ReceiverIds>',
    '<dxp:CreatTime>2026-11-30T03:00:00Z</dxp:CreatTime>',
    `<dxp:MsgType>${msgType}Message</dxp:MsgType>`,
    '</dxp:TransInfo>',
    `<dxp:Data>${Buffer.from(message, 'utf8').toString('base64')}</dxp:Data>`,
    '</dxp:DxpMsg>',
  ].join('\n');
}

const parser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreAttributes: true });

interface Receipt {
  file: string;
  type: string;
  guid: string;
  status: string;
  info: string;
  fields: Record<string, string>;
  message: string;
  envelope: string;
}

function readReceipt(file: string, xml: string): Receipt {
  const env = parser.parse(xml) as { DxpMsg: { Data: string; TransInfo: { MsgType: string } } };
  const message = Buffer.from(env.DxpMsg.Data, 'base64').toString('utf8');
  const doc = parser.parse(message) as Record<string, Record<string, Record<string, string>>>;
  const type = Object.keys(doc).find((k) => k.startsWith('CEB'))!;
  const fields = Object.values(doc[type]!)[0]!;
  return {
    file,
    type: type.replace('Message', ''),
    guid: fields.guid!,
    status: fields.returnStatus!,
    info: fields.returnInfo!,
    fields,
    message,
    envelope: xml,
  };
}

describe('sandbox customs through the transfer client folders', () => {
  let root: string;
  let clock: number;
  let customs: CustomsPartner;
  let seq = 0;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sbx-customs-'));
    clock = Date.parse('2026-11-30T03:00:00Z');
    customs = createCustoms({ now: () => clock, pollMs: 0, faults: { releaseDelayMs: 5_000 } });
    customs.watchFolder(root);
  });
  afterEach(async () => {
    await customs.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Writes a message into the outbox the way the hub does: a dot-file, then a rename-free final name. */
  function send(type: string, message = fixture(type)): string {
    const name = `${type}_${String(++seq).padStart(4, '0')}.xml`;
    writeFileSync(join(root, 'outbox', name), envelope(message, type, `SBXTEST${seq}`));
    return name;
  }
  const inbox = (): Receipt[] =>
    readdirSync(join(root, 'inbox'))
      .filter((f) => !f.startsWith('.'))
      .sort()
      .map((f) => readReceipt(f, readFileSync(join(root, 'inbox', f), 'utf8')));
  const guidOf = (xml: string) => /<ceb:guid>([^<]+)<\/ceb:guid>/.exec(xml)![1]!;

  it('accepts the import and export declarations and answers each in its official receipt format', async () => {
    const types = ['CEB311', 'CEB411', 'CEB511', 'CEB621', 'CEB303', 'CEB505', 'CEB603'];
    for (const t of types) send(t);
    await customs.pump();
    const receipts = inbox();
    expect(receipts.map((r) => r.type).sort()).toEqual(
      ['CEB312', 'CEB412', 'CEB512', 'CEB622', 'CEB304', 'CEB506', 'CEB604'].sort(),
    );
    for (const t of types) {
      const r = receipts.find((x) => x.guid === guidOf(fixture(t)))!;
      expect(r, t).toBeDefined();
      expect(r.status).toBe('120');
    }
    // The inventory list got its customs numbers; the export receipt echoes order and flag.
    const r604 = receipts.find((r) => r.type === 'CEB604')!;
    expect(r604.fields).toMatchObject({ orderNo: 'SBX-EXP-8001', statisticsFlag: 'A' });
    expect(r604.fields.preNo).toHaveLength(18);
    // Every receipt is valid against the official XSDs, message and envelope alike.
    const imports = receipts.filter((r) => ['CEB312', 'CEB412', 'CEB512', 'CEB622'].includes(r.type));
    const exports = receipts.filter((r) => !imports.includes(r));
    for (const v of await validateAll(
      'import',
      imports.map((r) => r.message),
    ))
      expect(v.problems).toEqual([]);
    for (const v of await validateAll(
      'export',
      exports.map((r) => r.message),
    ))
      expect(v.problems).toEqual([]);
    for (const v of await validateAll(
      'transfer',
      receipts.map((r) => r.envelope),
    ))
      expect(v.problems).toEqual([]);
    // Taken files leave the outbox for the sentbox; receipts are never left half-written.
    expect(readdirSync(join(root, 'outbox'))).toEqual([]);
    expect(readdirSync(join(root, 'sentbox'))).toHaveLength(7);
    expect(readdirSync(join(root, 'inbox')).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 60_000);

  it('releases an accepted inventory list only once its delay has passed on the clock', async () => {
    send('CEB621');
    send('CEB603');
    await customs.pump();
    expect(inbox().map((r) => r.status)).toEqual(['120', '120']);
    clock += 4_999;
    await customs.pump();
    expect(inbox().filter((r) => r.status === '800')).toEqual([]);
    expect(customs.stats()).toMatchObject({ released: 0, pendingRelease: 2 });
    clock += 1;
    await customs.pump();
    const released = inbox().filter((r) => r.status === '800');
    expect(released.map((r) => r.type).sort()).toEqual(['CEB604', 'CEB622']);
    expect(released.map((r) => r.guid).sort()).toEqual(
      [guidOf(fixture('CEB603')), guidOf(fixture('CEB621'))].sort(),
    );
    // The list number given at acceptance is the one released.
    const accepted = inbox().find((r) => r.type === 'CEB622' && r.status === '120')!;
    const done = released.find((r) => r.type === 'CEB622')!;
    expect(done.fields.invtNo).toBe(accepted.fields.invtNo);
    expect(customs.stats()).toMatchObject({ released: 2, pendingRelease: 0 });
    // No second release, however long one waits.
    clock += 60_000;
    await customs.pump();
    expect(inbox().filter((r) => r.status === '800')).toHaveLength(2);
  }, 60_000);

  it('withholds release when told to', async () => {
    customs.setFaults({ withholdRelease: true });
    send('CEB621');
    await customs.pump();
    clock += 3_600_000;
    await customs.pump();
    expect(inbox().map((r) => r.status)).toEqual(['120']);
  }, 60_000);

  it('refuses the inventory list of a buyer whose id number is marked to fail, with a code and a reason that masks the number', async () => {
    customs.setFaults({ failIdNumbers: [BUYER_ID] });
    send('CEB311');
    send('CEB621');
    send('CEB303');
    await customs.pump();
    const receipts = inbox();
    const list = receipts.find((x) => x.type === 'CEB622')!;
    expect(list.status).toBe('100');
    expect(list.info).toMatch(/^\[Code:C1301;Desc:订购人身份信息校验未通过/);
    expect(list.info).toContain('1101**********0017');
    expect(list.info).not.toContain(BUYER_ID);
    // The identity is checked on the list: the order itself is stored, and the export passes.
    expect(receipts.find((x) => x.type === 'CEB312')!.status).toBe('120');
    expect(receipts.find((x) => x.type === 'CEB304')!.status).toBe('120');
    // A refused list is never released.
    clock += 60_000;
    await customs.pump();
    expect(inbox().filter((r) => r.status === '800')).toEqual([]);
  }, 60_000);

  it('refuses an order whose amount paid does not add up, and a payment that disagrees with the order', async () => {
    const bad = fixture('CEB311').replace(
      '<ceb:acturalPaid>263.4</ceb:acturalPaid>',
      '<ceb:acturalPaid>236.4</ceb:acturalPaid>',
    );
    send('CEB311', bad);
    await customs.pump();
    const [order] = inbox();
    expect(order).toMatchObject({ type: 'CEB312', status: '100' });
    expect(order!.info).toContain('[Code:C1303;');
    expect(order!.info).toContain('acturalPaid 236.4');
    expect(order!.info).toContain('263.4');

    // A good order, then a payment for it with another amount.
    rmSync(join(root, 'inbox'), { recursive: true });
    customs.watchFolder(root);
    const good = fixture('CEB311').replaceAll(
      '6F1C2A10-0B7E-4E55-9A31-3C0D2E8B7101',
      '6F1C2A10-0B7E-4E55-9A31-3C0D2E8B7199',
    );
    send('CEB311', good);
    send(
      'CEB411',
      fixture('CEB411').replace(
        '<ceb:amountPaid>263.4</ceb:amountPaid>',
        '<ceb:amountPaid>260</ceb:amountPaid>',
      ),
    );
    await customs.pump();
    const pay = inbox().find((r) => r.type === 'CEB412')!;
    expect(pay.status).toBe('100');
    expect(pay.info).toContain('[Code:C2601;');
    expect(inbox().find((r) => r.type === 'CEB312')!.status).toBe('120');
  }, 60_000);

  it('refuses a message the XSD rejects, naming the element and the rule', async () => {
    const long = fixture('CEB311').replace(
      '<ceb:orderNo>SBX-IMP-7001</ceb:orderNo>',
      `<ceb:orderNo>${'X'.repeat(61)}</ceb:orderNo>`,
    );
    send('CEB311', long);
    const unsigned = fixture('CEB621').replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
    send('CEB621', unsigned);
    const missing = fixture('CEB505').replace(/\s*<ceb:logisticsNo>[^<]*<\/ceb:logisticsNo>/, '');
    send('CEB505', missing);
    const broken = fixture('CEB303').replace('</ceb:orderNo>', '</ceb:orderNumber>');
    send('CEB303', broken);
    await customs.pump();
    const receipts = inbox();
    const of = (t: string) => receipts.find((r) => r.type === t)!;
    expect(of('CEB312').status).toBe('-1');
    expect(of('CEB312').info).toMatch(/元素 orderNo 违反 maxLength 规则（第 \d+ 行）/);
    expect(of('CEB622').status).toBe('-1');
    expect(of('CEB622').info).toMatch(/元素 CEB621Message 违反 missing 规则/);
    expect(of('CEB622').info).toContain('Signature');
    expect(of('CEB506').status).toBe('-1');
    expect(of('CEB506').info).toMatch(/元素 \w+ 违反 (missing|unexpected) 规则/);
    expect(of('CEB506').info).toContain('logisticsNo');
    // Not even well-formed: refused all the same, to the guid it carries, naming the tag.
    expect(of('CEB304').status).toBe('-1');
    expect(of('CEB304').guid).toBe(guidOf(fixture('CEB303')));
    expect(of('CEB304').info).toMatch(/违反 wellFormed 规则/);
    expect(of('CEB304').info).toContain('orderNo');
    expect(customs.stats()).toMatchObject({ invalid: 4, accepted: 0 });
    // The refusals are themselves schema-valid receipts.
    for (const v of await validateAll(
      'import',
      [of('CEB312'), of('CEB622')].map((r) => r.message),
    ))
      expect(v.problems).toEqual([]);
  }, 60_000);

  it('answers a re-delivered message once, and puts a file that is no envelope in the failbox with its reason', async () => {
    send('CEB311');
    await customs.pump();
    send('CEB311'); // the hub rewrote the same bytes after a crash
    writeFileSync(join(root, 'outbox', 'junk.xml'), 'not xml at all <');
    await customs.pump();
    expect(inbox()).toHaveLength(1);
    expect(customs.stats()).toMatchObject({ received: 1, duplicates: 1, unreadable: 1 });
    expect(readFileSync(join(root, 'failbox', 'junk.xml.reason.txt'), 'utf8')).toMatch(/DxpMsg|well-formed/);
  }, 60_000);
});

describe('sandbox customs over HTTP', () => {
  let app: FastifyInstance;
  let url: string;
  let customs: CustomsPartner;
  const call = async (method: string, path: string, body?: string, key?: string) => {
    const res = await fetch(`${url}${TRANSFER_PREFIX}${path}`, {
      method,
      headers: {
        'x-ceb-client-key': key ?? customs.clientKey,
        ...(body !== undefined ? { 'content-type': 'application/xml; charset=utf-8' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    });
    return { status: res.status, name: res.headers.get('x-ceb-file-name'), text: await res.text() };
  };

  beforeEach(async () => {
    customs = createCustoms({ pollMs: 0 });
    app = Fastify({ logger: false });
    customs.register(app);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await customs.close();
    await app.close();
  });

  it('takes a message by PUT, and hands its receipt to GET inbox/next until it is deleted', async () => {
    const put = await call('PUT', '/outbox/CEB303_A.xml', envelope(fixture('CEB303'), 'CEB303', 'HTTP1'));
    expect(put.status).toBe(200);
    await customs.pump();
    const next = await call('GET', '/inbox/next');
    expect(next.status).toBe(200);
    expect(next.name).toMatch(/^CEB304_[0-9A-F]{32}\.xml$/);
    const r = readReceipt(next.name!, next.text);
    expect(r).toMatchObject({ type: 'CEB304', status: '120', guid: '9B0E4D21-55AA-4C3B-8E02-71F4C6D18201' });
    // Offered again until taken away.
    expect((await call('GET', '/inbox/next')).name).toBe(next.name);
    expect((await call('DELETE', `/inbox/${next.name}`)).status).toBe(204);
    expect((await call('GET', '/inbox/next')).status).toBe(204);
    expect((await call('DELETE', `/inbox/${next.name}`)).status).toBe(404);
    expect(customs.stats()).toMatchObject({ receiptsWritten: 1, receiptsTaken: 1 });
  }, 60_000);

  it('refuses a wrong client key and a body that is no transfer envelope, with a reason', async () => {
    const wrong = await call(
      'PUT',
      '/outbox/x.xml',
      envelope(fixture('CEB303'), 'CEB303', 'H2'),
      'not-the-key',
    );
    expect(wrong.status).toBe(401);
    const junk = await call('PUT', '/outbox/x.xml', '<hello/>');
    expect(junk.status).toBe(400);
    expect(JSON.parse(junk.text).error).toMatch(/DxpMsg/);
    const dtd = await call('PUT', '/outbox/x.xml', '<!DOCTYPE x [<!ENTITY a "b">]><dxp:DxpMsg/>');
    expect(dtd.status).toBe(400);
    await customs.pump();
    expect(customs.stats()).toMatchObject({ received: 0, unreadable: 2 });
  }, 60_000);
});

describe('sandbox customs without the XSD pack', () => {
  it('says the pack is missing and where it looked, refuses HTTP with 503 and leaves folder files alone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sbx-customs-nopack-'));
    const customs = createCustoms({ pollMs: 0, xsdDir: join(root, 'no-such-pack') });
    const app = Fastify({ logger: false });
    customs.register(app);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const pack = customs.stats().xsdPack;
      expect(pack.found).toBe(false);
      expect(!pack.found && pack.reason).toMatch(
        /CEB 2022-05 XSD pack was not found.*no-such-pack.*WAYGATE_CEB_XSD_DIR/,
      );
      const res = await fetch(`${url}${TRANSFER_PREFIX}/outbox/a.xml`, {
        method: 'PUT',
        headers: { 'x-ceb-client-key': customs.clientKey, 'content-type': 'application/xml' },
        body: envelope(fixture('CEB311'), 'CEB311', 'NP1'),
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toMatch(/WAYGATE_CEB_XSD_DIR/);
      customs.watchFolder(root);
      writeFileSync(join(root, 'outbox', 'CEB311_1.xml'), envelope(fixture('CEB311'), 'CEB311', 'NP2'));
      await customs.pump();
      expect(readdirSync(join(root, 'outbox'))).toEqual(['CEB311_1.xml']);
      expect(readdirSync(join(root, 'inbox'))).toEqual([]);
    } finally {
      await customs.close();
      await app.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
