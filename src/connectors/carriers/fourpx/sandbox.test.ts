/**
 * The 4PX connector against the 4PX sandbox over real HTTP on 127.0.0.1: the sandbox checks the
 * md5 sign with its own code, so a connector that signs wrongly cannot pass.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LOOPBACK_ALLOWED } from '../../../domain/network-policy.js';
import { startSandbox } from '../../../sandbox/server.js';
import { PartnerCallError } from '../../errors.js';
import { createHttpClient } from '../../http.js';
import type { CarrierConnector, PartnerEndpoint, ShipmentRequest } from '../../types.js';
import { createConnector } from './index.js';

const base = JSON.parse(
  readFileSync(new URL('./fixtures/shipment-request.canonical.json', import.meta.url), 'utf8'),
) as ShipmentRequest;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function start(stepMs = 20) {
  const sandbox = await startSandbox({ port: 0, stepMs });
  const http = createHttpClient({ network: LOOPBACK_ALLOWED });
  cleanups.push(async () => {
    await http.close();
    await sandbox.close();
  });
  const endpoint: PartnerEndpoint = {
    partnerId: 'fourpx',
    baseUrl: `${sandbox.url}/4px`,
    credentials: sandbox.credentials.fourpx,
    timeoutMs: 5000,
  };
  const stats = () => sandbox.stats().carriers.fourpx ?? {};
  return { connector: createConnector(endpoint, http) as Required<CarrierConnector>, stats, sandbox };
}

async function failure(p: Promise<unknown>): Promise<PartnerCallError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof PartnerCallError)) throw new Error(`expected PartnerCallError, got ${String(err)}`);
  return err;
}

describe('4PX connector against the 4PX sandbox', () => {
  it('creates a consignment, and a repeated create replays it through ds.xms.order.get instead of a second one', async () => {
    const { connector, stats } = await start();
    const first = await connector.createShipment(base);
    expect(first.waybillNo).toMatch(/^4PX30\d{10}CN$/);
    const again = await connector.createShipment(base);
    expect(again.waybillNo).toBe(first.waybillNo);
    expect(stats()).toMatchObject({ shipmentsCreated: 1, duplicateCreates: 0, signatureFailures: 0 });
  });

  it('a wrong app secret is refused by the sandbox as 000012 and reaches the queue as a non-retryable auth failure', async () => {
    const { sandbox } = await start();
    const http = createHttpClient({ network: LOOPBACK_ALLOWED });
    cleanups.push(() => http.close());
    const wrong = createConnector(
      {
        partnerId: 'fourpx',
        baseUrl: `${sandbox.url}/4px`,
        credentials: { appKey: sandbox.credentials.fourpx.appKey, appSecret: 'not-the-secret' },
      },
      http,
    );
    expect(await failure(wrong.createShipment(base))).toMatchObject({
      code: 'partner_auth_failed',
      retryable: false,
      partnerCode: '000012',
    });
  });

  it('a refused field comes back as partner_rejected naming 4PX’s field', async () => {
    const { connector } = await start();
    const bad = { ...base, items: [{ ...base.items[0]!, hsCode: '12' }] } as ShipmentRequest;
    const err = await failure(connector.createShipment(bad));
    expect(err).toMatchObject({ code: 'partner_rejected', retryable: false, partnerCode: 'DS000003' });
    expect(err.partnerMessage).toContain('hscode_export');
  });

  it('polls tracking to delivery, fetches a real PDF label and refuses to cancel a parcel already collected', async () => {
    const { connector, stats } = await start(5);
    const created = await connector.createShipment(base);
    await connector.cancelShipment(created.waybillNo).catch(() => undefined);
    const other = await connector.createShipment({ ...base, idempotencyKey: 'ship-other-1' });
    const label = await connector.fetchLabel(other.waybillNo);
    expect(label.format).toBe('PDF');
    expect(label.data.subarray(0, 5).toString()).toBe('%PDF-');
    expect(label.data.toString('latin1')).toContain(other.waybillNo);
    await new Promise((r) => setTimeout(r, 200));
    const events = await connector.fetchTracking([other.waybillNo, 'UNKNOWN-NO']);
    expect(events.map((e) => e.code)).toContain('DELIVERED');
    expect(events.every((e) => e.waybillNo === other.waybillNo && e.carrier === 'fourpx')).toBe(true);
    expect(await failure(connector.cancelShipment(other.waybillNo))).toMatchObject({
      code: 'partner_rejected',
      partnerCode: 'DS000011',
    });
    expect(stats()).toMatchObject({ labelsServed: 1 });
    await connector.probe();
  });

  it('recovers a consignment whose reply was lost: the retry meets DS000009 and reads it back', async () => {
    const { connector, stats } = await start();
    const lost = {
      ...base,
      recipient: { ...base.recipient, name: 'SANDBOX FAULT LOST-REPLY' },
      idempotencyKey: 'ship-lost-1',
    };
    const err = await failure(connector.createShipment(lost));
    expect(err.retryable).toBe(true);
    const retried = await connector.createShipment(lost);
    expect(retried.waybillNo).toMatch(/^4PX30/);
    expect(stats()).toMatchObject({ shipmentsCreated: 1, duplicateCreates: 0 });
  });
});
