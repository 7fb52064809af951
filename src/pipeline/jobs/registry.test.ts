import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WaygateError } from '../../domain/index.js';
import type { JobQueue } from '../../store/queue.js';
import type { Store } from '../../store/db.js';
import { renderJobsDoc } from './doc.js';
import { JOB_KINDS, jobKind, kindsOfLane, LANES, shipmentCreate } from './index.js';
import type { EditContext, JobDeps } from './kind.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Nothing here is reached: the checks under test refuse before any store access. */
const unreachable = new Proxy(
  {},
  {
    get() {
      throw new Error('the store was reached');
    },
  },
);
const deps: JobDeps = {
  store: unreachable as Store,
  queue: unreachable as JobQueue,
  partners: () => {
    throw new Error('partners were reached');
  },
};
const ctx: EditContext = {
  trx: unreachable as EditContext['trx'],
  keys: unreachable as EditContext['keys'],
  nowMs: 0,
  replacePayload: () => {
    throw new Error('a refused edit replaced the payload');
  },
};

async function refusal(p: Promise<unknown>): Promise<WaygateError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WaygateError);
  return err as WaygateError;
}

/** A payload each kind accepts, to show its edit rules, not its payload check, refuse an edit. */
const VALID: Record<string, unknown> = {
  'inbound.order': { messageId: 'msg_01hzzzzzzzzzzzzzzzzzzzzzzz', partnerId: 'sandbox-shop', headers: {} },
  'inbound.tracking': {
    messageId: 'msg_01hzzzzzzzzzzzzzzzzzzzzzzz',
    partnerId: 'carrier-alpha',
    headers: {},
  },
  'shipment.create': { orderId: 'ord_01hzzzzzzzzzzzzzzzzzzzzzzz' },
  'tracking.poll': { carrier: 'carrier-beta' },
  'inbound.stock': {
    messageId: 'msg_01hzzzzzzzzzzzzzzzzzzzzzzz',
    partnerId: 'sandbox-warehouse',
    headers: {},
  },
  'stock.pull': { warehouse: 'sandbox-warehouse' },
  'stock.publish': { platform: 'sandbox-shop', sku: 'SKU-1' },
  'orders.pull': { platform: 'taobao-top' },
  'orders.fetch': { platform: 'tiktok-shop', externalId: '576461413038785752' },
  'inbound.pulled': {
    messageId: 'msg_01hzzzzzzzzzzzzzzzzzzzzzzz',
    partnerId: 'amazon-sp-api',
    externalId: '113-0000001-0000001',
    form: 'partner',
  },
  'fulfilment.send': { orderId: 'ord_01hzzzzzzzzzzzzzzzzzzzzzzz' },
  'warehouse.outbound': { orderId: 'ord_01hzy3k9q8x7w6v5t4s3r2p1n0', warehouse: 'sandbox-warehouse' },
  'inbound.send': { inboundId: 'inb_01hzy3k9q8x7w6v5t4s3r2p1n0' },
  'inbound.return': {
    messageId: 'msg_01hzzzzzzzzzzzzzzzzzzzzzzz',
    partnerId: 'sandbox-shop',
    headers: {},
  },
  'return.announce': { returnId: 'rma_01hzzzzzzzzzzzzzzzzzzzzzzz', warehouse: 'sandbox-warehouse' },
  'return.label': { returnId: 'rma_01hzzzzzzzzzzzzzzzzzzzzzzz' },
  'return.settle': { returnId: 'rma_01hzzzzzzzzzzzzzzzzzzzzzzz' },
  'return.status': { returnId: 'rma_01hzzzzzzzzzzzzzzzzzzzzzzz', platform: 'sandbox-shop' },
  'return.cancel': {
    returnId: 'rma_01hzzzzzzzzzzzzzzzzzzzzzzz',
    party: 'warehouse',
    partner: 'sandbox-warehouse',
    reason: 'buyer kept the goods',
  },
  'customs.declare': { orderId: 'ord_01hzzzzzzzzzzzzzzzzzzzzzzz', stage: 'order' },
  'customs.receipts': { partner: 'china-customs' },
  'snapshot.take': { schedule: 'daily' },
};

