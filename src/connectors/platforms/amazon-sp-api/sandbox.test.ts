/**
 * The Amazon SP-API connector against the Amazon sandbox over real HTTP on 127.0.0.1: LWA
 * refresh-token flow and token cache, Restricted Data Token, getOrders NextToken pages,
 * getOrderItems pages, confirmShipment recorded, and the failures — expired tokens, a wrong
 * refresh token, 429 from the fault knobs, a bad NextToken — as the typed errors the queue and
 * the partner policy act on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LOOPBACK_ALLOWED } from '../../../domain/network-policy.js';
import { createAjv } from '../../../domain/validation.js';
import type { WaygateError } from '../../../domain/index.js';
import { OrderInput } from '../../../domain/index.js';
import { startSandbox } from '../../../sandbox/server.js';
import { PartnerCallError } from '../../errors.js';
import { createHttpClient } from '../../http.js';
import { createConnector } from './index.js';

const validOrder = createAjv().compile(OrderInput);
const ALL_MARKETS = [
  'ATVPDKIKX0DER',
  'A2EUQ1WTGCTBG2',
  'A1AM78C64UM0Y8',
  'A2Q3Y263D00KWC',
  'A1F83G8C2ARO7P',
  'A1PA6795UKMFR9',
  'A13V1IB3VIYZZH',
  'APJ6JRA9NG5V4',
  'A1RKKUPIHCS9HS',
  'A1805IZSGTT6HS',
  'A2NODRKZP88ZB9',
  'A1C3SOZRARQ6R3',
  'A1VC38T7YXB528',
  'A39IBJ37TRP1C6',
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function start() {
  const sandbox = await startSandbox({ port: 0 });
  const http = createHttpClient({ network: LOOPBACK_ALLOWED });
  cleanups.push(async () => {
    await http.close();
    await sandbox.close();
  });
  const make = (
    over: { credentials?: Record<string, string>; options?: Record<string, unknown>; base?: string } = {},
  ) =>
    createConnector(
      {
        partnerId: 'amazon-sp-api',
        baseUrl: `${sandbox.url}${over.base ?? ''}/amazon`,
        credentials: over.credentials ?? sandbox.credentials['amazon-sp-api'],
        options: {
          tokenUrl: `${sandbox.url}/amazon/auth/o2/token`,
          marketplaceIds: ALL_MARKETS,
          ...over.options,
        },
        timeoutMs: 5000,
      },
      http,
    );
  const stats = () => sandbox.stats().platforms['amazon-sp-api'] as Record<string, number>;
  return { sandbox, make, stats };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

const since = new Date(Date.now() - 3_600_000).toISOString();

describe('Amazon SP-API connector against the Amazon sandbox', () => {
  it('pulls every seeded order once over NextToken pages, each whole (all item pages), with one LWA exchange', async () => {
    const { sandbox, make, stats } = await start();
    const { orderIds } = sandbox.amazon.seed(7);
    const amazon = make({ options: { pageSize: 3 } });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await amazon.pullOrders(since, cursor);
      for (const o of page.orders) {
        expect(validOrder(o), JSON.stringify(validOrder.errors)).toBe(true);
        expect(o.recipient.name.length).toBeGreaterThan(0);
        seen.push(o.externalId);
      }
      cursor = page.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...orderIds].sort());
    const s = stats();
    expect(s.tokensIssued).toBe(1);
    expect(s.rdtsIssued).toBe(1);
    expect(s.restrictedReads).toBe(3);
    expect(s.itemPages).toBeGreaterThanOrEqual(7);
    expect(amazon.rateLimits()).toMatchObject({ getOrders: 0.0167, getOrderItems: 0.5 });
  });

  it('confirms a shipment with every unshipped item; a retried confirmation sends nothing twice', async () => {
    const { sandbox, make } = await start();
    const [id] = sandbox.amazon.seed(1).orderIds;
    const amazon = make({ options: { carrierCodes: { ups: 'UPS' } } });
    const order = await amazon.fetchOrder(id!);
    const sent = await amazon.sendFulfilment({
      externalOrderId: id!,
      waybillNo: '1ZWG0001',
      carrierName: 'ups',
      status: 'in_transit',
    });
    expect(sent.partnerRef).toBe('1ZWG0001');
    // The reply was lost and the job runs again: every unit is shipped, nothing is re-sent.
    expect(
      await amazon.sendFulfilment({
        externalOrderId: id!,
        waybillNo: '1ZWG0001',
        carrierName: 'ups',
        status: 'in_transit',
      }),
    ).toEqual(sent);
    const got = sandbox.amazon.confirmations();
    expect(got).toHaveLength(1);
    const body = got[0]!.body as {
      packageDetail: { carrierCode: string; trackingNumber: string; orderItems: { quantity: number }[] };
    };
    expect(body.packageDetail).toMatchObject({ carrierCode: 'UPS', trackingNumber: '1ZWG0001' });
    expect(body.packageDetail.orderItems.reduce((n, i) => n + i.quantity, 0)).toBe(
      order.items.reduce((n, l) => n + l.quantity, 0),
    );
    // Shipped orders leave the pull.
    expect((await amazon.pullOrders(since)).orders.map((o) => o.externalId)).not.toContain(id);
  });

  it('names the carrier when no Amazon carrierCode is configured for it (carrierCode Other)', async () => {
    const { sandbox, make } = await start();
    const [id] = sandbox.amazon.seed(1).orderIds;
    await make().sendFulfilment({
      externalOrderId: id!,
      waybillNo: 'UG123456789CN',
      carrierName: 'yanwen',
      status: 'in_transit',
    });
    const body = sandbox.amazon.confirmations()[0]!.body as { packageDetail: Record<string, unknown> };
    expect(body.packageDetail).toMatchObject({ carrierCode: 'Other', carrierName: 'yanwen' });
  });

  it('exchanges the refresh token again when Amazon says the access token expired', async () => {
    const { sandbox, make, stats } = await start();
    sandbox.amazon.seed(2);
    const amazon = make();
    await amazon.pullOrders(since);
    sandbox.amazon.expireTokens();
    expect((await amazon.pullOrders(since)).orders).toHaveLength(2);
    expect(stats().expiredTokenCalls).toBe(1);
    expect(stats().tokensIssued).toBe(2);
  });

  it('a wrong refresh token is a non-retryable auth failure that does not repeat any secret', async () => {
    const { sandbox, make } = await start();
    const creds = { ...sandbox.credentials['amazon-sp-api'], refreshToken: 'Atzr|not-the-one' };
    const err = (await failure(make({ credentials: creds }).pullOrders(since))) as PartnerCallError;
    expect(err).toBeInstanceOf(PartnerCallError);
    expect(err).toMatchObject({
      code: 'partner_auth_failed',
      retryable: false,
      partnerCode: 'invalid_grant',
    });
    const text = JSON.stringify(err.toJSON()) + err.message;
    for (const secret of Object.values(creds)) expect(text).not.toContain(secret);
  });

  it('a 429 from the fault knobs is partner_rate_limited with a wait for the policy gate', async () => {
    const { sandbox, make } = await start();
    sandbox.amazon.seed(1);
    const amazon = make();
    await amazon.pullOrders(since);
    sandbox.faults.set({
      partner: 'amazon-sp-api',
      channel: 'primary',
      rateLimit: { limit: 1, windowSec: 60 },
    });
    await amazon.pullOrders(since).catch(() => undefined);
    const err = (await failure(amazon.pullOrders(since))) as PartnerCallError;
    expect(err).toMatchObject({
      code: 'partner_rate_limited',
      retryable: true,
      status: 429,
      partnerCode: 'QuotaExceeded',
    });
    expect(err.retryAfterMs).toBeGreaterThan(0);
  });

  it('an unknown NextToken is Amazon InvalidInput: refused, not retried', async () => {
    const { make } = await start();
    const err = (await failure(make().pullOrders(since, 'bm90LWEtdG9rZW4='))) as PartnerCallError;
    expect(err).toMatchObject({
      code: 'partner_rejected',
      retryable: false,
      status: 400,
      partnerCode: 'InvalidInput',
    });
  });

  it('without a Restricted Data Token the address is withheld and the order is refused naming the field', async () => {
    const { sandbox, make, stats } = await start();
    const [id] = sandbox.amazon.seed(1).orderIds;
    const amazon = make({ options: { restrictedData: false } });
    const page = await amazon.pullOrders(since);
    expect(page.orders).toEqual([]);
    expect(page.refused).toHaveLength(1);
    const refused = page.refused![0]!;
    expect(refused.externalId).toBe(id);
    expect(refused.error.code).toBe('order_payload_invalid');
    expect(refused.error.message).toContain('/ShippingAddress/Name');
    // The raw order and its items are what readPulledOrder takes back: refused again, same field.
    const again = await failure(Promise.resolve().then(() => amazon.readPulledOrder(refused.raw)));
    expect((again as WaygateError).message).toContain('/ShippingAddress/Name');
    expect(stats().rdtsIssued).toBe(0);
  });

  it('one order it cannot map does not fail its page: the others are returned, the bad one raw for replay', async () => {
    const { sandbox, make } = await start();
    const ids = sandbox.amazon.seed(4).orderIds;
    // One order's country is not an ISO 3166 code: that order is refused naming the field.
    sandbox.amazon.mutate(ids[1]!, { ShippingAddress: { CountryCode: 'UK' } });
    const amazon = make({ options: { pageSize: 100 } });
    const page = await amazon.pullOrders(since);
    expect(page.orders.map((o) => o.externalId).sort()).toEqual([ids[0], ids[2], ids[3]].sort());
    expect(page.refused?.map((r) => r.externalId)).toEqual([ids[1]]);
    expect(page.refused![0]!.error.message).toContain('/ShippingAddress/CountryCode');
    const kept = JSON.parse(page.refused![0]!.raw) as { order: { AmazonOrderId: string }; items: unknown[] };
    expect(kept.order.AmazonOrderId).toBe(ids[1]);
    expect(kept.items.length).toBeGreaterThan(0);
  });

  it('without marketplaceIds the pull says which option to set', async () => {
    const { sandbox } = await start();
    const http = createHttpClient({ network: LOOPBACK_ALLOWED });
    cleanups.push(() => http.close());
    const amazon = createConnector(
      {
        partnerId: 'amazon-sp-api',
        baseUrl: `${sandbox.url}/amazon`,
        credentials: sandbox.credentials['amazon-sp-api'],
      },
      http,
    );
    const err = (await failure(amazon.pullOrders(since))) as PartnerCallError;
    expect(err.message).toContain('options.marketplaceIds');
  });
});
