/**
 * Issue 16, defects 8 and 10 (exact bytes): partner pushes are de-duplicated on what is signed
 * plus the unsigned topic, a push dead-lettered under a wrong topic is replayed under the right
 * one, and every partner signature is checked over the exact bytes received.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { GatewayFixture } from '../helpers/gateway.js';
import { freshStore, type TestStore } from '../helpers/stores.js';
import {
  alphaPushBody,
  drainInbound,
  pushGateway,
  sendAlpha,
  sendShop,
  shopWebhookBody,
} from '../helpers/pushes.js';

let store: TestStore;
let gw: GatewayFixture;
beforeEach(async () => {
  store = await freshStore('sqlite');
  gw = await pushGateway(store);
});
afterEach(async () => {
  await gw.app.close();
  await store.destroy();
});

const orders = () => store.db.selectFrom('orders').select(['id', 'external_id']).execute();
const deadJobs = () =>
  store.db.selectFrom('jobs').select(['id', 'kind', 'last_error']).where('status', '=', 'dead').execute();

describe('defect 8: the unsigned topic cannot make a signed push a duplicate', () => {
  it('a body first sent under a wrong topic is still taken under the right one', async () => {
    // The attack: the same signed bytes, first with a topic the hub refuses.
    const wrong = await sendShop(gw, { body: shopWebhookBody, topic: 'orders/updated' });
    expect(wrong.statusCode).toBe(202);
    expect(wrong.json().status).toBe('queued');
    await drainInbound(store);
    const [dead] = await deadJobs();
    expect(JSON.parse(dead?.last_error ?? '{}')).toMatchObject({ code: 'webhook_topic_unsupported' });
    expect(await orders()).toHaveLength(0);

    // Then the genuine delivery: queued, not "duplicate", and the order is taken.
    const right = await sendShop(gw, { body: shopWebhookBody, topic: 'orders/create' });
    expect(right.statusCode).toBe(202);
    expect(right.json().status).toBe('queued');
    await drainInbound(store);
    expect(await orders()).toHaveLength(1);

    // A re-delivery of the same bytes under the same topic is still a duplicate.
    const again = await sendShop(gw, { body: shopWebhookBody, topic: 'orders/create' });
    expect(again.json()).toEqual({ id: right.json().id, status: 'duplicate' });
  });

  it('the dead push is replayed under the corrected topic, audited', async () => {
    await sendShop(gw, { body: shopWebhookBody, topic: 'orders/updated' });
    await drainInbound(store);
    const [dead] = await deadJobs();
    expect(dead?.kind).toBe('inbound.order');

    const noop = await gw.call('POST', `/v1/dlq/${dead?.id}/replay`, { edit: { topic: 'orders/updated' } });
    expect(noop.statusCode).toBe(400);
    expect(noop.json().error.details).toEqual([{ field: '/topic', message: 'is already the topic' }]);
    const bad = await gw.call('POST', `/v1/dlq/${dead?.id}/replay`, { edit: { topic: 'x\u0000y' } });
    expect(bad.statusCode).toBe(400);

    const replay = await gw.call('POST', `/v1/dlq/${dead?.id}/replay`, { edit: { topic: 'orders/create' } });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ status: 'ready', edited: ['/topic'] });
    await drainInbound(store);
    expect(await orders()).toHaveLength(1);
    expect(await deadJobs()).toHaveLength(0);

    const audit = await store.db
      .selectFrom('audit_log')
      .select(['action', 'target', 'outcome', 'detail'])
      .where('action', '=', 'dlq.edit_replay')
      .execute();
    expect(audit.map((a) => [a.target, a.outcome])).toEqual([
      [dead?.id, 'rejected'],
      [dead?.id, 'rejected'],
      [dead?.id, 'ok'],
    ]);
    expect(JSON.parse(audit[2]?.detail ?? '{}')).toMatchObject({ changed: ['/topic'] });
  });

  it('a carrier without a topic header has no topic to edit', async () => {
    const res = await sendAlpha(gw, { body: '{"id":"evt_x","type":"tracking.updated","data":{}}' });
    expect(res.statusCode).toBe(202);
    await drainInbound(store);
    const [dead] = await deadJobs();
    const replay = await gw.call('POST', `/v1/dlq/${dead?.id}/replay`, { edit: { topic: 'x' } });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error.details[0].field).toBe('/topic');
  });
});

/** Byte-level variants of a JSON text that a lenient decoder maps to the same (or equal) text. */
function variants(text: string): { name: string; bytes: Buffer }[] {
  const utf8 = Buffer.from(text, 'utf8');
  const at = text.indexOf('"', 1) + 1; // inside the first string value or key
  const insert = (b: Buffer) => Buffer.concat([utf8.subarray(0, at), b, utf8.subarray(at)]);
  return [
    // U+FFFD as sent, vs an invalid byte (or an overlong encoding) that lenient decoding turns into it
    { name: 'invalid byte', bytes: insert(Buffer.from([0xff])) },
    { name: 'overlong slash', bytes: insert(Buffer.from([0xc0, 0xaf])) },
    { name: 'lone surrogate bytes', bytes: insert(Buffer.from([0xed, 0xa0, 0x80])) },
    { name: 'truncated sequence', bytes: insert(Buffer.from([0xe2, 0x82])) },
    { name: 'byte-order mark', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]) },
    {
      name: 'escaped letter',
      bytes: Buffer.from(
        `${text.slice(0, at)}\\u00${text.charCodeAt(at).toString(16)}${text.slice(at + 1)}`,
        'utf8',
      ),
    },
    { name: 'trailing newline', bytes: Buffer.concat([utf8, Buffer.from('\n')]) },
  ];
}