describe('job registry', () => {
  it('declares every registered kind with a payload schema, a lane, a handler and dead-letter edit rules', () => {
    expect(JOB_KINDS.length).toBeGreaterThan(0);
    for (const kind of JOB_KINDS) {
      expect(kind.name, kind.name).toMatch(/^[a-z]+\.[a-z_]+$/);
      expect(kind.description.length, kind.name).toBeGreaterThan(10);
      expect(kind.payloadSchema.type, kind.name).toBe('object');
      expect(kind.payloadSchema.additionalProperties, kind.name).toBe(false);
      expect(Object.keys(kind.payloadSchema.properties ?? {}).length, kind.name).toBeGreaterThan(0);
      expect(LANES, kind.name).toContain(kind.lane);
      expect(kind.runner(deps).kind).toBe(kind.name);
      expect(jobKind(kind.name)).toBe(kind);
      // Edit rules are declared on purpose: either none (replay as is) or fields that say what they change.
      expect(kind.editFields === null || Object.keys(kind.editFields).length > 0, kind.name).toBe(true);
      for (const [field, what] of Object.entries(kind.editFields ?? {})) {
        expect(what.length, `${kind.name} ${field}`).toBeGreaterThan(10);
      }
      expect(VALID[kind.name], `a valid payload for ${kind.name} in this test`).toBeDefined();
      expect(kind.payloadIssues(VALID[kind.name]), kind.name).toEqual([]);
    }
    expect(new Set(JOB_KINDS.map((k) => k.name)).size).toBe(JOB_KINDS.length);
    for (const lane of LANES) expect(kindsOfLane(lane).length, lane).toBeGreaterThan(0);
    expect(jobKind('no.such_kind')).toBeUndefined();
  });

  it('refuses, naming the field, every edit field a kind does not allow', async () => {
    // Keys as they arrive in a JSON body, `__proto__` and `constructor` included.
    const key = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('__proto__', 'constructor', 'prototype'),
    );
    for (const kind of JOB_KINDS) {
      const allowed = Object.keys(kind.editFields ?? {});
      await fc.assert(
        fc.asyncProperty(
          fc
            .uniqueArray(key, { minLength: 1, maxLength: 4 })
            .filter((ks) => ks.some((k) => !allowed.includes(k))),
          async (keys) => {
            const edit: unknown = JSON.parse(`{${keys.map((k) => `${JSON.stringify(k)}:1`).join(',')}}`);
            const err = await refusal(kind.applyEdit(ctx, VALID[kind.name], edit));
            expect(err.kind).toBe('invalid_input');
            expect(err.code).toBe(kind.editFields ? 'invalid_edit' : 'edit_not_supported');
            const fields = (err.details as Array<{ field: string }>).map((d) => d.field);
            for (const k of keys.filter((k) => !allowed.includes(k))) expect(fields).toContain(`/${k}`);
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  it('refuses an edit that is not an object or changes nothing, and lists the allowed fields', async () => {
    const fields = Object.keys(shipmentCreate.editFields ?? {});
    expect(fields).toEqual(['recipient', 'items']);
    for (const edit of [null, 'x', 3, [], {}]) {
      const err = await refusal(shipmentCreate.applyEdit(ctx, VALID['shipment.create'], edit));
      expect(err.code).toBe('invalid_edit');
      expect(err.details).toEqual([
        { field: '/', message: expect.stringContaining('recipient and/or items') },
      ]);
    }
    const extra = await refusal(shipmentCreate.applyEdit(ctx, VALID['shipment.create'], { notes: 'x' }));
    expect(extra.details).toEqual([
      { field: '/notes', message: 'cannot be edited (only recipient and items)' },
    ]);
  });

  it('refuses to edit a job whose payload misses its schema', async () => {
    const err = await refusal(shipmentCreate.applyEdit(ctx, { orderId: 7 }, { items: [] }));
    expect(err.code).toBe('dlq_payload_invalid');
    expect(err.kind).toBe('conflict');
  });

  it('hands a leased job to its handler only when its payload matches the schema', () => {
    const runner = shipmentCreate.runner(deps);
    const job = { id: 'job_1', kind: 'shipment.create', partnerId: null, attempts: 1, maxAttempts: 10 };
    const rest = { runAt: 0, leaseOwner: 'w', history: [] };
    const cases: Array<[unknown, string | undefined, string]> = [
      [{ orderId: 7 }, undefined, 'invalid_job_payload'],
      [{ orderId: 'ord_01hzzzzzzzzzzzzzzzzzzzzzzz', more: 1 }, undefined, 'invalid_job_payload'],
      [null, 'the stored payload is not JSON (Unexpected token)', 'unreadable_job_payload'],
    ];
    for (const [payload, payloadError, code] of cases) {
      const prepared = runner.prepare({
        ...job,
        ...rest,
        payload,
        ...(payloadError ? { payloadError } : {}),
      });
      expect(prepared).toBeInstanceOf(WaygateError);
      expect((prepared as WaygateError).code).toBe(code);
      expect((prepared as WaygateError).message).toContain('dead-lettered without running');
    }
    const ok = runner.prepare({ ...job, ...rest, payload: VALID['shipment.create'] });
    expect(ok).not.toBeInstanceOf(WaygateError);
  });

  it('keeps docs/jobs.md in step with the registry (npm run docs:jobs rewrites it)', () => {
    const doc = readFileSync(join(root, 'docs/jobs.md'), 'utf8');
    expect(doc, 'docs/jobs.md is stale: run npm run docs:jobs').toBe(renderJobsDoc());
  });

  it('queues jobs only through the registry: no other module uses the store queue’s raw enqueue', () => {
    const rawEnqueue = /import\s*\{[^}]*\benqueue\b[^}]*\}\s*from\s*'[./]*\/?(?:store\/)?queue\.js'/;
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(path);
        else if (
          path.endsWith('.ts') &&
          !path.endsWith('.test.ts') &&
          rawEnqueue.test(readFileSync(join(root, path), 'utf8'))
        )
          offenders.push(path);
      }
    };
    walk('src');
    expect(offenders).toEqual(['src/pipeline/jobs/kind.ts']);
  });
});
