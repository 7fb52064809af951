/**
 * Issue 16, defect 7: a partner error echoing the consignee's name, phone and address was kept
 * in plain text (job error, attempt history, order history, logs), and the failed order could
 * never be erased because it was never final. Now the partner's text is sealed and never logged;
 * an operator cancels the failed order (audited), after which the consignee can be erased.
 */
import { readFileSync, existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorForStatus } from '../../src/connectors/errors.js';
import type { CarrierConnector } from '../../src/connectors/types.js';
import { createLogger } from '../../src/hub/logger.js';
import { acceptOrder } from '../../src/pipeline/accept-order.js';
import { eraseSubject } from '../../src/pipeline/data-subject.js';
import type { JobDeps } from '../../src/pipeline/jobs/index.js';
import type { PartnerDirectory } from '../../src/pipeline/partners.js';
import { WorkerPool } from '../../src/pipeline/worker.js';
import { JobQueue } from '../../src/store/queue.js';
import { gatewayFor, type GatewayFixture } from '../helpers/gateway.js';
import { orderFixture } from '../helpers/fixtures.js';
import { freshStore, type TestStore } from '../helpers/stores.js';
import { expectCode } from '../helpers/errors.js';

const recipient = {
  name: 'Zelda Quirinus',
  phone: '+4930555014270',
  email: 'zelda.quirinus@example.org',
  line1: '12 Hiddenstreet',
  city: 'Berlin',
  postalCode: '10115',
  country: 'DE' as const,
};
/** What the carrier answers: the consignee's data echoed back, as carriers do. */
const ECHO = `recipient ${recipient.name} (${recipient.phone}, ${recipient.email}) at ${recipient.line1}: address not deliverable`;
const SECRETS = ['Zelda', 'Quirinus', '5550142', 'zelda.quirinus', 'Hiddenstreet'];

function refusingDirectory(): PartnerDirectory {
  const connector = {
    manifest: { id: 'carrier-alpha', tracking: 'push' },
    createShipment: () =>
      Promise.reject(errorForStatus('carrier-alpha', 422, ECHO, { partnerCode: 'ADDRESS_INVALID' })),
  } as unknown as CarrierConnector;
  const runtime = {
    primary: connector,
    call: <T>(fn: (c: CarrierConnector) => Promise<T>) => fn(connector),
  };
  return {
    carrier: () => runtime as unknown as ReturnType<PartnerDirectory['carrier']>,
    carriers: () => [],
    routing: () => ({ rules: [], default: 'carrier-alpha' }),
    pollIntervalMs: () => 60_000,
    platform: () => undefined,
  };
}

async function runOutbound(store: TestStore, log: string[]): Promise<void> {
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      log.push(chunk.toString('utf8'));
      done();
    },
  });
  const deps: JobDeps = { store, queue: new JobQueue(store), partners: refusingDirectory };
  const pool = new WorkerPool('outbound', deps, createLogger('debug', sink), { idlePollMs: 10 });
  pool.start();
  try {
    for (let i = 0; i < 500; i++) {
      const open = await store.db
        .selectFrom('jobs')
        .select('id')
        .where('status', 'in', ['ready', 'leased'])
        .execute();
      if (open.length === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the outbound lane did not finish');
  } finally {
    await pool.stop();
  }
}

/** Every byte of the SQLite database, write-ahead log included. */
function rawDatabase(store: TestStore): string {
  const file = store.url.replace(/^sqlite:/, '').replace(/\?.*$/, '');
  return [file, `${file}-wal`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('');
}

describe('defect 7: partner error texts are sealed, failed orders can be cancelled and erased', () => {
  let store: TestStore;
  let gw: GatewayFixture;
  let orderId: string;
  const log: string[] = [];
  beforeEach(async () => {
    store = await freshStore('sqlite');
    gw = await gatewayFor(store);
    ({ id: orderId } = await acceptOrder(store, orderFixture({ externalId: 'PII-1', recipient }), {
      caller: 'test',
    }));
    log.length = 0;
    await runOutbound(store, log);
  });
  afterEach(async () => {
    await gw.app.close();
    await store.destroy();
  });

  it('keeps the partner text out of the plain-text rows, the raw database file and the logs', async () => {
    const job = await store.db.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    expect(job.status).toBe('dead');
    const shown = JSON.parse(job.last_error ?? '{}');
    expect(shown).toMatchObject({
      partnerId: 'carrier-alpha',
      code: 'partner_rejected',
      status: 422,
      partnerCode: 'ADDRESS_INVALID',
    });
    const notes = await store.db.selectFrom('order_history').select('note').execute();
    expect(notes.map((n) => n.note).join('\n')).toContain('partner_rejected');
    const rows = JSON.stringify({ job, notes });
    const raw = rawDatabase(store);
    const logText = log.join('');
    expect(logText).toContain('job dead-lettered');
    for (const s of SECRETS) {
      expect(rows, `rows hold ${s}`).not.toContain(s);
      expect(raw, `the database file holds ${s}`).not.toContain(s);
      expect(logText, `the log holds ${s}`).not.toContain(s);
    }
    expect(job.error_sealed).toMatch(/^wgf1/);
  });

  it('shows the partner text to operators with pii:read only', async () => {
    const { id: jobId } = await store.db.selectFrom('jobs').select('id').executeTakeFirstOrThrow();
    const full = await gw.call('GET', `/v1/dlq/${jobId}`);
    expect(full.json().error).toMatchObject({ code: 'partner_rejected', partnerMessage: ECHO });
    const noPii = await gw.keyWith({ scopes: ['dlq:read'] });
    const masked = await gw.callAs(noPii, 'GET', `/v1/dlq/${jobId}`);
    expect(masked.statusCode, masked.body).toBe(200);
    for (const s of SECRETS) expect(masked.body).not.toContain(s);
    const list = await gw.callAs(noPii, 'GET', '/v1/dlq');
    for (const s of SECRETS) expect(list.body).not.toContain(s);
  });

  it('erasure waits for the failed order, which an operator cancels (audited), then succeeds', async () => {
    await expectCode(eraseSubject(store, { email: recipient.email }, 'test'), 'subject_has_open_orders');

    const outsider = await gw.keyWith({ scopes: ['orders:read', 'orders:write', 'dlq:read'] });
    const forbidden = await gw.callAs(outsider, 'POST', `/v1/orders/${orderId}/cancel`, { reason: 'x' });
    expect(forbidden.statusCode).toBe(403);
    const noReason = await gw.call('POST', `/v1/orders/${orderId}/cancel`, { reason: '' });
    expect(noReason.statusCode).toBe(400);

    const cancelled = await gw.call('POST', `/v1/orders/${orderId}/cancel`, {
      reason: 'carrier cannot deliver; customer refunded',
    });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ id: orderId, status: 'cancelled' });
    expect(cancelled.json().discardedJobs).toHaveLength(1);
    expect(await store.db.selectFrom('jobs').select('id').execute()).toEqual([]);
    const again = await gw.call('POST', `/v1/orders/${orderId}/cancel`, { reason: 'twice' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('order_not_cancellable');

    const audit = await store.db
      .selectFrom('audit_log')
      .select(['action', 'outcome', 'target'])
      .where('action', '=', 'order.cancel')
      .execute();
    expect(audit.map((a) => a.outcome)).toEqual(['ok', 'rejected']);

    const erased = await eraseSubject(store, { email: recipient.email }, 'test');
    expect(erased.ordersErased).toEqual([orderId]);
    for (const s of SECRETS) expect(rawDatabase(store)).not.toContain(s);
  });
});
