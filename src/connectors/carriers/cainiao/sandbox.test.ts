/** The Cainiao connector against the Cainiao LINK sandbox over real HTTP. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LOOPBACK_ALLOWED } from '../../../domain/network-policy.js';
import { startSandbox } from '../../../sandbox/server.js';
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

async function start() {
  const sandbox = await startSandbox({ port: 0, stepMs: 5 });
  const http = createHttpClient({ network: LOOPBACK_ALLOWED });
  cleanups.push(async () => {
    await http.close();
    await sandbox.close();
  });
  const make = (credentials: Record<string, string>) =>
    createConnector(
      { partnerId: 'cainiao', baseUrl: `${sandbox.url}/cainiao`, credentials, timeoutMs: 5000 },
      http,
    ) as Required<Pick<CarrierConnector, 'createShipment' | 'fetchTracking' | 'probe'>>;
  return {
    sandbox,
    make,
    connector: make(sandbox.credentials.cainiao),
    stats: () => sandbox.stats().carriers.cainiao ?? {},
  };
}

describe('Cainiao connector against the LINK sandbox', () => {
  it('creates once per outOrderId and tracks to delivery', async () => {
    const { connector, stats } = await start();
    const a = await connector.createShipment(base);
    const b = await connector.createShipment(base);
    expect(b.waybillNo).toBe(a.waybillNo);
    await new Promise((r) => setTimeout(r, 150));
    const events = await connector.fetchTracking([a.waybillNo]);
    expect(events.map((e) => e.code)).toContain('DELIVERED');
    expect(stats()).toMatchObject({ shipmentsCreated: 1, idempotentReplays: 1, signatureFailures: 0 });
    await connector.probe();
  });

  it('a wrong secret is refused by the sandbox’s own digest check (S02) as a non-retryable auth failure', async () => {
    const { make, sandbox } = await start();
    const err = await make({ ...sandbox.credentials.cainiao, appSecret: 'wrong' })
      .createShipment(base)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ code: 'partner_auth_failed', retryable: false, partnerCode: 'S02' });
  });
});
