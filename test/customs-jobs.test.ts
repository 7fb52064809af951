/**
 * Customs declares by itself, through the job registry, on both dialects: an order into CN whose
 * source has a customs profile is declared when its shipment job first runs (CEB311, CEB411) and
 * when its waybill exists (CEB511, then CEB621 once the three-document match passes), signed
 * with the declarant's certificate from the hub's certificate store; a hub or a source without a
 * customs profile queues no customs job at all. A message missing a field, or failing the XSD, is never sent: its
 * job goes to the dead letters naming the field, or the element and the rule; after the fix, a
 * replay declares it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConnector } from '../src/connectors/customs/china-ceb/index.js';
import { PartnerCallError } from '../src/connectors/errors.js';
import { unwrapEnvelope } from '../src/connectors/customs/china-ceb/envelope.js';
import { SANDBOX_PROFILE } from '../src/connectors/customs/china-ceb/profile.js';
import { verifyCebSignature } from '../src/connectors/customs/china-ceb/sign.js';
import type { OrderInput } from '../src/domain/index.js';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import type { CustomsSettings } from '../src/pipeline/customs/settings.js';
import { replayDead } from '../src/pipeline/dead-letters.js';
import { announceCustoms, customsDeclare } from '../src/pipeline/jobs/customs-declare.js';
import type { JobDeps } from '../src/pipeline/jobs/index.js';
import type { PartnerDirectory } from '../src/pipeline/partners.js';
import { WorkerPool } from '../src/pipeline/worker.js';
import { CertificateKeyring, CertificateService } from '../src/security/certs/index.js';
import { secretBoxFromKey } from '../src/security/secret-box.js';
import { declarationsOfOrder } from '../src/store/customs.js';
import { JobQueue, type Job } from '../src/store/queue.js';
import { getOrderRow, readOrder } from '../src/store/orders.js';
import { insertShipment, shipmentsForOrder } from '../src/store/shipments.js';
import { shipmentCreate } from '../src/pipeline/jobs/shipment-create.js';
import { warehouseOutbound } from '../src/pipeline/jobs/warehouse-outbound.js';
import type { RegisteredJobKind } from '../src/pipeline/jobs/kind.js';
import type { CustomsConnector, WarehouseConnector } from '../src/connectors/types.js';
import { lockLevel, writeLevel } from '../src/store/inventory.js';
import { warehouseOrder } from '../src/store/warehouse-orders.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { createTestCa } from './helpers/test-ca.js';

const order = (): OrderInput =>
  JSON.parse(
    readFileSync(
      new URL('../src/connectors/customs/china-ceb/fixtures/import-order.canonical.json', import.meta.url),
      'utf8',
    ),
  ) as OrderInput;
const ACTOR = 'cli:test-operator';

describe.each(DIALECTS)('customs declares by itself through its jobs (%s)', (dialect) => {
  let store: TestStore;
  let dir: string;
  let queue: JobQueue;
  let ring: CertificateKeyring;
  let certPem: string;
  let settings: CustomsSettings;
  let connector: CustomsConnector;

  beforeEach(async () => {
    store = await freshStore(dialect);
    dir = mkdtempSync(join(tmpdir(), 'ceb-jobs-'));
    queue = new JobQueue(store);
    const box = secretBoxFromKey(randomBytes(32));
    const certs = new CertificateService({ store, box });
    ring = new CertificateKeyring({ store, box });
    const ca = await createTestCa();
    const req = await certs.create(ACTOR, {
      name: 'customs-declarant',
      subject: 'CN=declarant.waygate.test',
    });
    certPem = await ca.issue(req.csrPem);
    await certs.register(ACTOR, { name: 'customs-declarant', certPem });
    await ring.refresh();
    connector = createConnector(
      {
        partnerId: 'china-customs',
        baseUrl: 'http://127.0.0.1:9',
        credentials: { clientKey: 'unused-with-folders' },
        options: { transferFolder: dir },
      },
      { send: () => Promise.reject(new Error('no HTTP')), close: () => Promise.resolve() },
    );
    settings = { partner: 'china-customs', certificate: 'customs-declarant', defaults: SANDBOX_PROFILE };
  });
  afterEach(async () => {
    await store.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const directory = (): PartnerDirectory => ({
    carrier: () => undefined,
    carriers: () => [],
    routing: () => ({ rules: [], default: 'none' }),
    pollIntervalMs: () => 60_000,
    platform: () => undefined,
    customs: (id) => (id === 'china-customs' ? connector : undefined),
    customsSettings: () => settings,
  });
  const deps = (): JobDeps => ({ store, queue, partners: directory, certificates: ring });

  /** Runs the outbound lane until no customs.declare job is ready or leased. */
  async function drain(): Promise<void> {
    const pool = new WorkerPool('outbound', deps(), pino({ level: 'silent' }), { idlePollMs: 10 });
    pool.start();
    try {
      for (let i = 0; i < 3000; i++) {
        const open = await store.db
          .selectFrom('jobs')
          .select('id')
          .where('kind', '=', 'customs.declare')
          .where('status', 'in', ['ready', 'leased'])
          .execute();
        if (open.length === 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('the customs jobs did not drain');
    } finally {
      await pool.stop();
    }
  }
  /** Accepted, and announced to customs as shipment.create does before it calls a carrier. */
  async function accepted(input: OrderInput): Promise<string> {
    const { id } = await acceptOrder(store, input, { caller: 't' });
    // No carrier in this test: the shipment job is not the subject (the last block runs it).
    await store.db.deleteFrom('jobs').where('kind', '=', 'shipment.create').execute();
    const o = await readOrder(store.keys, (await getOrderRow(store.db, id))!);
    await store.write((trx) => announceCustoms(trx, settings, o, 'order'));
    return id;
  }
  /** What shipment.create does when the carrier issued the waybill: store it, tell customs. */
  async function waybillIssued(id: string): Promise<void> {
    const o = await readOrder(store.keys, (await getOrderRow(store.db, id))!);
    await store.write(async (trx) => {
      await insertShipment(trx, {
        id: `shp_${id.slice(4)}`,
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
      });
      await announceCustoms(trx, settings, o, 'waybill');
    });
  }
  const outbox = () =>
    readdirSync(join(dir, 'outbox'))
      .filter((f) => !f.startsWith('.'))
      .sort();
  const statuses = async (id: string) =>
    Object.fromEntries((await declarationsOfOrder(store.db, id)).map((d) => [d.message_type, d.status]));
  /** Runs one leased shipment.create job as the worker would. */
  async function runShipment(job: Job, d: JobDeps): Promise<void> {
    const prepared = shipmentCreate.runner(d).prepare(job);
    if (prepared instanceof Error) throw prepared;
    await prepared.run();
  }
  /** Runs one leased job (customs.declare unless told) as the worker would (a throw is its retry or dead letter). */
  async function runJob(job: Job, d: JobDeps, kind: RegisteredJobKind = customsDeclare): Promise<void> {
    const prepared = kind.runner(d).prepare(job);
    if (prepared instanceof Error) throw prepared;
    await prepared.run();
  }
  const deadJobs = () =>
    store.db
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'customs.declare')
      .where('status', '=', 'dead')
      .execute();

  it('declares the order when accepted and the waybill and list when the waybill exists, signed with the store’s certificate', async () => {
    const id = await accepted({ ...order(), payment: { ...order().payment!, amount: '308.75' } });
    await drain();
    expect(await statuses(id)).toEqual({ CEB311: 'declared', CEB411: 'declared' });
    await waybillIssued(id);
    await drain();
    expect(await statuses(id)).toEqual({
      CEB311: 'declared',
      CEB411: 'declared',
      CEB511: 'declared',
      CEB621: 'declared',
    });
    expect(outbox().map((f) => f.slice(0, 6))).toEqual(['CEB311', 'CEB411', 'CEB511', 'CEB621']);
    const env = unwrapEnvelope(readFileSync(join(dir, 'outbox', outbox()[3]!), 'utf8'));
    expect(verifyCebSignature(env.message, { method: 'rsa-sha1', pem: certPem })).toEqual({ ok: true });
    // KeyInfo names the store's certificate and carries it.
    const certId = ring.signingKey('customs-declarant').certificateId;
    expect(env.message).toContain(`<ds:KeyName>${certId}</ds:KeyName>`);
    expect(env.message).toContain(certPem.split('\n')[1]!);
    expect(await deadJobs()).toEqual([]);
  }, 180_000);

  it('the order-stage run meeting the waybill-stage run sends the waybill and the list with the waybill — none failed, none dead', async () => {
    // The interleaving of a loaded machine, made exact: the order-stage run reads the order and
    // finds no waybill yet; before it lists the order's declarations to send them, the carrier's
    // waybill is stored and the waybill-stage run inserts CEB511 and CEB621 (its own writes to
    // customs then wait). The order-stage run lists four rows, two of which need the waybill.
    const id = await accepted({ ...order(), payment: { ...order().payment!, amount: '308.75' } });
    const [orderJob] = await queue.lease('order-stage', 1, 600_000, Date.now(), ['customs.declare']);
    expect(orderJob?.payload).toEqual({ orderId: id, stage: 'order' });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated: CustomsConnector = {
      ...connector,
      sendMessage: async (name, content) => {
        await gate;
        await connector.sendMessage!(name, content);
      },
    };
    const waybillDeps = (): JobDeps => ({
      ...deps(),
      partners: () => ({ ...directory(), customs: () => gated }),
    });
    let waybillRun: Promise<void> | undefined;
    let writes = 0;
    const write: TestStore['write'] = async (fn) => {
      const result = await store.write(fn);
      // The order-stage run's second write stored CEB411: it read "no waybill" before it.
      if (++writes === 2) {
        await waybillIssued(id);
        const [waybillJob] = await queue.lease('waybill-stage', 1, 600_000, Date.now(), ['customs.declare']);
        expect(waybillJob?.payload).toEqual({ orderId: id, stage: 'waybill' });
        waybillRun = runJob(waybillJob!, waybillDeps());
        for (let i = 0; (await declarationsOfOrder(store.db, id)).length < 4; i++) {
          if (i > 3000) throw new Error('the waybill-stage run inserted no rows');
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      return result;
    };
    await runJob(orderJob!, { ...deps(), store: { ...store, write } });
    open();
    await waybillRun;

    expect(await statuses(id)).toEqual({
      CEB311: 'declared',
      CEB411: 'declared',
      CEB511: 'declared',
      CEB621: 'declared',
    });
    expect(outbox().map((f) => f.slice(0, 6))).toEqual(['CEB311', 'CEB411', 'CEB511', 'CEB621']);
    const history = await store.db.selectFrom('customs_history').select('status').execute();
    expect(history.filter((h) => h.status === 'failed')).toEqual([]);
    expect(history.filter((h) => h.status === 'declared')).toHaveLength(4);
    // The CEB511 written carries the waybill number.
    const ceb511 = unwrapEnvelope(readFileSync(join(dir, 'outbox', outbox()[2]!), 'utf8'));
    expect(ceb511.message).toContain('<ceb:logisticsNo>SF1234567890</ceb:logisticsNo>');
  }, 240_000);

  it('a retried shipment.create queues no second order-stage run, even when the first finished between its check and its write', async () => {
    // The carrier fails the first call (retryable) and issues the waybill on the second.
    let calls = 0;
    const carrier = {
      primary: { manifest: { tracking: 'push' } },
      call: () =>
        ++calls === 1
          ? Promise.reject(
              new PartnerCallError({
                partnerId: 'carrier-test',
                code: 'partner_server_error',
                message: 'carrier answered 503',
                retryable: true,
                status: 503,
              }),
            )
          : Promise.resolve({ waybillNo: 'SF2000000001' }),
      // Only the two members shipment.create reads; the policy runtime is not the subject here.
    } as unknown as ReturnType<PartnerDirectory['carrier']>;
    const shipping = (): PartnerDirectory => ({
      ...directory(),
      carrier: (cid) => (cid === 'carrier-test' ? carrier : undefined),
      routing: () => ({ rules: [], default: 'carrier-test' }),
    });
    const { id } = await acceptOrder(
      store,
      { ...order(), payment: { ...order().payment!, amount: '308.75' } },
      { caller: 't' },
    );
    const declareJobs = async () =>
      (await store.db.selectFrom('jobs').select('payload').where('kind', '=', 'customs.declare').execute())
        .map((j) => (JSON.parse(j.payload) as { stage: string }).stage)
        .sort();
    const [first] = await queue.lease('ship', 1, 600_000, Date.now(), ['shipment.create']);
    await expect(runShipment(first!, { ...deps(), partners: shipping })).rejects.toThrow(PartnerCallError);
    expect(await declareJobs()).toEqual(['order']);
    await queue.retryLater(first!, Date.now(), 'carrier answered 503');
    const [again] = await queue.lease('ship', 1, 600_000, Date.now(), ['shipment.create']);
    expect(again?.attempts).toBe(2);

    // The retry's first write is its announcement to customs: just before it, the order-stage
    // run (queued by the first attempt) runs to its end — its messages sent, its job gone.
    let hooked = false;
    const write: TestStore['write'] = async (fn) => {
      if (!hooked) {
        hooked = true;
        const [orderRun] = await queue.lease('declare', 1, 600_000, Date.now(), ['customs.declare']);
        await runJob(orderRun!, deps());
        expect(await declareJobs()).toEqual([]);
      }
      return store.write(fn);
    };
    await runShipment(again!, { ...deps(), store: { ...store, write }, partners: shipping });
    // Only the waybill stage is queued: no second order-stage run.
    expect(await declareJobs()).toEqual(['waybill']);
    await drain();
    expect(await statuses(id)).toEqual({
      CEB311: 'declared',
      CEB411: 'declared',
      CEB511: 'declared',
      CEB621: 'declared',
    });
    expect(outbox().map((f) => f.slice(0, 6))).toEqual(['CEB311', 'CEB411', 'CEB511', 'CEB621']);
  }, 240_000);

  it('an order fulfilled by a warehouse: the waybill the warehouse reports brings CEB511 and CEB621 as a carrier’s does', async () => {
    // Routing sends orders into CN to the warehouse, which stocks every SKU of the order; it
    // takes the outbound order, and reports it shipped with its last-mile waybill on the pull.
    const shipped = { outboundNo: 'OB-0001', partnerCode: 'SHIPPED', waybillNo: 'YT9876543210' };
    const warehouse = {
      manifest: { partnerId: 'wh-test' },
      createOutbound: () => Promise.resolve({ outboundNo: 'OB-0001', state: 'created', partnerCode: 'NEW' }),
      outboundStatus: () =>
        Promise.resolve({ ...shipped, state: 'shipped', lastMileCarrier: 'carrier-last' }),
      // Only the members warehouse.outbound reads.
    } as unknown as WarehouseConnector;
    const fulfilling = (): JobDeps => ({
      ...deps(),
      partners: () => ({
        ...directory(),
        routing: () => ({ rules: [{ countries: ['CN'], warehouse: 'wh-test' }], default: 'none' }),
        warehouse: (wid) => (wid === 'wh-test' ? warehouse : undefined),
      }),
    });
    const input = { ...order(), payment: { ...order().payment!, amount: '308.75' } };
    await store.write(async (trx) => {
      for (const { sku } of input.items) {
        const level = await lockLevel(trx, 'wh-test', sku, Date.now());
        await writeLevel(trx, { ...level, on_hand: 50 });
      }
    });
    const { id } = await acceptOrder(store, input, { caller: 't' });
    const [ship] = await queue.lease('ship', 1, 600_000, Date.now(), ['shipment.create']);
    await runShipment(ship!, fulfilling());
    expect(await warehouseOrder(store.db, id)).toMatchObject({ warehouse_id: 'wh-test', status: 'queued' });
    // The warehouse takes the outbound order; the hub follows it (an hour on, for the test).
    const [create] = await queue.lease('wh', 1, 600_000, Date.now(), ['warehouse.outbound']);
    await runJob(create!, fulfilling(), warehouseOutbound);
    expect(await warehouseOrder(store.db, id)).toMatchObject({ status: 'sent', outbound_no: 'OB-0001' });
    await drain();
    expect(await statuses(id)).toEqual({ CEB311: 'declared', CEB411: 'declared' });

    // The pull finds the parcel shipped with its last-mile waybill.
    const [follow] = await queue.lease('wh', 1, 600_000, Date.now() + 3_600_000, ['warehouse.outbound']);
    await runJob(follow!, fulfilling(), warehouseOutbound);
    expect(await shipmentsForOrder(store.db, id)).toEqual([
      expect.objectContaining({ waybillNo: 'YT9876543210', carrier: 'carrier-last' }),
    ]);
    await drain();
    expect(await statuses(id)).toEqual({
      CEB311: 'declared',
      CEB411: 'declared',
      CEB511: 'declared',
      CEB621: 'declared',
    });
    const files = outbox();
    expect(files.map((f) => f.slice(0, 6))).toEqual(['CEB311', 'CEB411', 'CEB511', 'CEB621']);
    // The waybill and the list carry the warehouse's last-mile waybill, the list is signed.
    for (const file of files.slice(2)) {
      const env = unwrapEnvelope(readFileSync(join(dir, 'outbox', file), 'utf8'));
      expect(env.message).toContain('<ceb:logisticsNo>YT9876543210</ceb:logisticsNo>');
      expect(verifyCebSignature(env.message, { method: 'rsa-sha1', pem: certPem })).toEqual({ ok: true });
    }
    expect(await deadJobs()).toEqual([]);
  }, 240_000);

  it('holds the list while the payment disagrees: discrepancy kept, list not sent, job not dead', async () => {
    const id = await accepted(order()); // the fixture's payment is 318.75; the order adds up to 308.75
    await waybillIssued(id);
    await drain();
    expect(await statuses(id)).toMatchObject({ CEB511: 'declared', CEB621: 'held' });
    expect(outbox().some((f) => f.startsWith('CEB621'))).toBe(false);
    expect(await deadJobs()).toEqual([]);
  }, 180_000);

  it('a missing field dead-letters the job naming the field and sends nothing', async () => {
    const { buyer: _none, ...noBuyer } = order();
    const id = await accepted({ ...noBuyer, payment: undefined });
    await drain();
    const [dead] = await deadJobs();
    expect(dead?.last_error).toContain('customs_field_missing');
    expect(dead?.last_error).toContain('buyer');
    expect(await statuses(id)).toEqual({ CEB311: 'failed' });
    expect(outbox()).toEqual([]);
  }, 180_000);

  it('an XSD failure dead-letters the job naming the element and the rule; nothing is sent', async () => {
    settings = {
      ...settings,
      defaults: { ...SANDBOX_PROFILE, platform: { code: 'P'.repeat(30), name: '超长代码的平台' } },
    };
    const id = await accepted({ ...order(), payment: undefined });
    await drain();
    const [dead] = await deadJobs();
    expect(dead?.last_error).toContain('customs_message_invalid');
    expect(dead?.last_error).toContain('ebpCode');
    expect(dead?.last_error).toMatch(/maxLength|length/);
    expect(await statuses(id)).toEqual({ CEB311: 'failed' });
    expect(outbox()).toEqual([]);

    // The configuration fixed, the dead job replayed: the declaration is built again and sent.
    settings = { ...settings, defaults: SANDBOX_PROFILE };
    await replayDead(store, dead!.id, 'usr_operator');
    await drain();
    expect(await statuses(id)).toEqual({ CEB311: 'declared' });
    expect(outbox()).toHaveLength(1);
  }, 180_000);
});

describe.each(DIALECTS)(
  'customs jobs are queued only for a source with a customs profile (%s)',
  (dialect) => {
    let store: TestStore;
    let queue: JobQueue;
    let settings: CustomsSettings | undefined;
    let waybills = 0;

    beforeEach(async () => {
      store = await freshStore(dialect);
      queue = new JobQueue(store);
      waybills = 0;
    });
    afterEach(async () => {
      await store.destroy();
    });

    // The real shipment.create against a carrier that issues a waybill at once: the subject is
    // what it queues for customs, before the carrier call and with the waybill.
    const carrier = {
      primary: { manifest: { tracking: 'push' } },
      call: () => Promise.resolve({ waybillNo: `SF00000000${++waybills}` }),
      // Only the two members shipment.create reads; the policy runtime is not the subject here.
    } as unknown as ReturnType<PartnerDirectory['carrier']>;
    const deps = (): JobDeps => ({
      store,
      queue,
      partners: () => ({
        carrier: (id) => (id === 'carrier-test' ? carrier : undefined),
        carriers: () => [],
        routing: () => ({ rules: [], default: 'carrier-test' }),
        pollIntervalMs: () => 60_000,
        platform: () => undefined,
        customs: () => undefined,
        customsSettings: () => settings,
      }),
    });

    /** Accepts the order and runs its shipment.create once; the customs jobs it left queued. */
    async function shipped(input: OrderInput): Promise<string[]> {
      const { id } = await acceptOrder(store, input, { caller: 't' });
      const [job] = await queue.lease('test', 1, 60_000, Date.now(), ['shipment.create']);
      const prepared = shipmentCreate.runner(deps()).prepare(job!);
      if (prepared instanceof Error) throw prepared;
      await prepared.run();
      expect((await shipmentsForOrder(store.db, id)).length).toBe(1);
      const jobs = await store.db.selectFrom('jobs').select(['kind', 'payload']).execute();
      return jobs
        .filter((j) => j.kind.startsWith('customs.'))
        .map((j) => `${j.kind}:${(JSON.parse(j.payload) as { stage: string }).stage}`)
        .sort();
    }
    const intoCn = (externalId: string): OrderInput => ({ ...order(), externalId });

    it('a hub with no customs configuration ships an order into CN and queues no customs job', async () => {
      settings = undefined;
      expect(await shipped(intoCn('SO-CN-NOCFG'))).toEqual([]);
    });

    it('a customs partner without a profile for the order’s source queues nothing for that source', async () => {
      settings = { partner: 'china-customs', sources: { 'other-shop': SANDBOX_PROFILE } };
      expect(await shipped(intoCn('SO-CN-OTHER'))).toEqual([]);
    });

    it('a source with a profile (its own, or the defaults) is announced before the carrier call and with the waybill', async () => {
      settings = { partner: 'china-customs', sources: { 'sandbox-shop': SANDBOX_PROFILE } };
      expect(await shipped(intoCn('SO-CN-OWN'))).toEqual([
        'customs.declare:order',
        'customs.declare:waybill',
      ]);
      await store.db.deleteFrom('jobs').execute();
      settings = { partner: 'china-customs', defaults: SANDBOX_PROFILE };
      expect(await shipped(intoCn('SO-CN-DEFAULTS'))).toEqual([
        'customs.declare:order',
        'customs.declare:waybill',
      ]);
    });

    it('an order that crosses no Chinese border queues no customs job even with a profile', async () => {
      settings = { partner: 'china-customs', defaults: SANDBOX_PROFILE };
      const abroad = intoCn('SO-US-1');
      expect(
        await shipped({
          ...abroad,
          recipient: { ...abroad.recipient, country: 'US', state: 'NY', postalCode: '10001' },
        }),
      ).toEqual([]);
    });
  },
);
