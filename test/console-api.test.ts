/**
 * What the web console reads besides the existing routes: who the session is
 * (`GET /v1/auth/session`), service quality per interface and partner (`GET /v1/stats/quality`)
 * and a month's per-partner error breakdown (`GET /v1/stats/partner-errors`), on both dialects.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountService } from '../src/security/accounts.js';
import { operatorGrantor } from '../src/security/grants.js';
import { ROLE_PERMISSIONS } from '../src/security/permissions.js';
import { secretBoxFromKey } from '../src/security/secret-box.js';
import { insertBulk } from '../src/store/bulk.js';
import { newId } from '../src/store/ids.js';
import { sealRecipient } from '../src/store/orders.js';
import type { OrdersTable } from '../src/store/schema.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { gatewayFor, type GatewayFixture } from './helpers/gateway.js';
import { orderFixture } from './helpers/fixtures.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0); // 2 Nov 2026 00:00 UTC

async function seed(store: TestStore) {
  const recipient = sealRecipient(store.keys.cipher, orderFixture().recipient);
  const order = (i: number, source: string, status: string, at: number): OrdersTable => ({
    id: newId('ord', at),
    source,
    external_id: `SO-${i}`,
    status,
    currency: 'USD',
    total_value: '25.00',
    destination_country: 'US',
    ...recipient,
    items: '[]',
    customs_sealed: null,
    notes_sealed: null,
    charges: null,
    placed_at: null,
    created_at: at,
    updated_at: at,
  });
  // Hour 0: 4 orders of shop-a (one failed), hour 1: 2 of shop-b; November 2026.
  const orders = [
    order(1, 'shop-a', 'delivered', T0 + 1000),
    order(2, 'shop-a', 'in_transit', T0 + 2000),
    order(3, 'shop-a', 'failed', T0 + 3000),
    order(4, 'shop-a', 'exception', T0 + 4000),
    order(5, 'shop-b', 'in_transit', T0 + HOUR + 1000),
    order(6, 'shop-b', 'accepted', T0 + HOUR + 2000),
  ];
  const ship = (o: OrdersTable, carrier: string, status: string, waitMs: number) => ({
    id: newId('shp', o.created_at),
    order_id: o.id,
    carrier,
    waybill_no: `WB${o.external_id}`,
    status,
    label_url: null,
    estimated_delivery: null,
    last_event_at: null,
    next_poll_at: null,
    created_at: o.created_at + waitMs,
    updated_at: o.created_at + waitMs,
  });
  const [o1, o2, o3, o4, o5, o6] = orders as [OrdersTable, ...OrdersTable[]] & OrdersTable[];
  const job = (o: OrdersTable, partner: string, status: string, error: object) => ({
    id: newId('job', o.created_at),
    kind: 'shipment.create',
    partner_id: partner,
    payload: JSON.stringify({ orderId: o.id }),
    dedupe_key: null,
    status,
    attempts: 3,
    max_attempts: 6,
    run_at: o.created_at,
    lease_owner: null,
    lease_until: null,
    last_error: JSON.stringify(error),
    error_sealed: null,
    history: '[]',
    created_at: o.created_at,
    updated_at: o.created_at,
  });
  await store.write(async (trx) => {
    await insertBulk(trx, store.dialect, 'orders', orders);
    await insertBulk(trx, store.dialect, 'shipments', [
      ship(o1!, 'carrier-alpha', 'delivered', 60_000),
      ship(o2!, 'carrier-alpha', 'in_transit', 2 * HOUR),
      ship(o4!, 'carrier-beta', 'exception', 120_000),
      ship(o5!, 'carrier-beta', 'in_transit', 60_000),
    ]);
    await insertBulk(trx, store.dialect, 'jobs', [
      job(o3!, 'carrier-alpha', 'dead', { code: 'partner_rejected', message: 'postal code' }),
      job(o6!, 'carrier-beta', 'ready', { code: 'partner_unavailable', message: '503' }),
    ]);
  });
}

describe.each(DIALECTS)('console API (%s)', (dialect) => {
  let store: TestStore;
  let gw: GatewayFixture;
  let accounts: AccountService;

  beforeEach(async () => {
    store = await freshStore(dialect);
    accounts = new AccountService({ store, box: secretBoxFromKey(randomBytes(32)) });
    gw = await gatewayFor(store, {}, { accounts });
  });
  afterEach(async () => {
    await gw.app.close();
    await store.destroy();
  });

  it('tells a session who it is and which permissions it holds; nobody else', async () => {
    await accounts.addUser(operatorGrantor('test'), {
      username: 'lin.viewer',
      role: 'viewer',
      password: 'Viewer-Passw0rd-123!',
    });
    const login = await gw.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'lin.viewer', password: 'Viewer-Passw0rd-123!' },
    });
    const token = (login.json() as { token: string }).token;
    const res = await gw.app.inject({
      method: 'GET',
      url: '/v1/auth/session',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toMatchObject({
      username: 'lin.viewer',
      role: 'viewer',
      permissions: [...ROLE_PERMISSIONS.viewer].sort(),
      mustChangePassword: false,
    });
    for (const authorization of [undefined, 'Bearer wgs_forged', `Bearer ${token}x`]) {
      const refused = await gw.app.inject({
        method: 'GET',
        url: '/v1/auth/session',
        headers: authorization ? { authorization } : {},
      });
      expect(refused.statusCode).toBe(401);
    }
  });

  it('answers service quality per bucket, interface, partner and sales channel', async () => {
    await seed(store);
    const res = await gw.call(
      'GET',
      `/v1/stats/quality?from=${new Date(T0).toISOString()}&to=${new Date(T0 + 3 * HOUR).toISOString()}&bucket=1h`,
    );
    expect(res.statusCode).toBe(200);
    const q = res.json();
    expect(q.totals).toMatchObject({ received: 6, failed: 1, shipped: 4 });
    expect(q.totals.successRate).toBeCloseTo(5 / 6);
    expect(q.series.received).toEqual([4, 2, 0]);
    expect(q.series.failed).toEqual([1, 0, 0]);
    expect(q.series.successRate).toEqual([0.75, 1, null]);
    const alpha = q.partners.find((p: { partner: string }) => p.partner === 'carrier-alpha');
    // One waybill within the hour, one after two hours: half on time, mean wait (1 min + 2 h) / 2.
    expect(alpha).toMatchObject({
      shipments: 2,
      delivered: 1,
      onTimeRate: 0.5,
      avgWaitMs: (60_000 + 2 * HOUR) / 2,
    });
    const beta = q.partners.find((p: { partner: string }) => p.partner === 'carrier-beta');
    expect(beta).toMatchObject({ shipments: 2, exceptions: 1, onTimeRate: 1 });
    expect(q.sources).toEqual([
      { source: 'shop-a', received: 4, failed: 1, cancelled: 0, successRate: 0.75 },
      { source: 'shop-b', received: 2, failed: 0, cancelled: 0, successRate: 1 },
    ]);
  });

  it('counts the hub API calls per route from the call audit', async () => {
    await gw.call('GET', '/v1/orders?limit=1');
    await gw.call('GET', '/v1/orders/ord_00000000000000000000000000');
    await new Promise((r) => setTimeout(r, 300)); // the audit is written after the answer
    await gw.app.close(); // drains the audit writer
    gw = await gatewayFor(store, {}, { accounts });
    const res = await gw.call('GET', '/v1/stats/quality?bucket=5m');
    const routes = res.json().interfaces as Array<{ route: string; calls: number; clientErrors: number }>;
    expect(routes.find((r) => r.route === 'GET /v1/orders')).toMatchObject({ calls: 1, clientErrors: 0 });
    expect(routes.find((r) => r.route === 'GET /v1/orders/:id')).toMatchObject({ calls: 1, clientErrors: 1 });
  });

  it("breaks a month's errors down per partner and error code", async () => {
    await seed(store);
    const res = await gw.call('GET', '/v1/stats/partner-errors?month=2026-11');
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b.partners).toEqual([
      {
        partner: 'carrier-alpha',
        shipments: 2,
        byStatus: { delivered: 1, in_transit: 1 },
        errors: 1,
        errorRate: 1 / 3,
        codes: [{ code: 'partner_rejected', retrying: 0, dead: 1, total: 1 }],
      },
      {
        partner: 'carrier-beta',
        shipments: 2,
        byStatus: { exception: 1, in_transit: 1 },
        errors: 1,
        errorRate: 1 / 3,
        codes: [{ code: 'partner_unavailable', retrying: 1, dead: 0, total: 1 }],
      },
    ]);
    expect(b.failedOrders).toEqual([{ source: 'shop-a', count: 1 }]);
    const october = await gw.call('GET', '/v1/stats/partner-errors?month=2026-10');
    expect(october.json().partners).toEqual([]);
  });

  it('refuses windows it would not bound, bad months, and callers without partners:read', async () => {
    const tooMany = await gw.call('GET', '/v1/stats/quality?from=2020-01-01T00:00:00Z&bucket=5m');
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.code).toBe('invalid_request');
    const backwards = await gw.call(
      'GET',
      '/v1/stats/quality?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z',
    );
    expect(backwards.statusCode).toBe(400);
    for (const month of ['2026-13', '26-11', '2026-11-01', '2026-11 or 1=1']) {
      const bad = await gw.call('GET', `/v1/stats/partner-errors?month=${encodeURIComponent(month)}`);
      expect(bad.statusCode).toBe(400);
    }
    const key = await gw.keyWith({ scopes: ['orders:read'] });
    for (const path of ['/v1/stats/quality', '/v1/stats/partner-errors?month=2026-11']) {
      const res = await gw.callAs(key, 'GET', path);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('missing_permission');
    }
  });
});
