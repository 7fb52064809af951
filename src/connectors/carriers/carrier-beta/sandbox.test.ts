/**
 * The carrier-beta connector against the carrier-beta sandbox over real HTTP on 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveShipmentStatus } from '../../../domain/index.js';
import { s10CheckDigit } from '../../../sandbox/carrier-beta.js';
import { startSandbox } from '../../../sandbox/server.js';
import { PartnerCallError } from '../../errors.js';
import { createHttpClient } from '../../http.js';
import { LOOPBACK_ALLOWED } from '../../../domain/network-policy.js';
import type { CarrierConnector, ShipmentRequest } from '../../types.js';
import { createConnector } from './index.js';

const base = JSON.parse(
  readFileSync(new URL('./fixtures/shipment-request.json', import.meta.url), 'utf8'),
) as ShipmentRequest;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function start(
  stepMs = 20,
): Promise<{ beta: { stats(): Record<string, unknown> }; connector: CarrierConnector }> {
  const sandbox = await startSandbox({ port: 0, stepMs });
  const http = createHttpClient({ network: LOOPBACK_ALLOWED });
  cleanups.push(async () => {
    await http.close();
    await sandbox.close();
  });
  const connector = createConnector(
    {
      partnerId: 'carrier-beta',
      baseUrl: sandbox.url,
      credentials: sandbox.credentials['carrier-beta'],
      timeoutMs: 5000,
    },
    http,
  );
  return { beta: { stats: () => sandbox.stats().carriers['carrier-beta'] ?? {} }, connector };
}

const isS10 = (no: string) =>
  /^[A-Z]{2}\d{9}CN$/.test(no) && Number(no[10]) === s10CheckDigit(no.slice(2, 10));

describe('carrier-beta connector against the sandbox', () => {
  it('creates a shipment and gets an S10 waybill number with a valid check digit and a PDF label', async () => {
    const { connector, beta } = await start();
    const created = await connector.createShipment(base);
    expect(isS10(created.waybillNo)).toBe(true);
    expect(created).toMatchObject({ labelFormat: 'PDF' });
    expect(created.labelUrl).toContain(`/beta/label/${created.waybillNo}.pdf`);
    expect(beta.stats()).toMatchObject({ calls: 1, shipmentsCreated: 1 });
  });

  it('gets the original waybill back when the same request_id is sent again (idempotent replay)', async () => {
    const { connector, beta } = await start();
    const first = await connector.createShipment(base);
    const again = await connector.createShipment(base);
    expect(again.waybillNo).toBe(first.waybillNo);
    expect(beta.stats()).toMatchObject({ shipmentsCreated: 1, idempotentReplays: 1, duplicateCreates: 0 });
  });

  it('creates a second waybill for the same out_order_no under a new request_id (duplicate create)', async () => {
    const { connector, beta } = await start();
    const first = await connector.createShipment(base);
    const second = await connector.createShipment({ ...base, idempotencyKey: `${base.idempotencyKey}:2` });
    expect(second.waybillNo).not.toBe(first.waybillNo);
    expect(isS10(second.waybillNo)).toBe(true);
    expect(beta.stats()).toMatchObject({ shipmentsCreated: 2, duplicateCreates: 1, idempotentReplays: 0 });
  });

  it("throws a non-retryable PartnerCallError with beta's sub_msg for an invalid receiver mobile", async () => {
    const { connector, beta } = await start();
    const bad = { ...base, recipient: { ...base.recipient, phone: '12345' } };
    const err = await connector.createShipment(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PartnerCallError);
    expect(err).toMatchObject({
      code: 'partner_rejected',
      retryable: false,
      partnerCode: 'isv.invalid-parameter:receiver.mobile',
      partnerMessage: 'receiver.mobile must be 6 to 20 digits, optionally with a leading +',
    });
    expect(beta.stats()).toMatchObject({ validationErrors: 1, shipmentsCreated: 0 });
  });

  it('recovers a waybill whose create reply was lost: the retry replays it instead of creating another', async () => {
    const { connector, beta } = await start();
    const req = { ...base, recipient: { ...base.recipient, name: 'SANDBOX FAULT LOST-REPLY' } };
    const err = await connector.createShipment(req).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'partner_server_error', retryable: true, status: 502 });
    const retried = await connector.createShipment(req);
    expect(isS10(retried.waybillNo)).toBe(true);
    expect(beta.stats()).toMatchObject({ shipmentsCreated: 1, idempotentReplays: 1 });
  });

  it('polls tracking until SIGNED and maps it to canonical DELIVERED', async () => {
    const { connector, beta } = await start(20);
    const created = await connector.createShipment(base);
    let events = (await connector.fetchTracking?.([created.waybillNo, 'LB000000014CN'])) ?? [];
    for (let i = 0; i < 50 && !events.some((e) => e.code === 'DELIVERED'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      events = (await connector.fetchTracking?.([created.waybillNo])) ?? [];
    }
    const codes = events.map((e) => e.code);
    expect(codes[0]).toBe('LABEL_CREATED');
    expect(codes).toEqual(
      expect.arrayContaining(['PICKED_UP', 'EXPORT_CUSTOMS_RELEASED', 'HANDOVER_TO_LAST_MILE']),
    );
    expect(codes.at(-1)).toBe('DELIVERED');
    expect(codes).not.toContain('UNKNOWN');
    expect(events.every((e) => e.waybillNo === created.waybillNo && e.carrier === 'carrier-beta')).toBe(true);
    expect(events.find((e) => e.code === 'HANDOVER_TO_LAST_MILE')).toMatchObject({
      nextCarrier: 'La Poste',
      nextTrackingNo: created.waybillNo,
    });
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(resolveShipmentStatus(events)).toBe('delivered');
    expect(beta.stats().traceQueries).toBeGreaterThanOrEqual(2);
  });
});
