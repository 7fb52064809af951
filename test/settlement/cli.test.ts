/** `waygate settlement reconcile|disputes|statement` against a store with a sandbox bill. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { localFieldCipher } from '../../src/security/field-cipher.js';
import { openStore } from '../../src/store/db.js';
import { loadRateCards } from '../../src/pipeline/settlement/cards.js';
import { receiveBill } from '../../src/pipeline/settlement/bills.js';
import { enterRate } from '../../src/pipeline/settlement/fx.js';
import { registerSettlementCommands } from '../../src/cli/settlement.js';
import { issueSandboxBill, renderAlphaBill } from '../../src/sandbox/billing.js';
import { shipOrders } from './helpers.js';

const cards = new URL('../../config/rate-cards', import.meta.url).pathname;
const book = loadRateCards(cards);

describe('waygate settlement', () => {
  let dir: string;
  let db: string;
  let planted = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'waygate-settle-cli-'));
    db = `sqlite:${join(dir, 'w.db')}`;
    const store = await openStore(db, { cipher: localFieldCipher });
    const entries = await shipOrders(store, 'carrier-alpha', 25, 'al');
    let s = 7;
    const bill = issueSandboxBill(
      book.carrierCard('carrier-alpha', '2026-11-01')!,
      entries,
      { billNo: 'C-1', period: '2026-11', issuedOn: '2026-12-01' },
      { overchargeShare: 0.4, random: () => ((s = (s * 48271) % 2147483647), s / 2147483647) },
    );
    planted = bill.planted.length;
    await receiveBill(store, book, {
      partnerId: 'carrier-alpha',
      format: 'json',
      body: renderAlphaBill(bill),
    });
    await enterRate(
      store,
      { base: 'USD', quote: 'CNY', rate: '7.05', day: '2026-12-01', source: 'manual' },
      't',
    );
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const base = ['--partner', 'carrier-alpha', '--period', '2026-11', '--cards', cards];

  it('reconciles, lists disputes and writes the statement', async () => {
    const rec = await runCli(registerSettlementCommands, [
      'settlement',
      'reconcile',
      ...base,
      '--db',
      db,
      '--json',
    ]);
    const r = JSON.parse(rec.out) as {
      bills: { flagged: number; fx: { rate: string } }[];
      neverBilled: string[];
    };
    expect(r.bills[0]!.flagged).toBe(planted);
    expect(r.bills[0]!.fx.rate).toBe('7.05');
    const text = await runCli(registerSettlementCommands, ['settlement', 'reconcile', ...base, '--db', db]);
    expect(text.out).toMatch(new RegExp(`C-1: \\d+ lines, ${planted} flagged`));
    const disputes = await runCli(registerSettlementCommands, [
      'settlement',
      'disputes',
      ...base,
      '--db',
      db,
      '--json',
    ]);
    expect(JSON.parse(disputes.out)).toEqual({ disputes: [] });
    const out = join(dir, 's.pdf');
    await runCli(registerSettlementCommands, [
      'settlement',
      'statement',
      ...base,
      '--db',
      db,
      '--format',
      'pdf',
      '--out',
      out,
    ]);
    expect(readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');
    const csv = await runCli(registerSettlementCommands, [
      'settlement',
      'statement',
      ...base,
      '--db',
      db,
      '--format',
      'csv',
    ]);
    expect(csv.out).toContain('阿尔法国际快递');
  });

  it('refuses a bad period before touching the store', async () => {
    await expect(
      runCli(registerSettlementCommands, [
        'settlement',
        'reconcile',
        '--partner',
        'carrier-alpha',
        '--period',
        '2026-13',
        '--db',
        db,
      ]),
    ).rejects.toThrow(/YYYY-MM/);
  });
});
