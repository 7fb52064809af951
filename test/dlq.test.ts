import { randomBytes } from 'node:crypto';
import { runCli } from './helpers/cli.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { registerDlqCommands } from '../src/cli/dlq.js';
import { errorForStatus } from '../src/connectors/errors.js';
import { buildGateway } from '../src/gateway/app.js';
import { acceptOrder } from '../src/pipeline/accept-order.js';
import { errorText } from '../src/pipeline/worker.js';
import { secretBoxFromKey } from '../src/security/secret-box.js';
import { createApiKey, type CreatedKey } from '../src/store/api-keys.js';
import { ALL_SCOPES, injectSigned } from './helpers/gateway.js';
import { listAudit } from '../src/store/audit.js';
import type { Store } from '../src/store/db.js';
import { discardDead, getDead, listDead, replayDead } from '../src/pipeline/dead-letters.js';
import { dlqAudit } from '../src/store/migrations/002_dlq_audit.js';
import { getOrderRow, historyForOrder, readOrder, setOrderStatus } from '../src/store/orders.js';
import { enqueue, JobQueue } from '../src/store/queue.js';
import { shipmentCreate } from '../src/pipeline/jobs/index.js';
import type { OrderInput } from '../src/domain/index.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { orderFixture } from './helpers/fixtures.js';
import { expectCode } from './helpers/errors.js';

/** Until db.ts runs 002_dlq_audit itself, the suite adds the table. */
async function withAuditTable(store: TestStore): Promise<TestStore> {
  const tables = await store.db.introspection.getTables();
  if (!tables.some((t) => t.name === 'audit_log')) await dlqAudit(store.dialect).up(store.db);
  return store;
}

const REJECTION = errorForStatus('carrier-alpha', 422, 'ship_to.postal_code: invalid_postal_code', {
  partnerCode: 'invalid_postal_code',
});

/** An accepted order whose shipment job was retried once, then refused for good (as the worker does). */
async function deadShipment(store: Store, externalId: string, overrides: Partial<OrderInput> = {}) {
  const { id: orderId } = await acceptOrder(store, orderFixture({ externalId, ...overrides }), {
    caller: 'test',
  });
  const queue = new JobQueue(store);
  const [first] = await queue.lease('w1', 1, 30_000);
  if (!first) throw new Error('no job leased');
  await queue.retryLater(first, Date.now() - 1, 'carrier-alpha timed out');
  const [job] = await queue.lease('w1', 1, 30_000);
  if (!job) throw new Error('no job leased');
  const error = errorText(REJECTION);
  await queue.deadLetter(job, error);
  // What the shipment handler's onDead does once the worker dead-letters the job.
  await setOrderStatus(store.db, orderId, 'failed', `shipment creation stopped: ${error}`, Date.now());
  return { orderId, jobId: job.id };
}

async function deadPoll(store: Store): Promise<string> {
  await enqueue(store.db, {
    kind: 'tracking.poll',
    partnerId: 'carrier-beta',
    payload: { carrier: 'carrier-beta' },
  });
  const queue = new JobQueue(store);
  const [job] = await queue.lease('w1', 1, 30_000);
  if (!job) throw new Error('no job leased');
  await queue.deadLetter(job, 'no handler for job kind tracking.poll');
  return job.id;
}

const jobRow = (store: Store, id: string) =>
  store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();

