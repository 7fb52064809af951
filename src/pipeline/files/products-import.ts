/**
 * `waygate products import FILE.csv|xlsx`: the product catalogue from a spreadsheet, one product
 * per row. Every row is checked first and every problem reported by row and column; only a file
 * without problems is saved, in one transaction (nothing half-written), and the `needs_data`
 * orders it completes move on in that same transaction.
 */
import { basename } from 'node:path';
import { WaygateError, type Product } from '../../domain/index.js';
import type { Store } from '../../store/db.js';
import { productIssues, saveProducts, type ProductsSaved } from '../catalogue.js';
import { readTableRequiring, type TableFile } from './table.js';

/** File column → product field, in the order a template lists them. */
export const PRODUCT_COLUMNS = {
  sku: 'sku',
  hs_code: 'hsCode',
  origin_country: 'originCountry',
  name_en: 'nameEn',
  name_zh: 'nameZh',
  weight_grams: 'weightGrams',
  declared_value: 'declaredValue',
  currency: 'currency',
} as const satisfies Record<string, keyof Product>;
type Column = keyof typeof PRODUCT_COLUMNS;
const COLUMN_OF = new Map(Object.entries(PRODUCT_COLUMNS).map(([c, f]) => [f, c as Column]));

export interface RowProblem {
  /** The spreadsheet row (the header is row 1). */
  row: number;
  column: string;
  message: string;
}

export interface ProductsImportResult extends ProductsSaved {
  file: string;
  rows: number;
  /** Empty when the file was saved; otherwise nothing was saved. */
  problems: RowProblem[];
  saved: boolean;
}

export interface ProductsImportOptions {
  actor: string;
  /** Check only: report problems, save nothing. */
  checkOnly?: boolean;
  /** Called as rows are checked and as products are written. */
  onProgress?: (phase: 'check' | 'save', done: number, total: number) => void;
  nowMs?: number;
}

export async function importProducts(
  store: Store,
  file: TableFile,
  opts: ProductsImportOptions,
): Promise<ProductsImportResult> {
  const table = await readTableRequiring(file, Object.keys(PRODUCT_COLUMNS));
  const empty = { created: 0, updated: 0, unchanged: 0, released: [], stillWaiting: [] };
  const base = { file: basename(file.path), rows: table.rows.length };
  if (table.rows.length === 0) {
    throw new WaygateError('products_invalid', `${base.file} has a header but no product rows`, [
      { field: 'file', message: 'holds no product rows' },
    ]);
  }
  const candidates = table.rows.map((r) => {
    const p: Record<string, string | number> = {};
    for (const [col, field] of Object.entries(PRODUCT_COLUMNS)) {
      const v = r.values[col];
      if (v === undefined) continue;
      p[field] = field === 'weightGrams' && /^\d{1,9}$/.test(v) ? Number(v) : v;
    }
    return p;
  });
  const problems: RowProblem[] = [];
  const CHUNK = 500;
  for (let i = 0; i < candidates.length; i += CHUNK) {
    const chunk = candidates.slice(i, i + CHUNK);
    for (const issue of productIssues(chunk, '', false)) problems.push(toRowProblem(issue, i, table.rows));
    opts.onProgress?.('check', Math.min(i + CHUNK, candidates.length), candidates.length);
  }
  // A repeated SKU is reported against the row it first appeared on (rows, not chunk indexes).
  const firstRow = new Map<string, number>();
  candidates.forEach((p, i) => {
    const sku = typeof p.sku === 'string' ? p.sku : undefined;
    const row = table.rows[i]?.row ?? 0;
    if (sku === undefined) return;
    const prior = firstRow.get(sku);
    if (prior === undefined) firstRow.set(sku, row);
    else problems.push({ row, column: 'sku', message: `repeats the SKU of row ${prior}` });
  });
  problems.sort((a, b) => a.row - b.row || a.column.localeCompare(b.column));
  if (problems.length > 0 || opts.checkOnly) return { ...base, ...empty, problems, saved: false };
  const saved = await saveProducts(store, candidates, opts.actor, {
    maxProducts: Number.MAX_SAFE_INTEGER,
    ...(opts.onProgress ? { onProgress: (done, total) => opts.onProgress?.('save', done, total) } : {}),
    ...(opts.nowMs !== undefined ? { nowMs: opts.nowMs } : {}),
  });
  return { ...base, ...saved, problems: [], saved: true };
}

function toRowProblem(
  issue: { field: string; message: string },
  offset: number,
  rows: readonly { row: number }[],
): RowProblem {
  // `/{index}/{field}…` → the spreadsheet row and the column the field came from.
  const [, index = '', field = ''] = issue.field.split('/');
  const row = rows[offset + Number(index)]?.row ?? 0;
  const column = COLUMN_OF.get(field as keyof Product) ?? (field || 'row');
  const hint =
    field === 'hsCode' && /pattern/.test(issue.message)
      ? ' (6, 8 or 10 digits; format the column as text so a leading 0 is kept)'
      : '';
  return { row, column, message: `${issue.message}${hint}` };
}
