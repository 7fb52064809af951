/**
 * The rate cards in force, read from a folder of YAML files (`config/rate-cards/` by default).
 * Every file is checked and every issue of every file reported at once (file:line: field), so a
 * bad card never half-loads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cardValidOn,
  parseRateCardText,
  RateCardError,
  type BillMapping,
  type CarrierRateCard,
  type RateCard,
  type WarehouseRateCard,
} from '../../domain/settlement/index.js';

export const DEFAULT_RATE_CARD_DIR = 'config/rate-cards';

export class RateCardBook {
  readonly cards: readonly RateCard[];
  constructor(cards: readonly RateCard[]) {
    this.cards = cards;
  }

  partners(): string[] {
    return [...new Set(this.cards.map((c) => c.partner))].sort();
  }

  /** The partner's carrier card in force on `day` (the first listed when several are). */
  carrierCard(partnerId: string, day: string): CarrierRateCard | undefined {
    return this.cards.find(
      (c): c is CarrierRateCard => c.kind === 'carrier' && c.partner === partnerId && cardValidOn(c, day),
    );
  }

  /** The warehouse's card in force on `day`. */
  warehouseCard(partnerId: string, day: string): WarehouseRateCard | undefined {
    return this.cards.find(
      (c): c is WarehouseRateCard => c.kind === 'warehouse' && c.partner === partnerId && cardValidOn(c, day),
    );
  }

  /** Any card of the partner: its display name, tolerance and bill mapping. */
  anyCard(partnerId: string): RateCard | undefined {
    return this.cards.find((c) => c.partner === partnerId);
  }

  partnerName(partnerId: string): string {
    return this.anyCard(partnerId)?.partnerName ?? partnerId;
  }

  billMapping(partnerId: string): BillMapping | undefined {
    return this.cards.find((c) => c.partner === partnerId && c.bills)?.bills;
  }
}

export function loadRateCards(dir: string = DEFAULT_RATE_CARD_DIR): RateCardBook {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort();
  const cards: RateCard[] = [];
  const issues: string[] = [];
  for (const f of files) {
    const path = join(dir, f);
    try {
      cards.push(parseRateCardText(readFileSync(path, 'utf8'), path));
    } catch (err) {
      if (err instanceof RateCardError) issues.push(...err.issues);
      else throw err;
    }
  }
  const ids = new Map<string, string>();
  for (const c of cards) {
    if (ids.has(c.id)) issues.push(`${dir}: rate card id ${c.id} is used twice`);
    ids.set(c.id, c.partner);
  }
  if (issues.length) throw new RateCardError(issues);
  return new RateCardBook(cards);
}
