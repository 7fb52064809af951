/**
 * Orders from a file (CSV or xlsx), for sales channels whose API is down or who have none.
 *
 * One row per order line; rows with the same externalId form one order, whose order-level cells
 * (currency, recipient) may be repeated on every line or given on the first one only. Each order
 * is checked against the canonical OrderInput schema and accepted through `acceptOrder`, so it is
 * stored with its shipment job in one transaction and de-duplicated by source + externalId:
 * importing the same file again creates nothing twice. A bad row rejects its whole order (never
 * half of one) and never the other orders.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { WaygateError, type OrderInput } from '../../domain/index.js';
import type { Store } from '../../store/db.js';
import { acceptOrder } from '../accept-order.js';
import { PARTNER_ID, readTableRequiring, type TableFile, type TableRow } from './table.js';
import { fieldErrors, validateOrderInput } from './validate.js';

/** Order-level columns and where each lands in OrderInput. */
const ORDER_COLUMNS = {
  externalId: '/externalId',
  currency: '/currency',
  recipientName: '/recipient/name',
  phone: '/recipient/phone',
  email: '/recipient/email',
  line1: '/recipient/line1',
  line2: '/recipient/line2',
  city: '/recipient/city',
  state: '/recipient/state',
  postalCode: '/recipient/postalCode',
  country: '/recipient/country',
} as const;
type OrderColumn = keyof typeof ORDER_COLUMNS;

export const ITEM_COLUMNS = [
  'sku',
  'description',
  'quantity',
  'unitPrice',
  'hsCode',
  'originCountry',
  'weightGrams',
] as const;
type ItemColumn = (typeof ITEM_COLUMNS)[number];

/** Every column of the orders file layout, in order. */
export const ORDER_FILE_COLUMNS = [...(Object.keys(ORDER_COLUMNS) as OrderColumn[]), ...ITEM_COLUMNS];

const REQUIRED_COLUMNS = [
  'externalId',
  'currency',
  'recipientName',
  'line1',
  'city',
  'country',
  // hsCode, originCountry and weightGrams may be left out: the product catalogue fills them.
  'sku',
  'description',
  'quantity',
  'unitPrice',
] as const;

const INTEGER_COLUMNS: ReadonlySet<ItemColumn> = new Set(['quantity', 'weightGrams']);

export interface ImportOrdersOptions {
  /** Partner id of the sales channel the file comes from. */
  source: string;
  /** Who imports the file (user or system), recorded as the caller. */
  actor: string;
  nowMs?: number;
}

export interface RowRejection {
  row: number;
  externalId: string;
  /** The column at fault (or `file` for the file as a whole). */
  field: string;
  message: string;
}

export interface ImportedOrder {
  externalId: string;
  orderId: string;
  created: boolean;
  rows: number[];
}

export interface ImportOrdersResult {
  /** Orders created by this import. */
  accepted: number;
  /** Orders the hub already had (same source + externalId). */
  duplicates: number;
  rejected: RowRejection[];
  orders: ImportedOrder[];
}

interface OrderGroup {
  externalId: string;
  rows: TableRow[];
}

