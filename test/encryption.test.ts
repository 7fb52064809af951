/**
 * Personal data at rest [001-7] and data-subject rights [001-7.3], on both dialects: the raw
 * database holds no plaintext of a consignee, a key rotation under traffic leaves every value
 * under the new key and readable, a consignee is found by phone or e-mail through the blind
 * index, and export/erase do what they say and leave what they should.
 */
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrderInput } from '../src/domain/index.js';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import { eraseSubject, exportSubject } from '../src/pipeline/data-subject.js';
import { queueInbound, INBOUND_ORDER } from '../src/pipeline/inbound.js';
import { listAudit } from '../src/store/audit.js';
import { keyUsage, rotateDataKeys } from '../src/store/data-keys.js';
import { getOrderRow, readOrder, recipientIndexes } from '../src/store/orders.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { loadJson } from './helpers/fixtures.js';

const consignee = () => loadJson<OrderInput>('privacy/consignee-order.json');
const other = () => loadJson<OrderInput>('privacy/other-order.json');

/** The consignee's identifying strings, none of which may appear in the raw database. */
const SECRETS = [
  'Zelda',
  'Quirinus',
  'zelda.quirinus@example.org',
  '5550 1427',
  '4930555014',
  'Kastanienallee',
  'ZQ-ID-88412907',
  // The buyer and payment (customs data) are sealed like the recipient.
  'Yorick',
  'Buyer-Plaintext',
  '5550 9981',
  'YB-PASS-55120931',
  // Notes too: buyers write door codes and phone numbers in them.
  'Notes-Plaintext',
  'TXN-PLAIN-77310',
];

/** Every byte the database keeps on disk (SQLite) or every row as text (PostgreSQL). */
async function rawDatabaseText(store: TestStore): Promise<string> {
  if (store.dialect === 'sqlite') {
    const file = store.url.slice('sqlite:'.length).split('?')[0] as string;
    return [file, `${file}-wal`]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('\n');
  }
  const client = new pg.Client({ connectionString: store.url });
  await client.connect();
  try {
    const tables = await client.query<{ tablename: string }>(
      "select tablename from pg_tables where schemaname = 'public'",
    );
    const dumps: string[] = [];
    for (const t of tables.rows) {
      const rows = await client.query(`select * from "${t.tablename}"`);
      dumps.push(JSON.stringify(rows.rows));
    }
    return dumps.join('\n');
  } finally {
    await client.end();
  }
}

