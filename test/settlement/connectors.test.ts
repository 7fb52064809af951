/**
 * Bills and FX rates through connectors of the contract, against the sandbox over real HTTP:
 * carrier-alpha's and carrier-beta's `bills.fetch`, the sandbox bank's `fx.rates` — each connector
 * built from the registry as the hub builds it, and the sandbox written apart from them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorFor } from '../../src/connectors/catalogue.js';
import { createHttpClient, type HttpClient } from '../../src/connectors/http.js';
import { requiredCredentials } from '../../src/connectors/settings.js';
import type { CarrierConnector, ConnectorDefinition } from '../../src/connectors/types.js';
import { PartnerCallError } from '../../src/connectors/errors.js';
import { LOOPBACK_ALLOWED } from '../../src/domain/network-policy.js';
import { loadRateCards } from '../../src/pipeline/settlement/cards.js';
import { pullBill } from '../../src/pipeline/settlement/bills.js';
import { fxSourceAt, resolveRate } from '../../src/pipeline/settlement/fx.js';
import { reconcileBill } from '../../src/pipeline/settlement/reconcile.js';
import { getFxRate } from '../../src/store/settlement.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/server.js';
import { bankRate } from '../../src/sandbox/bank.js';
import { freshStore, type TestStore } from '../helpers/stores.js';
import { shipOrders } from './helpers.js';

const book = loadRateCards(new URL('../../config/rate-cards', import.meta.url).pathname);

describe('settlement partners on the connector contract', () => {
  let sb: SandboxHandle;
  let http: HttpClient;
  let store: TestStore;
  const carrier = (id: string): CarrierConnector => {
    const def = connectorFor('carrier', id) as Extract<ConnectorDefinition, { kind: 'carrier' }>;
    const credentials = Object.fromEntries(
      requiredCredentials(def.manifest.settings).map((n) => [n, `test-${n}`]),
    );
    return def.create({ partnerId: id, baseUrl: sb.url, credentials }, http);
  };
  beforeAll(async () => {
    sb = await startSandbox({ port: 0, billing: { overchargeShare: 0.3 } });
    http = createHttpClient({ network: LOOPBACK_ALLOWED });
    store = await freshStore('sqlite');
  });
  afterAll(async () => {
    await http.close();
    await sb.close();
    await store.destroy();
  });

  it('registers sandbox-bank as a finance connector serving fx.rates, and bills.fetch on both carriers', () => {
    expect(connectorFor('finance', 'sandbox-bank')?.manifest.capabilities).toEqual(['fx.rates']);
    for (const id of ['carrier-alpha', 'carrier-beta'])
      expect(connectorFor('carrier', id)?.manifest.capabilities).toContain('bills.fetch');
  });

  it("takes the day's rate from the sandbox bank through its connector and records it once", async () => {
    const fx = fxSourceAt(sb.url);
    try {
      expect(await fx.rate('USD', 'CNY', '2026-11-30')).toBe(bankRate('USD', 'CNY', '2026-11-30'));
      expect(await fx.rate('USD', 'XXX', '2026-11-30')).toBeUndefined();
      const r = await resolveRate(store, 'EUR', 'CNY', '2026-11-30', fx);
      expect(r).toEqual({
        base: 'EUR',
        quote: 'CNY',
        day: '2026-11-30',
        rate: bankRate('EUR', 'CNY', '2026-11-30'),
        source: 'sandbox-bank',
      });
      expect(await getFxRate(store.db, 'EUR', 'CNY', '2026-11-30')).toMatchObject({ source: 'sandbox-bank' });
    } finally {
      await fx.close();
    }
  });

  it("pulls each carrier's bill through its connector, keeps it raw, and finds exactly what was planted", async () => {
    // The helper ships its orders in November 2026.
    const period = '2026-11';
    const fx = fxSourceAt(sb.url);
    try {
      for (const [id, prefix] of [
        ['carrier-alpha', 'ca'],
        ['carrier-beta', 'cb'],
      ] as const) {
        // The hub's shipments and the carrier's own ledger of the same parcels.
        const entries = await shipOrders(store, id, 30, prefix);
        for (const e of entries) sb.billing.ledger.record(e);
        const received = await pullBill(store, book, carrier(id), period);
        expect(received.created).toBe(true);
        const summary = await reconcileBill(store, book, received.billId, { actor: 'test', fx });
        const planted = sb.billing
          .bill(id, period)!
          .planted.map((p) => p.lineNo)
          .sort((a, b) => a - b);
        expect(planted.length).toBeGreaterThan(0);
        const lines = await store.db
          .selectFrom('settlement_lines' as never)
          .select(['line_no', 'status'] as never[])
          .where('bill_id' as never, '=', received.billId as never)
          .execute();
        const flagged = (lines as unknown as { line_no: number; status: string }[])
          .filter((l) => l.status !== 'ok')
          .map((l) => l.line_no)
          .sort((a, b) => a - b);
        expect([id, flagged]).toEqual([id, planted]);
        expect(summary.fx).toMatchObject({ source: 'sandbox-bank' });
      }
      // A month the carrier refuses to bill is the carrier's refusal, typed, not a crash.
      await expect(carrier('carrier-alpha').fetchBill!('2026-13')).rejects.toBeInstanceOf(PartnerCallError);
    } finally {
      await fx.close();
    }
  });
});
