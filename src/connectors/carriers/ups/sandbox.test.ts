/** The UPS connector against the UPS sandbox over real HTTP: OAuth, Shipping and Tracking. */
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

async function start() {
  const sandbox = await startSandbox({ port: 0, stepMs: 5 });
  const http = createHttpClient({ network: LOOPBACK_ALLOWED });
  cleanups.push(async () => {
    await http.close();
    await sandbox.close();
  });
  let clock = Date.now();
  const make = (credentials: Record<string, string>) =>
    createConnector({ partnerId: 'ups', baseUrl: `${sandbox.url}/ups`, credentials, timeoutMs: 5000 }, http, {
      now: () => clock,
    }) as Required<Pick<CarrierConnector, 'createShipment' | 'fetchTracking' | 'probe'>>;
  return {
    sandbox,
    make,
    connector: make(sandbox.credentials.ups),
    stats: () => sandbox.stats().carriers.ups ?? {},
    advance: (ms: number) => (clock += ms),
  };
}

describe('UPS connector against the UPS sandbox', () => {
  it('gets a token once, ships with a ZPL label in the answer and tracks to delivery', async () => {
    const { connector } = await start();
    const created = await connector.createShipment(base);
    expect(created.waybillNo).toMatch(/^1Z[0-9A-F]{6}11\d{7}\d$/);
    expect(created.label?.format).toBe('ZPL');
    expect(created.label?.data.toString()).toContain(created.waybillNo);
    await new Promise((r) => setTimeout(r, 150));
    const events = await connector.fetchTracking([created.waybillNo, '1Z0000000000000000']);
    expect(events.map((e) => e.code)).toEqual(
      expect.arrayContaining(['LABEL_CREATED', 'IMPORT_CUSTOMS_RELEASED', 'DELIVERED']),
    );
    await connector.probe();
  });

  it('fetches a fresh token when the cached one has expired', async () => {
    const { connector, advance, stats } = await start();
    await connector.probe();
    advance(15_000 * 1000);
    await connector.probe();
    expect(stats()).toMatchObject({ signatureFailures: 0 });
  });

  it('a wrong client secret is refused at the token endpoint as a non-retryable auth failure', async () => {
    const { make, sandbox } = await start();
    const err = await make({ ...sandbox.credentials.ups, clientSecret: 'wrong' })
      .createShipment(base)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(PartnerCallError);
    expect(err).toMatchObject({ code: 'partner_auth_failed', retryable: false, partnerCode: '10401' });
  });

  it('a refused ship request comes back as partner_rejected with UPS’s error code', async () => {
    const { make, sandbox } = await start();
    const err = await make({ ...sandbox.credentials.ups, accountNumber: 'ZZZZZZ' })
      .createShipment(base)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ code: 'partner_rejected', retryable: false, partnerCode: '120100' });
  });
});