describe.each(DIALECTS)('personal data at rest and data-subject rights (%s)', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await freshStore(dialect);
  });
  afterEach(async () => {
    await store.destroy();
  });

  it('keeps no plaintext name, phone, e-mail, address or ID number of a consignee in the database', async () => {
    await acceptOrder(store, consignee(), { caller: 't' });
    await queueInbound(store, INBOUND_ORDER, 'sandbox-shop', {
      headers: {},
      rawBody: JSON.stringify({ customer: consignee().recipient }),
      nowMs: Date.now(),
    });
    const raw = await rawDatabaseText(store);
    expect(raw.length).toBeGreaterThan(1000);
    for (const s of SECRETS) expect(raw, `raw database contains ${s}`).not.toContain(s);
    // The values are there, sealed: they read back exactly.
    const row = await store.db.selectFrom('orders').selectAll().executeTakeFirstOrThrow();
    expect(row.recipient.startsWith('wgf1.k1.')).toBe(true);
    const read = await readOrder(store.keys, row);
    expect(read.recipient).toEqual(consignee().recipient);
    expect(row.customs_sealed?.startsWith('wgf1.k1.')).toBe(true);
    expect(read.notes).toBe(consignee().notes);
    expect({ buyer: read.buyer, payment: read.payment, charges: read.charges }).toEqual({
      buyer: consignee().buyer,
      payment: consignee().payment,
      charges: consignee().charges,
    });
  });

  it('re-seals every value under a new key while orders keep arriving, and reads stay right', async () => {
    for (let i = 0; i < 30; i++) {
      await acceptOrder(store, { ...other(), externalId: `SO-PRE-${i}` }, { caller: 't' });
    }
    let writing = true;
    let written = 0;
    const traffic = (async () => {
      while (writing) {
        await acceptOrder(store, { ...consignee(), externalId: `SO-LIVE-${written}` }, { caller: 't' });
        written++;
      }
    })();
    const result = await rotateDataKeys(store.db, store.keys, {
      graceMs: 150,
      batchSize: 7,
      reindex: (json) => recipientIndexes(store.keys.cipher, json),
    });
    writing = false;
    await traffic;
    expect(written).toBeGreaterThan(0);
    expect(result.newKeyId).toBe('k2');
    expect(result.retired).toEqual(['k1']);
    const usage = await keyUsage(store.db, store.keys);
    expect(usage.filter((u) => u.table === 'orders' && u.column === 'recipient')).toEqual([
      { table: 'orders', column: 'recipient', keyId: 'k2', rows: 30 + written },
    ]);
    const rows = await store.db.selectFrom('orders').selectAll().execute();
    for (const row of rows) {
      const o = await readOrder(store.keys, row);
      expect(o.recipient.name).toBe(
        o.externalId.startsWith('SO-PRE') ? 'Oskar Unrelated' : 'Zelda Quirinus-Plaintext',
      );
    }
  });

  it('finds a consignee by phone written differently and by e-mail in another case', async () => {
    const { id } = await acceptOrder(store, consignee(), { caller: 't' });
    await acceptOrder(store, other(), { caller: 't' });
    const byPhone = await exportSubject(store, { phone: '+493055501427' }, 'test');
    expect(byPhone.orders.map((o) => o.id)).toEqual([id]);
    const byEmail = await exportSubject(store, { email: 'Zelda.Quirinus@Example.org' }, 'test');
    expect(byEmail.orders.map((o) => o.id)).toEqual([id]);
    expect(byEmail.orders[0]?.recipient).toEqual(consignee().recipient);
  });

  it('exports the consignee’s orders and partner messages, and erases them only once delivered', async () => {
    const { id } = await acceptOrder(store, consignee(), { caller: 't' });
    const { id: otherId } = await acceptOrder(store, other(), { caller: 't' });
    await queueInbound(store, INBOUND_ORDER, 'sandbox-shop', {
      headers: {},
      rawBody: JSON.stringify({ email: 'zelda.quirinus@example.org', note: 'gift' }),
      nowMs: Date.now(),
    });
    for (const text of ['call +49 30 5550-1427 at the door', 'invoice ref 501427, parcel 2 of 2']) {
      await queueInbound(store, INBOUND_ORDER, 'sandbox-shop', {
        headers: {},
        rawBody: JSON.stringify({ note: text }),
        nowMs: Date.now(),
      });
    }
    const byPhone = await exportSubject(store, { phone: '+493055501427' }, 'cli:dpo');
    expect(byPhone.partnerMessages.map((m) => m.body)).toEqual([
      JSON.stringify({ note: 'call +49 30 5550-1427 at the door' }),
    ]);
    const exported = await exportSubject(store, { email: 'zelda.quirinus@example.org' }, 'cli:dpo');
    expect(exported.orders).toHaveLength(1);
    expect(exported.partnerMessages).toHaveLength(1);

    await expect(
      eraseSubject(store, { email: 'zelda.quirinus@example.org' }, 'cli:dpo'),
    ).rejects.toMatchObject({
      code: 'subject_has_open_orders',
    });
    await store.db.updateTable('orders').set({ status: 'delivered' }).where('id', '=', id).execute();
    const erased = await eraseSubject(store, { email: 'zelda.quirinus@example.org' }, 'cli:dpo');
    expect(erased.ordersErased).toEqual([id]);
    expect(erased.partnerMessagesErased).toBe(1);

    const after = await readOrder(store.keys, (await getOrderRow(store.db, id))!);
    expect(after.recipient).toEqual({ name: '[erased]', line1: '[erased]', city: '[erased]', country: 'DE' });
    expect(after.items).toEqual(consignee().items);
    // The buyer and the notes go with the recipient; the payment is a finance record and stays.
    expect(after.buyer).toBeUndefined();
    expect(after.notes).toBeUndefined();
    expect(after.payment).toEqual(consignee().payment);
    expect(after.totalValue).toBe('49.00');
    const untouched = await readOrder(store.keys, (await getOrderRow(store.db, otherId))!);
    expect(untouched.recipient).toEqual(other().recipient);
    expect((await exportSubject(store, { email: 'zelda.quirinus@example.org' }, 'cli:dpo')).orders).toEqual(
      [],
    );

    const audit = await listAudit(store.db, { limit: 20 });
    const actions = audit.map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['dsr.exported', 'dsr.erase_refused', 'dsr.erased']));
    const auditText = JSON.stringify(audit);
    for (const s of SECRETS) expect(auditText).not.toContain(s);
  });
});
