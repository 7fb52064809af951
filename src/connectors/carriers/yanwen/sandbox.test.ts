/** The Yanwen connector against the Yanwen sandbox over real HTTP on 127.0.0.1. */
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
  const make = (credentials: Record<string, string>) =>
    createConnector(
      {
        partnerId: 'yanwen',
        baseUrl: `${sandbox.url}/yanwen`,
        credentials,
        options: { trackingUrl: `${sandbox.url}/yanwen-track` },
        timeoutMs: 5000,
      },
      http,
    ) as Required<CarrierConnector>;
  return {
    sandbox,
    make,
    connector: make(sandbox.credentials.yanwen),
    stats: () => sandbox.stats().carriers.yanwen ?? {},
  };
}

describe('Yanwen connector against the Yanwen sandbox', () => {
  it('creates a waybill once; a repeated create reads it back by orderNumber', async () => {
    const { connector, stats } = await start();
    const first = await connector.createShipment(base);
    expect(first.waybillNo).toMatch(/^UG\d{9}YW$/);
    expect((await connector.createShipment(base)).waybillNo).toBe(first.waybillNo);
    expect(stats()).toMatchObject({ shipmentsCreated: 1, duplicateCreates: 0, idempotentReplays: 1 });
  });

  it('fetches the label as a PDF and tracks the parcel to DELIVERED through the code table', async () => {
    const { connector } = await start();
    const { waybillNo } = await connector.createShipment(base);
    const label = await connector.fetchLabel(waybillNo);
    expect(label.format).toBe('PDF');
    expect(label.data.subarray(0, 5).toString()).toBe('%PDF-');
    await new Promise((r) => setTimeout(r, 300));
    const events = await connector.fetchTracking([waybillNo]);
    expect(events[0]?.code).toBe('LABEL_CREATED');
    expect(events.map((e) => e.code)).toContain('DELIVERED');
    expect(events.every((e) => e.code !== 'UNKNOWN')).toBe(true);
  });

  it('a wrong API token fails the sign (100): non-retryable auth failure without the token in it', async () => {
    const { make, sandbox } = await start();
    const err = await make({ ...sandbox.credentials.yanwen, apiToken: 'WRONGTOKEN' })
      .createShipment(base)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(PartnerCallError);
    expect(err).toMatchObject({ code: 'partner_auth_failed', retryable: false, partnerCode: '100' });
    expect(JSON.stringify((err as PartnerCallError).toJSON())).not.toContain(
      sandbox.credentials.yanwen.apiToken,
    );
  });
});
