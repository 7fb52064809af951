/**
 * Declaring an order to China customs through the transfer client's folders, on both dialects:
 * the three-document match holds the inventory list (nothing written) until it passes or an
 * audited override releases it; receipts from the inbox move declarations once each, even when
 * the hub stops between applying a receipt and moving its file, or between preparing a message
 * and recording it sent.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrderInput } from '../src/domain/index.js';
import { SANDBOX_PROFILE } from '../src/connectors/customs/china-ceb/profile.js';
import { rsaSha1Signer, verifyCebSignature } from '../src/connectors/customs/china-ceb/sign.js';
import { TransferFolders } from '../src/connectors/customs/china-ceb/transfer-folders.js';
import { folderTransport } from '../src/connectors/customs/china-ceb/client.js';
import { unwrapEnvelope } from '../src/connectors/customs/china-ceb/envelope.js';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import { declareOrder, overrideHold, type CustomsDeps } from '../src/pipeline/customs/declare.js';
import { applyInbox } from '../src/pipeline/customs/receipts.js';
import { listAudit } from '../src/store/audit.js';
import { declarationHistory, declarationsOfOrder } from '../src/store/customs.js';
import { insertShipment } from '../src/store/shipments.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { gatewayFor } from './helpers/gateway.js';

const order = (): OrderInput =>
  JSON.parse(
    readFileSync(
      new URL('../src/connectors/customs/china-ceb/fixtures/import-order.canonical.json', import.meta.url),
      'utf8',
    ),
  ) as OrderInput;
const receipt = (name: string, guid: string, orderNo: string) =>
  readFileSync(new URL(`./fixtures/customs/${name}`, import.meta.url), 'utf8')
    .replaceAll('{{guid}}', guid)
    .replaceAll('{{orderNo}}', orderNo);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPublic = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe.each(DIALECTS)('customs declaration through the transfer folders (%s)', (dialect) => {
  let store: TestStore;
  let dir: string;
  let deps: CustomsDeps;
  let folders: TransferFolders;

  beforeEach(async () => {
    store = await freshStore(dialect);
    dir = mkdtempSync(join(tmpdir(), 'ceb-folders-'));
    folders = new TransferFolders(dir);
    deps = {
      store,
      partnerId: 'china-customs',
      transfer: folderTransport(dir),
      signer: rsaSha1Signer({ key: () => rsa.privateKey, keyName: () => 'crt_test' }),
      profileFor: () => SANDBOX_PROFILE,
    };
  });
  afterEach(async () => {
    await store.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function placed(input: OrderInput): Promise<string> {
    const { id } = await acceptOrder(store, input, { caller: 't' });
    await store.write((trx) =>
      insertShipment(trx, {
        id: `shp_${id}`,
        order_id: id,
        carrier: 'carrier-beta',
        waybill_no: 'SF1234567890',
        status: 'info_received',
        label_url: null,
        estimated_delivery: null,
        last_event_at: null,
        next_poll_at: null,
        created_at: Date.now(),
        updated_at: Date.now(),
      }),
    );
    return id;
  }
  const outbox = () =>
    readdirSync(folders.outbox)
      .filter((f) => !f.startsWith('.'))
      .sort();

  it('holds the inventory list when the payment disagrees with the order: discrepancy reported, list not sent', async () => {
    const id = await placed(order()); // the fixture's payment says 318.75; the order adds up to 308.75
    const out = await declareOrder(deps, id);
    expect(out.sent.sort()).toEqual(['CEB311', 'CEB411', 'CEB511']);
    expect(out.held).toEqual([
      expect.objectContaining({ field: 'amount', expected: '308.75', actual: '318.75' }),
    ]);
    expect(outbox().some((f) => f.startsWith('CEB621'))).toBe(false);
    const list = (await declarationsOfOrder(store.db, id)).find((d) => d.message_type === 'CEB621')!;
    expect(list.status).toBe('held');
    // Declaring again changes nothing: still held, nothing sent twice.
    expect((await declareOrder(deps, id)).sent).toEqual([]);
    expect(outbox()).toHaveLength(3);

    const released = await overrideHold(deps, list.id, 'usr_customs_lead', 'payment corrected by the bank');
    expect(released?.status).toBe('declared');
    expect(released?.override_by).toBe('usr_customs_lead');
    expect(outbox().filter((f) => f.startsWith('CEB621'))).toHaveLength(1);
    const [audit] = await listAudit(store.db, { action: 'customs.override', limit: 5 });
    expect(audit).toMatchObject({ actor: 'usr_customs_lead', target: list.id });
  }, 120_000);

  it('sends all four messages signed in transfer envelopes; receipts accept, release and reject once each', async () => {
    const input = { ...order(), payment: { ...order().payment!, amount: '308.75' } };
    const id = await placed(input);
    const out = await declareOrder(deps, id);
    expect(out.held).toEqual([]);
    expect(out.sent.sort()).toEqual(['CEB311', 'CEB411', 'CEB511', 'CEB621']);
    const files = outbox();
    expect(files).toHaveLength(4);
    const env = unwrapEnvelope(
      readFileSync(
        join(
          folders.outbox,
          files.find((f) => f.startsWith('CEB621'))!,
        ),
        'utf8',
      ),
    );
    expect(env.msgType).toBe('CEB621Message');
    expect(verifyCebSignature(env.message, { method: 'rsa-sha1', pem: rsaPublic })).toEqual({ ok: true });

    const decl = await declarationsOfOrder(store.db, id);
    const guidOf = (t: string) => decl.find((d) => d.message_type === t)!.guid;
    writeFileSync(
      join(folders.inbox, 'r1.xml'),
      receipt('CEB312-accepted.xml', guidOf('CEB311'), input.externalId),
    );
    writeFileSync(
      join(folders.inbox, 'r2.xml'),
      receipt('CEB622-released.xml', guidOf('CEB621'), input.externalId),
    );
    writeFileSync(
      join(folders.inbox, 'r3.xml'),
      receipt('CEB622-rejected.xml', guidOf('CEB621'), input.externalId),
    );
    const first = await applyInbox({ ...deps });
    expect(first).toMatchObject({ files: 3, applied: 3, duplicates: 0 });
    const after = await declarationsOfOrder(store.db, id);
    const byType = Object.fromEntries(after.map((d) => [d.message_type, d]));
    expect(byType.CEB311!.status).toBe('accepted');
    // The release came first; a later rejection of a released list does not move it back.
    expect(byType.CEB621!.status).toBe('released');
    expect(byType.CEB621!.customs_no).toBe('514120261000000001');
    const history = await declarationHistory(store.db, byType.CEB621!.id);
    expect(history.map((h) => h.status)).toEqual(['queued', 'declared', 'accepted', 'released']);
    expect(history[3]).toMatchObject({ code: '800' });

    // The same receipt delivered again is recognised and applies nothing.
    writeFileSync(
      join(folders.inbox, 'r2-again.xml'),
      receipt('CEB622-released.xml', guidOf('CEB621'), input.externalId),
    );
    expect(await applyInbox(deps)).toMatchObject({ files: 1, applied: 0, duplicates: 1 });
    expect(await declarationHistory(store.db, byType.CEB621!.id)).toHaveLength(4);
  }, 120_000);

  it('a rejection keeps customs’ code and reason (sealed at rest)', async () => {
    const input = { ...order(), payment: { ...order().payment!, amount: '308.75' } };
    const id = await placed(input);
    await declareOrder(deps, id);
    const guid = (await declarationsOfOrder(store.db, id)).find((d) => d.message_type === 'CEB621')!.guid;
    writeFileSync(join(folders.inbox, 'r.xml'), receipt('CEB622-rejected.xml', guid, input.externalId));
    await applyInbox(deps);
    const list = (await declarationsOfOrder(store.db, id)).find((d) => d.message_type === 'CEB621')!;
    expect(list).toMatchObject({ status: 'rejected', last_code: '100' });
    expect(list.last_info_sealed).not.toContain('订购人');
    expect(await store.keys.open(list.last_info_sealed!, 'customs_declarations.info')).toContain(
      '订购人身份信息校验未通过',
    );
  }, 120_000);

  it('a stop between applying a receipt and moving its file: the next run applies nothing twice', async () => {
    const input = { ...order(), payment: { ...order().payment!, amount: '308.75' } };
    const id = await placed(input);
    await declareOrder(deps, id);
    const guid = (await declarationsOfOrder(store.db, id)).find((d) => d.message_type === 'CEB621')!.guid;
    writeFileSync(join(folders.inbox, 'r.xml'), receipt('CEB622-released.xml', guid, input.externalId));
    await expect(
      applyInbox({
        ...deps,
        afterCommit: () => {
          throw new Error('stopped');
        },
      }),
    ).rejects.toThrow('stopped');
    expect(await applyInbox(deps)).toMatchObject({ files: 1, applied: 0, duplicates: 1 });
    const list = (await declarationsOfOrder(store.db, id)).find((d) => d.message_type === 'CEB621')!;
    expect(list.status).toBe('released');
    expect((await declarationHistory(store.db, list.id)).filter((h) => h.status === 'released')).toHaveLength(
      1,
    );
  }, 120_000);

  it('a stop between preparing a message and recording it sent: the retry writes the same bytes once', async () => {
    const id = await placed({ ...order(), payment: undefined });
    const real = folders;
    let first = true;
    const failing = {
      ...deps.transfer,
      send: (name: string, content: string) => {
        if (first) {
          first = false;
          return Promise.reject(new Error('stopped'));
        }
        return deps.transfer.send(name, content);
      },
    };
    await expect(declareOrder({ ...deps, transfer: failing }, id)).rejects.toThrow('stopped');
    const queued = (await declarationsOfOrder(store.db, id)).find(
      (d) => d.status === 'queued' && d.message_sealed,
    )!;
    const sealed = await store.keys.open(queued.message_sealed!, 'customs_declarations.message');
    await declareOrder(deps, id);
    const name = `${queued.message_type}_${queued.guid.replace(/-/g, '')}.xml`;
    expect(readFileSync(join(real.outbox, name), 'utf8')).toBe(sealed);
    expect(outbox().filter((f) => f.startsWith(queued.message_type))).toHaveLength(1);
  }, 120_000);

  it('GET /v1/customs/declarations and the order show the hold; only customs:override releases it, audited', async () => {
    const id = await placed(order());
    await declareOrder(deps, id);
    const gw = await gatewayFor(store);
    try {
      const held = await gw.call('GET', '/v1/customs/declarations?status=held');
      expect(held.statusCode).toBe(200);
      const [list] = held.json<{
        data: Array<{ id: string; messageType: string; discrepancies: Array<{ field: string }> }>;
      }>().data;
      expect(list).toMatchObject({ messageType: 'CEB621', discrepancies: [{ field: 'amount' }] });
      const detail = await gw.call('GET', `/v1/orders/${id}`);

      const decls = detail.json<{
        customs: { declarations: Array<{ messageType: string; status: string }> };
      }>().customs.declarations;
      expect(decls.map((d) => `${d.messageType}:${d.status}`).sort()).toEqual([
        'CEB311:declared',
        'CEB411:declared',
        'CEB511:declared',
        'CEB621:held',
      ]);
      const reader = await gw.keyWith({ scopes: ['customs:read', 'orders:read'] });
      const refused = await gw.callAs(reader, 'POST', `/v1/customs/declarations/${list!.id}/override`, {
        reason: 'bank fixed it',
      });
      expect(refused.statusCode).toBe(403);
      const ok = await gw.call('POST', `/v1/customs/declarations/${list!.id}/override`, {
        reason: 'bank fixed it',
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ status: 'queued' });
      const again = await gw.call('POST', `/v1/customs/declarations/${list!.id}/override`, {
        reason: 'bank fixed it',
      });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ error: { code: 'customs_not_held' } });
      expect((await gw.call('GET', '/v1/customs/declarations/dcl_nothere')).statusCode).toBe(404);
      const [audit] = await listAudit(store.db, { action: 'customs.override', limit: 5 });
      expect(audit).toMatchObject({ target: list!.id });
      // The next declaration run sends the released list.
      expect((await declareOrder(deps, id)).sent).toEqual(['CEB621']);
    } finally {
      await gw.app.close();
    }
  }, 120_000);
});