describe.each(DIALECTS)('dead-letter queue (%s)', (dialect) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await withAuditTable(await freshStore(dialect));
  });
  afterEach(async () => {
    await store.destroy();
  });

  it('lists dead jobs newest first, by kind, by partner, page by page', async () => {
    const a = await deadShipment(store, 'SO-1');
    const b = await deadShipment(store, 'SO-2');
    const poll = await deadPoll(store);
    await acceptOrder(store, orderFixture({ externalId: 'SO-live' }), { caller: 'test' }); // ready, not dead

    const all = await listDead(store.db, { limit: 10 });
    expect(all.map((j) => j.id)).toEqual([poll, b.jobId, a.jobId]);
    expect(all[1]).toMatchObject({
      kind: 'shipment.create',
      partnerId: 'carrier-alpha',
      orderId: b.orderId,
      attempts: 2,
      error: { code: 'partner_rejected', partnerCode: 'invalid_postal_code', status: 422 },
    });
    expect(all[0]).toMatchObject({ partnerId: 'carrier-beta', orderId: null, error: { code: 'error' } });

    expect((await listDead(store.db, { limit: 10, kind: 'tracking.poll' })).map((j) => j.id)).toEqual([poll]);
    expect((await listDead(store.db, { limit: 10, partnerId: 'carrier-alpha' })).map((j) => j.id)).toEqual([
      b.jobId,
      a.jobId,
    ]);
    expect((await listDead(store.db, { limit: 10, partnerId: 'carrier-beta' })).map((j) => j.id)).toEqual([
      poll,
    ]);
    expect(await listDead(store.db, { limit: 10, partnerId: 'carrier-%' })).toEqual([]);
    const page2 = await listDead(store.db, { limit: 1, beforeId: b.jobId });
    expect(page2.map((j) => j.id)).toEqual([a.jobId]);
  });

  it('shows a dead job with its payload, every attempt, the parsed error and its order', async () => {
    const { orderId, jobId } = await deadShipment(store, 'SO-1');
    const d = await getDead(store.db, store.keys, jobId);
    expect(d.payload).toEqual({ orderId });
    expect(d.history.map((h) => [h.attempt, h.outcome])).toEqual([
      [1, 'retry'],
      [2, 'dead'],
    ]);
    expect(d.history[0]?.error).toEqual({ code: 'error', message: 'carrier-alpha timed out' });
    expect(d.history[1]?.error).toMatchObject({ partnerId: 'carrier-alpha', code: 'partner_rejected' });
    expect(d.error?.partnerMessage).toBe('ship_to.postal_code: invalid_postal_code');
    expect(d.order).toMatchObject({ id: orderId, status: 'failed', destinationCountry: 'US' });

    const missing = await expectCode(getDead(store.db, store.keys, 'job_nope'), 'dlq_job_not_found');
    expect(missing.kind).toBe('not_found');
    const { id: liveOrder } = await acceptOrder(store, orderFixture({ externalId: 'SO-live' }), {
      caller: 't',
    });
    const live = await store.db
      .selectFrom('jobs')
      .select('id')
      .where('status', '=', 'ready')
      .executeTakeFirst();
    expect(liveOrder).toBeTruthy();
    const notDead = await expectCode(getDead(store.db, store.keys, live!.id), 'dlq_job_not_dead');
    expect(notDead.kind).toBe('conflict');
  });

  it('replays: ready now with a fresh budget, history kept, order back to accepted, audited', async () => {
    const { orderId, jobId } = await deadShipment(store, 'SO-1');
    const before = Date.now();
    const r = await replayDead(store, jobId, 'api_key:k1');
    expect(r).toEqual({
      id: jobId,
      kind: 'shipment.create',
      status: 'ready',
      orderId,
      orderStatus: 'accepted',
      edited: [],
    });
    const row = await jobRow(store, jobId);
    expect(row).toMatchObject({ status: 'ready', attempts: 0, last_error: null, lease_owner: null });
    expect(row!.run_at).toBeGreaterThanOrEqual(before);
    const history = JSON.parse(row!.history) as Array<{ outcome: string; by?: string }>;
    expect(history.map((h) => h.outcome)).toEqual(['retry', 'dead', 'replayed']);
    expect(history[2]?.by).toBe('api_key:k1');

    const order = await historyForOrder(store.db, orderId);
    expect(order.map((h) => h.status)).toEqual(['accepted', 'failed', 'accepted']);
    expect(order[2]?.note).toContain('replayed from the dead-letter queue');

    // The worker can take it again.
    const leased = await new JobQueue(store).lease('w2', 5, 30_000);
    expect(leased.map((j) => j.id)).toEqual([jobId]);

    const audit = await listAudit(store.db, { target: jobId, limit: 10 });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'api_key:k1',
      action: 'dlq.replay',
      outcome: 'ok',
      detail: { kind: 'shipment.create', orderId, attemptsBefore: 2, lastError: 'partner_rejected' },
    });

    // Not dead any more: refused, and the refusal is audited too.
    await expectCode(replayDead(store, jobId, 'api_key:k1'), 'dlq_job_not_dead');
    await expectCode(replayDead(store, 'job_nope', 'api_key:k1'), 'dlq_job_not_found');
    const refused = await listAudit(store.db, { target: jobId, limit: 10 });
    expect(refused[0]).toMatchObject({ outcome: 'rejected', detail: { error: 'dlq_job_not_dead' } });
  });

  it('edits the order and replays in one transaction; the audit names fields, never values', async () => {
    const { orderId, jobId } = await deadShipment(store, 'SO-1');
    const items = [
      { ...orderFixture().items[0]!, quantity: 3 },
      {
        sku: 'TEA-02',
        description: 'Green tea',
        quantity: 1,
        unitPrice: '4.25',
        hsCode: '090210',
        originCountry: 'CN',
        weightGrams: 100,
      },
    ];
    const r = await replayDead(store, jobId, 'cli:ops', {
      recipient: { postalCode: '94107', phone: null, city: 'Oakland' },
      items,
    });
    expect(r.edited).toEqual([
      '/recipient/city',
      '/recipient/phone',
      '/recipient/postalCode',
      '/items/0/quantity',
      '/items/1',
    ]);
    const order = await readOrder(store.keys, (await getOrderRow(store.db, orderId))!);
    expect(order.status).toBe('accepted');
    expect(order.recipient).toMatchObject({ postalCode: '94107', city: 'Oakland', name: 'Jane Doe' });
    expect(order.recipient.phone).toBeUndefined();
    expect(order.items).toEqual(items);
    expect(order.totalValue).toBe('41.75');
    expect(order.destinationCountry).toBe('US');

    const [audit] = await listAudit(store.db, { target: jobId, limit: 1 });
    expect(audit).toMatchObject({ action: 'dlq.edit_replay', outcome: 'ok', actor: 'cli:ops' });
    expect(audit!.detail.changed).toEqual(r.edited);
    const stored = JSON.stringify(audit);
    for (const value of ['94107', 'Oakland', 'Jane', 'TEA-02', '+1415']) expect(stored).not.toContain(value);
  });

  it('moves the destination country with the recipient', async () => {
    const { orderId, jobId } = await deadShipment(store, 'SO-1');
    await replayDead(store, jobId, 'cli:ops', {
      recipient: { country: 'DE', postalCode: '10115', city: 'Berlin', state: null },
    });
    const row = await getOrderRow(store.db, orderId);
    expect(row?.destination_country).toBe('DE');
  });

  it('refuses an invalid edit with every field named, and changes nothing', async () => {
    const { orderId, jobId } = await deadShipment(store, 'SO-1');
    const orderBefore = await getOrderRow(store.db, orderId);
    const jobBefore = await jobRow(store, jobId);
    const cases: Array<[unknown, string[]]> = [
      [{ recipient: { phone: 'call me', country: 'XX' } }, ['/recipient/phone', '/recipient/country']],
      [{ recipient: { line1: null } }, ['/recipient/line1']],
      [{ recipient: { nickname: 'J' } }, ['/recipient/nickname']],
      [{ items: [] }, ['/items']],
      [{ items: [{ ...orderFixture().items[0]!, hsCode: '12AB' }] }, ['/items/0/hsCode']],
      [{ items: [orderFixture().items[0]!, orderFixture().items[0]!] }, ['/items/1/sku']],
      [{ notes: 'x' }, ['/notes']],
      [{ recipient: 'Elm St' }, ['/recipient']],
      [{}, ['/']],
    ];
    for (const [edit, fields] of cases) {
      const err = await expectCode(replayDead(store, jobId, 'cli:ops', edit as never), 'invalid_edit');
      expect(err.kind).toBe('invalid_input');
      const got = (err.details as Array<{ field: string }>).map((d) => d.field);
      expect(got, JSON.stringify(edit)).toEqual(expect.arrayContaining(fields));
    }
    expect(await getOrderRow(store.db, orderId)).toEqual(orderBefore);
    expect(await jobRow(store, jobId)).toEqual(jobBefore);
    const audit = await listAudit(store.db, { target: jobId, limit: 100 });
    expect(audit).toHaveLength(cases.length);
    expect(audit.every((a) => a.outcome === 'rejected' && a.action === 'dlq.edit_replay')).toBe(true);
    expect(audit.at(-1)?.detail).toMatchObject({
      error: 'invalid_edit',
      fields: ['/recipient/phone', '/recipient/country'],
    });
  });

  it('refuses an edit of a job that is not a shipment', async () => {
    const poll = await deadPoll(store);
    await expectCode(replayDead(store, poll, 'cli:ops', { items: [] }), 'edit_not_supported');
    const r = await replayDead(store, poll, 'cli:ops');
    expect(r).toMatchObject({ kind: 'tracking.poll', orderId: null, orderStatus: null });
  });

  it('discards: the job goes, the order stays failed with the reason, the audit scrubs free text', async () => {
    const { orderId, jobId } = await deadShipment(store, 'SO-1');
    await expectCode(discardDead(store, jobId, 'cli:ops', '  '), 'invalid_reason');
    const reason = 'customer cancelled by mail from jane@example.com, phone +1 415 555 0100';
    const r = await discardDead(store, jobId, 'cli:ops', reason);
    expect(r).toEqual({
      id: jobId,
      kind: 'shipment.create',
      status: 'discarded',
      orderId,
      orderStatus: 'failed',
    });
    expect(await jobRow(store, jobId)).toBeUndefined();
    const history = await historyForOrder(store.db, orderId);
    expect(history.at(-1)).toMatchObject({ status: 'failed', note: `discarded: ${reason}` });
    expect((await getOrderRow(store.db, orderId))?.status).toBe('failed');

    const audit = await listAudit(store.db, { target: jobId, limit: 10 });
    expect(audit.map((a) => a.outcome)).toEqual(['ok', 'rejected']);
    expect(audit[0]).toMatchObject({ action: 'dlq.discard', detail: { kind: 'shipment.create', orderId } });
    const text = String(audit[0]!.detail.reason);
    expect(text).toContain('customer cancelled');
    expect(text).not.toContain('jane@example.com');
    expect(text).not.toContain('555');
    await expectCode(discardDead(store, jobId, 'cli:ops', 'again'), 'dlq_job_not_found');
  });
});

