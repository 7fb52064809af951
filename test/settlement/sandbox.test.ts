/** The sandbox bank's rates and the carriers' bill endpoints over real HTTP on loopback. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/server.js';
import { bankRate } from '../../src/sandbox/bank.js';

describe('sandbox bank and bills', () => {
  let sb: SandboxHandle;
  beforeAll(async () => {
    sb = await startSandbox({ port: 0, billing: { overchargeShare: 0.5 } });
  });
  afterAll(async () => {
    await sb.close();
  });

  it('serves a daily rate, different by day, and refuses bad queries', async () => {
    const get = (q: string) => fetch(`${sb.url}/bank/v1/rates?${q}`);
    const r = await get('base=USD&quote=CNY&date=2026-12-01');
    expect(r.status).toBe(200);
    const body = (await r.json()) as { rate: string };
    expect(body.rate).toBe(bankRate('USD', 'CNY', '2026-12-01'));
    expect(bankRate('USD', 'CNY', '2026-12-01')).not.toBe(bankRate('USD', 'CNY', '2026-12-02'));
    expect(body.rate).toMatch(/^7\.\d{6}$/);
    expect((await get('base=USD&quote=XXX&date=2026-12-01')).status).toBe(404);
    expect((await get('base=usd&quote=CNY&date=2026-12-01')).status).toBe(400);
  });

  it("bills the carriers' ledger, the same bill on every request", async () => {
    const period = new Date().toISOString().slice(0, 7);
    sb.billing.ledger.record({
      carrier: 'carrier-alpha',
      waybillNo: 'AL00000001',
      country: 'DE',
      weightGrams: 800,
      atMs: Date.now(),
    });
    sb.billing.ledger.record({
      carrier: 'carrier-beta',
      waybillNo: 'BT00000001',
      country: 'US',
      weightGrams: 2500,
      atMs: Date.now(),
    });
    const a1 = await (await fetch(`${sb.url}/alpha/v1/bills?period=${period}`)).text();
    const a2 = await (await fetch(`${sb.url}/alpha/v1/bills?period=${period}`)).text();
    expect(a1).toBe(a2);
    expect(JSON.parse(a1)).toMatchObject({ currency: 'USD', billing_period: period });
    const b = await fetch(`${sb.url}/beta/bills.csv?period=${period}`);
    expect(b.headers.get('content-type')).toContain('text/csv');
    expect(await b.text()).toContain('BT00000001');
    expect((await fetch(`${sb.url}/alpha/v1/bills?period=2026-13`)).status).toBe(400);
    const issued = (await (await fetch(`${sb.url}/__billing`)).json()) as { bills: unknown[] };
    expect(issued.bills).toHaveLength(2);
  });
});
