/**
 * Enriching an order's lines from the product catalogue. The rule (docs/catalogue.md):
 * a value the order carries is kept — the seller stated it for this order — and the catalogue
 * fills every customs field the line lacks. A line the catalogue cannot complete makes the
 * whole order wait in `needs_data`: it is kept, never shipped without its customs data.
 */
import {
  CUSTOMS_FIELDS,
  type CustomsField,
  type OrderItem,
  type OrderLine,
  type Product,
} from './schemas.js';

export interface MissingData {
  sku: string;
  /** The customs fields the line still lacks. */
  fields: CustomsField[];
}

export interface Enrichment {
  lines: OrderLine[];
  /** One entry per SKU still lacking data; empty when the order can ship. */
  missing: MissingData[];
}

export function missingFields(line: OrderLine): CustomsField[] {
  return CUSTOMS_FIELDS.filter((f) => line[f] === undefined);
}

export function enrichLines(
  lines: readonly OrderLine[],
  catalogue: ReadonlyMap<string, Product>,
): Enrichment {
  const missing: MissingData[] = [];
  const out = lines.map((line) => {
    const product = catalogue.get(line.sku);
    const next: OrderLine = product ? fillFrom(line, product) : { ...line };
    const fields = missingFields(next);
    if (fields.length > 0 && !missing.some((m) => m.sku === line.sku))
      missing.push({ sku: line.sku, fields });
    return next;
  });
  return { lines: out, missing };
}

function fillFrom(line: OrderLine, p: Product): OrderLine {
  return {
    ...line,
    hsCode: line.hsCode ?? p.hsCode,
    originCountry: line.originCountry ?? p.originCountry,
    weightGrams: line.weightGrams ?? p.weightGrams,
    declaredNameEn: line.declaredNameEn ?? p.nameEn,
    declaredNameZh: line.declaredNameZh ?? p.nameZh,
    declaredValue: line.declaredValue ?? { amount: p.declaredValue, currency: p.currency },
  };
}

/** The lines as shippable items when every customs field is present, else undefined. */
export function shippableItems(lines: readonly OrderLine[]): OrderItem[] | undefined {
  const items: OrderItem[] = [];
  for (const line of lines) {
    const { hsCode, originCountry, weightGrams } = line;
    if (hsCode === undefined || originCountry === undefined || weightGrams === undefined) return undefined;
    items.push({ ...line, hsCode, originCountry, weightGrams });
  }
  return items;
}

/** SKUs named by the lines, once each, in order. */
export function skusOf(lines: readonly OrderLine[]): string[] {
  return [...new Set(lines.map((l) => l.sku))];
}