describe('dead-letter queue API', () => {
  let store: TestStore;
  let app: FastifyInstance;
  let key: CreatedKey;
  const notifyWork = vi.fn();

  beforeEach(async () => {
    store = await withAuditTable(await freshStore('sqlite'));
    const box = secretBoxFromKey(randomBytes(32));
    key = await createApiKey(store.db, box, { ...ALL_SCOPES, name: 'ops' });
    const deps = {
      store,
      box,
      carriers: new Map(),
      platforms: new Map(),
      notifyWork,
      isReady: async () => true,
      logger: false as const,
    };
    app = await buildGateway(deps);
    notifyWork.mockClear();
  });
  afterEach(async () => {
    await app.close();
    await store.destroy();
  });

  const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    injectSigned(app, key, method, path, body);

  it('lists with a cursor, shows one, and answers 404 for an unknown job', async () => {
    const a = await deadShipment(store, 'SO-1');
    const b = await deadShipment(store, 'SO-2');
    const first = await call('GET', '/v1/dlq?limit=1&kind=shipment.create&partner=carrier-alpha');
    expect(first.statusCode).toBe(200);
    expect(first.json().data.map((j: { id: string }) => j.id)).toEqual([b.jobId]);
    const next = await call('GET', `/v1/dlq?limit=1&cursor=${first.json().nextCursor}`);
    expect(next.json()).toMatchObject({ data: [{ id: a.jobId, orderId: a.orderId }], nextCursor: null });
    expect((await call('GET', '/v1/dlq?cursor=bm9wZQ')).statusCode).toBe(400);

    const show = await call('GET', `/v1/dlq/${a.jobId}`);
    expect(show.statusCode).toBe(200);
    expect(show.json()).toMatchObject({
      id: a.jobId,
      payload: { orderId: a.orderId },
      error: { code: 'partner_rejected', partnerMessage: 'ship_to.postal_code: invalid_postal_code' },
      order: { id: a.orderId, status: 'failed', recipient: { postalCode: '94105' } },
      history: [{ outcome: 'retry' }, { outcome: 'dead' }],
    });
    const missing = await call('GET', '/v1/dlq/job_nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('dlq_job_not_found');
    expect((await app.inject({ url: '/v1/dlq' })).statusCode).toBe(401);
  });

  it('replays (empty body or an edit), wakes the workers, 409 once not dead, audits the key', async () => {
    const a = await deadShipment(store, 'SO-1');
    const b = await deadShipment(store, 'SO-2');
    const plain = await call('POST', `/v1/dlq/${a.jobId}/replay`);
    expect(plain.statusCode).toBe(200);
    expect(plain.json()).toMatchObject({ id: a.jobId, status: 'ready', orderStatus: 'accepted', edited: [] });
    expect(notifyWork).toHaveBeenCalledTimes(1);
    const again = await call('POST', `/v1/dlq/${a.jobId}/replay`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('dlq_job_not_dead');

    const bad = await call('POST', `/v1/dlq/${b.jobId}/replay`, { edit: { recipient: { phone: 'x' } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: 'invalid_edit',
      details: [{ field: '/recipient/phone' }],
    });
    const unknownField = await call('POST', `/v1/dlq/${b.jobId}/replay`, { edit: { notes: 'x' } });
    expect(unknownField.statusCode).toBe(400);

    const edited = await call('POST', `/v1/dlq/${b.jobId}/replay`, {
      edit: { recipient: { postalCode: '94107' } },
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json().edited).toEqual(['/recipient/postalCode']);

    const [audit] = await listAudit(store.db, { target: b.jobId, limit: 1 });
    expect(audit).toMatchObject({ actor: key.keyId, action: 'dlq.edit_replay', outcome: 'ok' });
  });

  it('refuses an edit the job kind does not allow with a 400 naming the field, from the job registry', async () => {
    const poll = await deadPoll(store);
    const notEditable = await call('POST', `/v1/dlq/${poll}/replay`, { edit: { items: [] } });
    expect(notEditable.statusCode).toBe(400);
    expect(notEditable.json().error).toMatchObject({
      code: 'edit_not_supported',
      details: [{ field: '/items', message: 'tracking.poll jobs cannot be edited' }],
    });

    const a = await deadShipment(store, 'SO-1');
    const before = await jobRow(store, a.jobId);
    const allowed = Object.keys(shipmentCreate.editFields ?? {});
    const extra = await call('POST', `/v1/dlq/${a.jobId}/replay`, {
      edit: { recipient: { postalCode: '94107' }, notes: 'x', externalId: 'SO-9' },
    });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error).toMatchObject({
      code: 'invalid_edit',
      details: [
        { field: '/notes', message: `cannot be edited (only ${allowed.join(' and ')})` },
        { field: '/externalId', message: `cannot be edited (only ${allowed.join(' and ')})` },
      ],
    });
    expect(await jobRow(store, a.jobId)).toEqual(before);
    // The API documents each kind's edit fields as the registry declares them.
    const spec = (await app.inject({ url: '/openapi.json' })).json();
    const edit = JSON.stringify(spec.paths['/v1/dlq/{id}/replay'].post);
    for (const field of allowed) expect(edit).toContain('`' + field + '`');
    expect(edit).toContain('tracking.poll: none');
  });

  it('discards with a reason, and refuses a discard without one', async () => {
    const a = await deadShipment(store, 'SO-1');
    const none = await call('POST', `/v1/dlq/${a.jobId}/discard`, {});
    expect(none.statusCode).toBe(400);
    expect(none.json().error.details[0].field).toBe('/reason');
    const ok = await call('POST', `/v1/dlq/${a.jobId}/discard`, { reason: 'duplicate order' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({
      id: a.jobId,
      kind: 'shipment.create',
      status: 'discarded',
      orderId: a.orderId,
      orderStatus: 'failed',
    });
    expect((await call('GET', `/v1/dlq/${a.jobId}`)).statusCode).toBe(404);
  });

  it('documents the routes in OpenAPI', async () => {
    const spec = (await app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/dlq', '/v1/dlq/{id}', '/v1/dlq/{id}/replay', '/v1/dlq/{id}/discard']),
    );
  });
});

describe('waygate dlq (CLI)', () => {
  let store: TestStore;
  beforeEach(async () => {
    store = await withAuditTable(await freshStore('sqlite'));
  });
  afterEach(async () => {
    process.exitCode = undefined;
    await store.destroy();
  });

  /** Runs `waygate dlq …` against the test store and returns what it printed. */
  function cli(...args: string[]): Promise<{ out: string; err: string }> {
    return runCli(registerDlqCommands, ['dlq', ...args, '--db', store.url]);
  }

  it('lists, shows, edits-and-replays and discards, as tables or JSON', async () => {
    const a = await deadShipment(store, 'SO-1');
    const b = await deadShipment(store, 'SO-2');
    const table = (await cli('list')).out;
    expect(table).toMatch(/^ID\s+KIND\s+PARTNER/);
    expect(table).toContain(a.jobId);
    expect(table).toContain('partner_rejected: ship_to.postal_code');
    const json = JSON.parse((await cli('list', '--json', '--limit', '1')).out) as Array<{ id: string }>;
    expect(json.map((j) => j.id)).toEqual([b.jobId]);

    const shown = (await cli('show', a.jobId)).out;
    expect(shown).toContain(`order:        ${a.orderId} (failed, to US)`);
    expect(shown).toContain('"postalCode": "94105"');

    const bad = await cli('replay', a.jobId, '--edit', '{"recipient":{"phone":"x"}}');
    expect(bad.err).toContain('invalid_edit');
    expect(bad.err).toContain('/recipient/phone');
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;

    const replayed = (await cli('replay', a.jobId, '--edit', '{"recipient":{"postalCode":"94107"}}')).out;
    expect(replayed).toContain(`replayed ${a.jobId} after editing /recipient/postalCode`);
    const [audit] = await listAudit(store.db, { target: a.jobId, limit: 1 });
    expect(audit?.actor).toMatch(/^cli:/);

    const discarded = JSON.parse((await cli('discard', b.jobId, '--reason', 'duplicate', '--json')).out);
    expect(discarded).toMatchObject({ id: b.jobId, status: 'discarded', orderStatus: 'failed' });
    expect((await cli('list')).out).toContain('the dead-letter queue is empty');
  });
});
