/**
 * Reconciliation against rate cards: a sandbox carrier's bill with planted over-charges has
 * exactly those lines flagged, each with the component that explains it; a bill of correct lines
 * has none; the expected charge is a pure, exact function of the shipment.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import {
  computeExpectedCharge,
  formatAmount,
  mapBill,
  parseRateCardText,
  reconcileLines,
  RateCardError,
  type CarrierRateCard,
  type ExpectedCharge,
  type LineVerdict,
} from '../../src/domain/settlement/index.js';
import {
  issueSandboxBill,
  renderAlphaBill,
  renderBetaBill,
  type LedgerEntry,
  type PlantedKind,
} from '../../src/sandbox/billing.js';

const cardFile = (name: string) => new URL(`../../config/rate-cards/${name}.yaml`, import.meta.url);
const loadCard = (name: string) => {
  const card = parseRateCardText(readFileSync(cardFile(name), 'utf8'), `${name}.yaml`);
  if (card.kind !== 'carrier') throw new Error('carrier card expected');
  return card;
};
const alpha = loadCard('carrier-alpha-express');
const beta = loadCard('carrier-beta-standard');

/** A seeded generator so a failure can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COUNTRIES = ['US', 'CA', 'MX', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'SE', 'PL', 'AU', 'JP', 'BR'];
const US_POSTCODES = ['10001', '78701', '80203', '94105', '60601'];

function ledger(carrier: string, n: number, random: () => number): LedgerEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const country = COUNTRIES[Math.floor(random() * COUNTRIES.length)]!;
    return {
      carrier,
      waybillNo: `${carrier === 'carrier-alpha' ? 'AL' : 'BT'}${String(i).padStart(8, '0')}`,
      country,
      ...(country === 'US' ? { postalCode: US_POSTCODES[Math.floor(random() * US_POSTCODES.length)]! } : {}),
      // Mostly small parcels, as cross-border e-commerce ships them, and up to 25 kg: every break
      // of both cards, the heaviest included.
      weightGrams: 50 + Math.floor(random() * (random() < 0.75 ? 2_950 : 24_950)),
      atMs: Date.UTC(2026, 10, 1 + (i % 28)),
    };
  });
}

function expectedFor(card: CarrierRateCard, entries: readonly LedgerEntry[]) {
  const byWaybill = new Map<string, ExpectedCharge>();
  for (const e of entries) {
    const r = computeExpectedCharge(card, {
      country: e.country,
      ...(e.postalCode ? { postalCode: e.postalCode } : {}),
      lines: [{ quantity: 1, weightGrams: e.weightGrams }],
    });
    if (r.ok) byWaybill.set(e.waybillNo, r.charge);
  }
  return (waybillNo: string) => {
    const expected = byWaybill.get(waybillNo);
    return expected ? { card, expected } : undefined;
  };
}

const COMPONENT_OF: Record<PlantedKind, string> = {
  weight_break: 'weight',
  zone: 'zone',
  duplicate: 'duplicate',
  surcharge: 'surcharge',
};

function flagged(verdicts: readonly LineVerdict[]) {
  return verdicts
    .filter((v) => v.status !== 'ok')
    .map((v) => ({
      lineNo: v.lineNo,
      component: v.status === 'duplicate' ? 'duplicate' : v.discrepancies.map((d) => d.component).join('+'),
    }));
}

describe('rate cards', () => {
  it('reads the shipped cards', () => {
    expect(alpha.zones.DE).toBe('B');
    expect(alpha.stepGrams).toBe(500);
    expect(beta.currency).toBe('EUR');
    expect(alpha.bills?.format).toBe('json');
  });

  it('reports every bad field as file:line: field message', () => {
    const text = [
      'id: bad-card',
      'partner: carrier-alpha',
      'kind: carrier',
      'service: express',
      'currency: XYZ',
      'validFrom: "2026-01-01"',
      'validTo: "2025-01-01"',
      'dimDivisor: 5000',
      'weightStep: "0.5"',
      'zones: { A: [US, QQ] }',
      'breaks:',
      '  - { upToKg: "2", flat: { A: "8.00" } }',
      '  - { upToKg: "1", perKg: { A: "x", B: "1.00" } }',
    ].join('\n');
    let err: unknown;
    try {
      parseRateCardText(text, 'cards/bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RateCardError);
    expect((err as RateCardError).issues).toEqual([
      'cards/bad.yaml:5: currency must be an ISO 4217 currency code',
      'cards/bad.yaml:7: validTo must not be before validFrom',
      'cards/bad.yaml:10: zones.A.1 must be an ISO 3166-1 alpha-2 code',
      'cards/bad.yaml:13: breaks.1.upToKg must be above the previous break',
      'cards/bad.yaml:13: breaks.1.perKg.A must be a decimal string such as "12.50"',
      'cards/bad.yaml:13: breaks.1.perKg.B B is not a zone of this card',
    ]);
  });

  it('prices a known parcel exactly: zone, dimensional weight, step, fuel, remote area', () => {
    // 1.2 kg actual, 40×30×10 cm = 2.4 kg dimensional at 5000 → 2.5 kg chargeable, per-kg break.
    const r = computeExpectedCharge(alpha, {
      country: 'US',
      postalCode: '78701',
      lines: [{ quantity: 2, weightGrams: 600 }],
      dimsCm: { length: 40, width: 30, height: 10 },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.charge.zone).toBe('A');
    expect(r.charge.chargeableGrams).toBe(2500);
    const shown = r.charge.components.map((c) => [c.code, formatAmount(c.units, 'USD')]);
    // 2.5 × 6.10 = 15.25; fuel 12.5 % = 1.90625 → 1.91; remote area 6.00.
    expect(shown).toEqual([
      ['freight', '15.25'],
      ['fuel', '1.91'],
      ['remote_area', '6.00'],
    ]);
    expect(formatAmount(r.charge.totalUnits, 'USD')).toBe('23.16');
  });
});

describe('a carrier bill with planted over-charges', () => {
  it.each([
    ['carrier-alpha (JSON, states zone and weight)', alpha, renderAlphaBill, 7],
    ['carrier-beta (CSV, states no zone)', beta, renderBetaBill, 11],
  ] as const)('%s: exactly the planted lines are flagged, each by its component', (_, card, render, seed) => {
    const random = seeded(seed);
    const entries = ledger(card.partner, 400, random);
    const bill = issueSandboxBill(
      card,
      entries,
      { billNo: `INV-${seed}`, period: '2026-11', issuedOn: '2026-12-01' },
      { overchargeShare: 0.15, random },
    );
    expect(bill.planted.length).toBeGreaterThan(30);
    for (const kind of ['weight_break', 'zone', 'duplicate', 'surcharge'] as const)
      expect(bill.planted.filter((p) => p.kind === kind).length).toBeGreaterThan(3);

    const text = render(bill);
    const mapping = card.bills!;
    const source =
      mapping.format === 'json'
        ? ({ format: 'json', value: JSON.parse(text) } as const)
        : ({
            format: 'table',
            rows: (parse(text, { columns: true }) as Record<string, string>[]).map((values, i) => ({
              row: i + 2,
              values,
            })),
          } as const);
    const { bill: read, issues } = mapBill(card.partner, source, mapping);
    expect(issues).toEqual([]);
    const verdicts = reconcileLines(read!.lines, expectedFor(card, entries), {
      billCurrency: read!.currency,
      fxFor: () => undefined,
    });
    expect(flagged(verdicts)).toEqual(
      bill.planted.map((p) => ({ lineNo: p.lineNo, component: COMPONENT_OF[p.kind] })),
    );
    // The amounts: each over-charge is the billed line minus what was due, to the cent.
    for (const p of bill.planted.filter((x) => x.kind !== 'duplicate')) {
      const v = verdicts.find((x) => x.lineNo === p.lineNo)!;
      const billed = bill.lines.find((l) => l.lineNo === p.lineNo)!;
      expect(v.billedUnits).toBe(billed.totalUnits);
      expect(v.differenceUnits).toBeGreaterThan(0n);
      expect(v.discrepancies[0]!.differenceUnits).toBe(v.differenceUnits);
    }
  });

  it('finds no false positive on 1,000 correct lines of each carrier', () => {
    for (const card of [alpha, beta]) {
      const random = seeded(1000);
      const entries = ledger(card.partner, 1000, random);
      const bill = issueSandboxBill(
        card,
        entries,
        { billNo: 'INV-OK', period: '2026-11', issuedOn: '2026-12-01' },
        { overchargeShare: 0, random },
      );
      expect(bill.lines).toHaveLength(1000);
      const verdicts = reconcileLines(
        bill.lines.map((l) => ({ ...l, charges: l.charges })),
        expectedFor(card, entries),
        { billCurrency: card.currency, fxFor: () => undefined },
      );
      expect(verdicts.filter((v) => v.status !== 'ok')).toEqual([]);
    }
  });

  it('flags a line for a waybill the hub never shipped', () => {
    const verdicts = reconcileLines(
      [
        {
          lineNo: 1,
          waybillNo: 'ZZ99999999',
          charges: [{ code: 'freight', units: 80000n }],
          totalUnits: 80000n,
        },
      ],
      () => undefined,
      { billCurrency: 'USD', fxFor: () => undefined },
    );
    expect(verdicts[0]).toMatchObject({ status: 'unknown_waybill', differenceUnits: 80000n });
  });
});

describe('the expected charge (properties)', () => {
  const line = fc.record({
    quantity: fc.integer({ min: 0, max: 20 }),
    weightGrams: fc.integer({ min: 0, max: 1500 }),
  });
  const facts = fc.record({
    country: fc.constantFrom(...COUNTRIES),
    postalCode: fc.constantFrom('78701', '10001', 'T2P 1A1', 'EH1 1AA'),
    lines: fc.array(line, { minLength: 1, maxLength: 12 }),
    dims: fc.option(
      fc.record({
        length: fc.integer({ min: 1, max: 150 }),
        width: fc.integer({ min: 1, max: 80 }),
        height: fc.integer({ min: 1, max: 60 }),
      }),
      { nil: undefined },
    ),
  });

  it('does not depend on the order of the order lines, is never negative, and totals its components', () => {
    fc.assert(
      fc.property(facts, fc.boolean(), (f, useBeta) => {
        const card = useBeta ? beta : alpha;
        const base = { country: f.country, postalCode: f.postalCode, ...(f.dims ? { dimsCm: f.dims } : {}) };
        const a = computeExpectedCharge(card, { ...base, lines: f.lines });
        const b = computeExpectedCharge(card, { ...base, lines: [...f.lines].reverse() });
        const c = computeExpectedCharge(card, {
          ...base,
          lines: [...f.lines].sort((x, y) => x.weightGrams - y.weightGrams || x.quantity - y.quantity),
        });
        expect(b).toEqual(a);
        expect(c).toEqual(a);
        if (!a.ok) return;
        for (const comp of a.charge.components) expect(comp.units >= 0n).toBe(true);
        expect(a.charge.totalUnits).toBe(a.charge.components.reduce((s, x) => s + x.units, 0n));
        // Every component is a whole number of the currency's minor units (cents).
        for (const comp of a.charge.components) expect(comp.units % 100n).toBe(0n);
      }),
      { numRuns: 500 },
    );
  });
});
