/**
 * The demo's last act: the sandbox carriers bill the month's parcels (with planted
 * over-charges), the hub pulls the bills, reconciles them with the sandbox bank's FX rates and
 * is scored on what it found: every planted line flagged, nothing else.
 */
import { fileURLToPath } from 'node:url';
import { loadRateCards } from '../pipeline/settlement/cards.js';
import { pullBill } from '../pipeline/settlement/bills.js';
import { HttpFxSource } from '../pipeline/settlement/fx.js';
import { reconcileBill } from '../pipeline/settlement/reconcile.js';
import type { SandboxBilling } from '../sandbox/billing.js';
import type { Store } from '../store/db.js';
import { linesOf } from '../store/settlement.js';

export interface DemoSettlement {
  billLines: number;
  planted: number;
  found: number;
  falsePositives: number;
}

export const CARD_DIR = fileURLToPath(new URL('../../config/rate-cards', import.meta.url));

export async function settleDemo(
  store: Store,
  sandboxUrl: string,
  billing: SandboxBilling,
): Promise<DemoSettlement> {
  const book = loadRateCards(CARD_DIR);
  const period = new Date().toISOString().slice(0, 7);
  const fx = new HttpFxSource(sandboxUrl);
  const out: DemoSettlement = { billLines: 0, planted: 0, found: 0, falsePositives: 0 };
  for (const carrier of ['carrier-alpha', 'carrier-beta']) {
    const received = await pullBill(store, book, carrier, period, sandboxUrl);
    await reconcileBill(store, book, received.billId, { actor: 'demo', fx });
    const planted = new Set((billing.bill(carrier, period)?.planted ?? []).map((p) => p.lineNo));
    const lines = await linesOf(store.db, received.billId);
    out.billLines += lines.length;
    out.planted += planted.size;
    for (const l of lines) {
      if (l.status === 'ok') continue;
      if (planted.has(l.line_no)) out.found++;
      else out.falsePositives++;
    }
  }
  return out;
}
