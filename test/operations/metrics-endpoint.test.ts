/**
 * `/metrics` on a running hub: scrapable from an allow-listed address, or with a key holding
 * metrics:read (HTTP Basic), refused otherwise; it counts a real journey's partner calls and
 * jobs, and no order's personal data reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { DIALECTS } from '../helpers/stores.js';
import { createApiKey } from '../../src/store/api-keys.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function scrape(h: Harness, headers: Record<string, string> = {}) {
  const res = await request(`${h.hub.url}/metrics`, { headers });
  return { status: res.statusCode, text: await res.body.text(), type: res.headers['content-type'] };
}

for (const dialect of DIALECTS) {
  describe(`the /metrics endpoint (${dialect})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ dialect });
    }, 60_000);
    afterAll(() => h?.close());

    it('refuses a scraper that is neither allow-listed nor holding a metrics:read key', async () => {
      const anon = await scrape(h);
      expect(anon.status).toBe(401);
      expect(JSON.parse(anon.text).error.code).toBe('auth_missing');
      const wrong = await scrape(h, { authorization: basic(h.key.keyId, 'not-the-secret') });
      expect(wrong.status).toBe(401);
      const narrow = await createApiKey(h.hub.store.db, h.hub.box, {
        name: 'no-metrics',
        scopes: ['orders:read'],
      });
      const denied = await scrape(h, { authorization: basic(narrow.keyId, narrow.secret) });
      expect(denied.status).toBe(403);
      expect(JSON.parse(denied.text).error.code).toBe('missing_permission');
    });

    it('counts a journey per interface and partner, with no personal data in any label', async () => {
      const orders = h.usOrders(3);
      for (const o of orders) expect((await h.postOrder(o)).status).toBe(202);
      await waitFor(async () => (await h.waybillCount()) >= 3, 30_000, 'waybills');
      const key = await createApiKey(h.hub.store.db, h.hub.box, {
        name: 'prometheus',
        scopes: ['metrics:read'],
      });
      let m = await scrape(h, { authorization: basic(key.keyId, key.secret) });
      await waitFor(
        async () => {
          m = await scrape(h, { authorization: basic(key.keyId, key.secret) });
          return /waygate_interface_calls_total\{interface="shipment.create",partner="carrier-alpha",outcome="ok",code="ok"\} [1-9]/.test(
            m.text,
          );
        },
        20_000,
        'shipment.create counted',
      );
      expect(m.status).toBe(200);
      expect(m.type).toContain('text/plain');
      expect(m.text).toMatch(
        /waygate_partner_requests_total\{partner="carrier-alpha",method="POST",outcome="success",code="20\d"\}/,
      );
      expect(m.text).toContain(
        'waygate_partner_request_duration_seconds_bucket{le="0.005",partner="carrier-alpha"',
      );
      expect(m.text).toMatch(
        /waygate_api_requests_total\{route="\/v1\/orders",method="POST",status="202"\} [3-9]/,
      );
      expect(m.text).toContain('waygate_channel_up{partner="carrier-alpha",tier="A",channel="primary"} 1');
      expect(m.text).toContain('waygate_queue_jobs{');
      for (const o of orders) {
        for (const value of [
          o.recipient.name,
          o.recipient.phone,
          o.recipient.email,
          o.externalId,
          o.recipient.line1,
        ])
          if (value) expect(m.text).not.toContain(value);
      }
    }, 60_000);

    it('serves an allow-listed address without credentials, applied on a policy reload', async () => {
      h.editPolicy((doc) => {
        doc.metrics = { allow: ['127.0.0.0/8', '::1/128'] };
      });
      await waitFor(async () => (await scrape(h)).status === 200, 10_000, 'allow-list applied');
      const m = await scrape(h);
      expect(m.text).toContain('# TYPE waygate_interface_calls_total counter');
    }, 30_000);
  });
}