const lenient = (b: Buffer) => b.toString('utf8');

describe('defect 10: signatures cover the exact bytes received', () => {
  const routes = [
    { name: 'order webhook', send: sendShop, body: shopWebhookBody },
    { name: 'tracking callback', send: sendAlpha, body: alphaPushBody },
  ];

  for (const route of routes) {
    it(`${route.name}: a body whose bytes differ from the signed ones is refused`, async () => {
      for (const v of variants(route.body)) {
        // Signed over what a lenient decoder makes of the sent bytes: the old check passed these.
        const res = await route.send(gw, { body: v.bytes, signed: Buffer.from(lenient(v.bytes), 'utf8') });
        const sameBytes = Buffer.from(lenient(v.bytes), 'utf8').equals(v.bytes);
        if (sameBytes) expect.soft(res.statusCode, v.name).toBe(202);
        else expect.soft([400, 401], v.name).toContain(res.statusCode);
        // And signed over the original bytes, different ones are never taken.
        const orig = await route.send(gw, { body: v.bytes, signed: route.body });
        expect.soft([400, 401], `${v.name} (original signature)`).toContain(orig.statusCode);
      }
    });
  }

  it('a body that is not UTF-8 is refused before it is verified or stored (any bytes)', async () => {
    const stored = async () => (await store.db.selectFrom('inbound_messages').select('id').execute()).length;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(40), async (junk, pos) => {
        const utf8 = Buffer.from(shopWebhookBody, 'utf8');
        const bytes = Buffer.concat([utf8.subarray(0, pos + 1), Buffer.from(junk), utf8.subarray(pos + 1)]);
        const before = await stored();
        // Signed over the leniently decoded text, as the old check computed it.
        const res = await sendShop(gw, { body: bytes, signed: Buffer.from(lenient(bytes), 'utf8') });
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          valid = false;
        }
        if (valid) {
          // Then the signature covers exactly these bytes: taken if they are JSON, never a 500.
          expect(res.statusCode).toBeLessThan(500);
          return;
        }
        expect(res.statusCode).toBe(400);
        expect(res.json().error.code).toBe('invalid_encoding');
        expect(await stored()).toBe(before);
      }),
      { numRuns: 80 },
    );
  });

  it('a body signed as sent, byte-order mark included, is taken', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(shopWebhookBody, 'utf8')]);
    const res = await sendShop(gw, { body: bytes });
    expect(res.statusCode).toBe(202);
    await drainInbound(store);
    expect(await orders()).toHaveLength(1);
  });

  it('API-key signatures are checked over the exact bytes too', async () => {
    const text = '{"source":"sandbox-shop","externalId":"\uFFFD"}';
    const sent = Buffer.from(text.replace('\uFFFD', '\u0000'), 'utf8');
    sent[sent.indexOf(0)] = 0xff;
    const { signedHeaders } = await import('../../src/gateway/signature.js');
    const res = await gw.app.inject({
      method: 'POST',
      url: '/v1/orders',
      payload: sent,
      headers: { 'content-type': 'application/json', ...signedHeaders(gw.key, 'POST', '/v1/orders', text) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_encoding');
  });
});