export async function importOrders(
  store: Store,
  file: TableFile,
  opts: ImportOrdersOptions,
): Promise<ImportOrdersResult> {
  if (!PARTNER_ID.test(opts.source)) {
    throw new WaygateError('invalid_source', `source ${JSON.stringify(opts.source)} is not a partner id`);
  }
  const table = await readTableRequiring(file, REQUIRED_COLUMNS);
  const result: ImportOrdersResult = { accepted: 0, duplicates: 0, rejected: [], orders: [] };
  const groups = new Map<string, OrderGroup>();
  for (const r of table.rows) {
    const externalId = r.values.externalId;
    if (!externalId) {
      result.rejected.push({ row: r.row, externalId: '', field: 'externalId', message: 'is required' });
      continue;
    }
    let group = groups.get(externalId);
    if (!group) groups.set(externalId, (group = { externalId, rows: [] }));
    group.rows.push(r);
  }
  for (const group of groups.values()) {
    const built = buildOrder(group, opts.source);
    if ('errors' in built) {
      result.rejected.push(...built.errors);
      continue;
    }
    try {
      const res = await acceptOrder(store, built.input, {
        caller: opts.actor,
        raw: {
          partnerId: opts.source,
          kind: 'order.file',
          dedupeKey: createHash('sha256').update(JSON.stringify(built.input)).digest('hex'),
          body: JSON.stringify({
            file: basename(file.path),
            actor: opts.actor,
            rows: group.rows.map((r) => ({ row: r.row, ...r.values })),
          }),
        },
        ...(opts.nowMs !== undefined ? { nowMs: opts.nowMs } : {}),
      });
      if (res.created) result.accepted++;
      else result.duplicates++;
      result.orders.push({
        externalId: group.externalId,
        orderId: res.id,
        created: res.created,
        rows: group.rows.map((r) => r.row),
      });
    } catch (err) {
      if (!(err instanceof WaygateError) || err.kind !== 'invalid_input') throw err;
      const pointer = (err.details as { field?: string } | null)?.field ?? '';
      result.rejected.push({ ...locate(group, pointer), externalId: group.externalId, message: err.message });
    }
  }
  return result;
}

function buildOrder(group: OrderGroup, source: string): { input: OrderInput } | { errors: RowRejection[] } {
  const errors: RowRejection[] = [];
  const order: Partial<Record<OrderColumn, string>> = {};
  for (const col of Object.keys(ORDER_COLUMNS) as OrderColumn[]) {
    for (const r of group.rows) {
      const v = r.values[col];
      if (v === undefined) continue;
      const prior = order[col];
      if (prior === undefined) order[col] = v;
      else if (prior !== v) {
        errors.push({
          row: r.row,
          externalId: group.externalId,
          field: col,
          message: `differs from an earlier row of the same order (${JSON.stringify(prior)})`,
        });
      }
    }
  }
  const recipient: Record<string, string> = {};
  for (const [col, pointer] of Object.entries(ORDER_COLUMNS)) {
    const v = order[col as OrderColumn];
    if (v !== undefined && pointer.startsWith('/recipient/'))
      recipient[pointer.slice('/recipient/'.length)] = v;
  }
  const items = group.rows.map((r) => {
    const item: Record<string, string | number> = {};
    for (const col of ITEM_COLUMNS) {
      const v = r.values[col];
      if (v === undefined) continue;
      item[col] = INTEGER_COLUMNS.has(col) && /^-?\d{1,15}$/.test(v) ? Number(v) : v;
    }
    return item;
  });
  const candidate: Record<string, unknown> = {
    source,
    externalId: group.externalId,
    recipient,
    items,
  };
  if (order.currency !== undefined) candidate.currency = order.currency;
  if (!validateOrderInput(candidate)) {
    for (const fe of fieldErrors(validateOrderInput.errors)) {
      errors.push({ ...locate(group, fe.pointer), externalId: group.externalId, message: fe.message });
    }
  }
  if (errors.length > 0) return { errors: errors.sort((a, b) => a.row - b.row) };
  return { input: candidate as OrderInput };
}

/** The row and column a JSON pointer into the built OrderInput came from. */
function locate(group: OrderGroup, pointer: string): { row: number; field: string } {
  const first = group.rows[0]!.row;
  const item = /^\/items\/(\d+)(?:\/([A-Za-z]+))?/.exec(pointer);
  if (item) {
    const row = group.rows[Number(item[1])]?.row ?? first;
    return { row, field: item[2] ?? 'sku' };
  }
  const col = (Object.keys(ORDER_COLUMNS) as OrderColumn[]).find((c) => ORDER_COLUMNS[c] === pointer);
  if (col) {
    // An order-level value comes from the first row that gives it.
    const row = group.rows.find((r) => r.values[col] !== undefined)?.row ?? first;
    return { row, field: col };
  }
  if (pointer === '/items') return { row: first, field: 'sku' };
  return { row: first, field: pointer.replace(/^\//, '') || 'row' };
}
