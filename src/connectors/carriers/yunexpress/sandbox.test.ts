/** The YunExpress connector against the YunExpress sandbox over real HTTP on 127.0.0.1. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LOOPBACK_ALLOWED } from '../../../domain/network-policy.js';
import { startSandbox } from '../../../sandbox/server.js';
import { PartnerCallError } from '../../errors.js';
import { createHttpClient } from '../../http.js';
import type { CarrierConnector, ShipmentRequest } from '../../types.js';
import { createConnector } from './index.js';

const base = JSON.parse(
  readFileSync(new URL('./fixtures/shipment-request.canonical.json', import.meta.url), 'utf8'),
) as ShipmentRequest;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function start(stepMs = 5) {
  const sandbox = await startSandbox({ port: 0, stepMs });
  const http = createHttpClient({ network: LOOPBACK_ALLOWED });
  cleanups.push(async () => {
    await http.close();
    await sandbox.close();
  });
  const make = (credentials: Record<string, string>) =>
    createConnector(
      { partnerId: 'yunexpress', baseUrl: `${sandbox.url}/yunexpress`, credentials, timeoutMs: 5000 },
      http,
    ) as Required<CarrierConnector>;
  return {
    sandbox,
    make,
    connector: make(sandbox.credentials.yunexpress),
    stats: () => sandbox.stats().carriers.yunexpress ?? {},
  };
}

async function failure(p: Promise<unknown>): Promise<PartnerCallError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof PartnerCallError)) throw new Error(`expected PartnerCallError, got ${String(err)}`);
  return err;
}

describe('YunExpress connector against the YunExpress sandbox', () => {
  it('creates a waybill once; a repeated create reads it back by CustomerOrderNumber', async () => {
    const { connector, stats } = await start();
    const first = await connector.createShipment(base);
    expect(first.waybillNo).toMatch(/^YT\d{16}$/);
    expect((await connector.createShipment(base)).waybillNo).toBe(first.waybillNo);
    expect(stats()).toMatchObject({ shipmentsCreated: 1, duplicateCreates: 0 });
  });

  it('a wrong secret is refused (1001) as a non-retryable auth failure', async () => {
    const { make, sandbox } = await start();
    const wrong = make({ ...sandbox.credentials.yunexpress, apiSecret: 'wrong-secret' });
    expect(await failure(wrong.createShipment(base))).toMatchObject({
      code: 'partner_auth_failed',
      retryable: false,
      partnerCode: '1001',
    });
  });

  it('a refused order comes back as partner_rejected with YunExpress’s remark', async () => {
    const { connector } = await start();
    const err = await failure(
      connector.createShipment({
        ...base,
        idempotencyKey: 'k-bad',
        items: [{ ...base.items[0]!, hsCode: '99' }],
      }),
    );
    expect(err).toMatchObject({ code: 'partner_rejected', retryable: false });
    expect(err.partnerMessage).toContain('HSCode');
  });

  it('tracks to delivery with the last-mile handover and fetches a PDF label', async () => {
    const { connector } = await start();
    const created = await connector.createShipment(base);
    await new Promise((r) => setTimeout(r, 150));
    const events = await connector.fetchTracking([created.waybillNo, 'YT0000000000000000']);
    expect(events.map((e) => e.code)).toEqual(
      expect.arrayContaining(['LABEL_CREATED', 'HANDOVER_TO_LAST_MILE', 'DELIVERED']),
    );
    expect(events.find((e) => e.code === 'HANDOVER_TO_LAST_MILE')?.nextTrackingNo).toBeDefined();
    const label = await connector.fetchLabel(created.waybillNo);
    expect(label.format).toBe('PDF');
    await connector.probe();
  });
});
