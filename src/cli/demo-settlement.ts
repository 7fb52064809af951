/**
 * The demo's last act: the sandbox carriers bill the month's parcels (with planted
 * over-charges), the hub pulls the bills, reconciles them with the sandbox bank's FX rates and
 * is scored on what it found: every planted line flagged, nothing else.
 */
import { fileURLToPath } from 'node:url';
import { loadRateCards } from '../pipeline/settlement/cards.js';
import { pullBill } from '../pipeline/settlement/bills.js';
import { fxSourceAt } from '../pipeline/settlement/fx.js';
import type { CarrierConnector } from '../connectors/types.js';
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
  carrier: (id: string) => Pick<CarrierConnector, 'manifest' | 'fetchBill'> | undefined,
): Promise<DemoSettlement> {
  const book = loadRateCards(CARD_DIR);
  const period = new Date().toISOString().slice(0, 7);
  // Bills through each carrier's connector (bills.fetch), rates through the bank's (fx.rates).
  const fx = fxSourceAt(sandboxUrl);
  const out: DemoSettlement = { billLines: 0, planted: 0, found: 0, falsePositives: 0 };
  try {
    await settleCarriers();
  } finally {
    await fx.close();
  }
  return out;

  async function settleCarriers(): Promise<void> {
    for (const id of ['carrier-alpha', 'carrier-beta']) {
      const connector = carrier(id);
      if (!connector) throw new Error(`the demo hub has no carrier ${id}`);
      const received = await pullBill(store, book, connector, period);
      await reconcileBill(store, book, received.billId, { actor: 'demo', fx });
      const planted = new Set((billing.bill(id, period)?.planted ?? []).map((p) => p.lineNo));
      const lines = await linesOf(store.db, received.billId);
      out.billLines += lines.length;
      out.planted += planted.size;
      for (const l of lines) {
        if (l.status === 'ok') continue;
        if (planted.has(l.line_no)) out.found++;
        else out.falsePositives++;
      }
    }
  }
}
