/**
 * Orders out as files: an export of orders with their shipment (for people and for partners
 * that take files), and the manifest a carrier without an API gets for the parcels it is to
 * collect, so shipping never waits for an integration.
 *
 * Personal data: the orders export masks the recipient's name, phone, email and street unless
 * `includePersonalData` is set. The carrier manifest carries them in full: the carrier cannot
 * deliver without them, and it receives the same data through an API for API carriers.
 */
import { orderTotal, type Address, type OrderItem, WaygateError } from '../../domain/index.js';
import type { Store } from '../../store/db.js';
import { RECIPIENT_CONTEXT } from '../../store/orders.js';
import { manifestPage, orderReportPage } from '../../store/order-pages.js';
import { maskEmail, maskName, maskPhone } from '../../domain/masking.js';
export { maskEmail, maskName, maskPhone };
import { routeCarrier, type RoutingConfig } from '../routing.js';
import { openTableWriter, type Column, type FileFormat, type TableWriter } from './table.js';

const PAGE = 500;

export const ORDER_EXPORT_COLUMNS = [
  { key: 'orderId', type: 'text', width: 32 },
  { key: 'source', type: 'text' },
  { key: 'externalId', type: 'text', width: 16 },
  { key: 'status', type: 'text', width: 16 },
  { key: 'createdAt', type: 'text', width: 26 },
  { key: 'currency', type: 'text' },
  { key: 'totalValue', type: 'amount', width: 12 },
  { key: 'recipientName', type: 'text', width: 20 },
  { key: 'phone', type: 'text', width: 16 },
  { key: 'email', type: 'text', width: 24 },
  { key: 'line1', type: 'text', width: 24 },
  { key: 'line2', type: 'text' },
  { key: 'city', type: 'text', width: 16 },
  { key: 'state', type: 'text' },
  { key: 'postalCode', type: 'text', width: 12 },
  { key: 'country', type: 'text' },
  { key: 'lines', type: 'number' },
  { key: 'quantity', type: 'number' },
  { key: 'weightGrams', type: 'number', width: 12 },
  { key: 'carrier', type: 'text', width: 16 },
  { key: 'waybillNo', type: 'text', width: 18 },
  { key: 'shipmentStatus', type: 'text', width: 16 },
  { key: 'lastEventAt', type: 'text', width: 26 },
  { key: 'estimatedDelivery', type: 'text', width: 26 },
] as const satisfies readonly Column[];
type OrderExportKey = (typeof ORDER_EXPORT_COLUMNS)[number]['key'];

export const MANIFEST_COLUMNS = [
  { key: 'orderId', type: 'text', width: 32 },
  { key: 'externalId', type: 'text', width: 16 },
  { key: 'waybillNo', type: 'text', width: 18 },
  { key: 'recipientName', type: 'text', width: 20 },
  { key: 'phone', type: 'text', width: 16 },
  { key: 'email', type: 'text', width: 24 },
  { key: 'company', type: 'text' },
  { key: 'line1', type: 'text', width: 24 },
  { key: 'line2', type: 'text' },
  { key: 'city', type: 'text', width: 16 },
  { key: 'state', type: 'text' },
  { key: 'postalCode', type: 'text', width: 12 },
  { key: 'country', type: 'text' },
  { key: 'idNumber', type: 'text' },
  { key: 'items', type: 'text', width: 48 },
  { key: 'hsCodes', type: 'text', width: 16 },
  { key: 'quantity', type: 'number' },
  { key: 'weightGrams', type: 'number', width: 12 },
  { key: 'currency', type: 'text' },
  { key: 'declaredValue', type: 'amount', width: 14 },
] as const satisfies readonly Column[];
type ManifestKey = (typeof MANIFEST_COLUMNS)[number]['key'];

export interface ExportOrdersOptions {
  format: FileFormat;
  /** Order status (e.g. `accepted`, `delivered`). */
  status?: string;
  source?: string;
  /** Only orders shipped with this carrier. */
  carrier?: string;
  /** Created at or after this instant (ISO 8601). */
  from?: string;
  /** Created before this instant (ISO 8601). */
  to?: string;
  /** Recipient name, phone, email and street in clear (default: masked). */
  includePersonalData?: boolean;
}

export interface ExportResult {
  path: string;
  rows: number;
}

function instant(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new WaygateError('invalid_date', `${name} is not an ISO 8601 date or date-time`);
  return ms;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const totalQuantity = (items: readonly OrderItem[]) => items.reduce((n, i) => n + i.quantity, 0);
const totalWeight = (items: readonly OrderItem[]) =>
  items.reduce((g, i) => g + i.weightGrams * i.quantity, 0);

async function writeAll<K extends string>(
  writer: TableWriter<K>,
  fill: (w: TableWriter<K>) => Promise<void>,
): Promise<number> {
  try {
    await fill(writer);
    return await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** Writes one row per order (with its shipment's carrier, waybill and status). */
export async function exportOrders(
  store: Store,
  opts: ExportOrdersOptions,
  outPath: string,
): Promise<ExportResult> {
  const from = instant('from', opts.from);
  const to = instant('to', opts.to);
  const reveal = opts.includePersonalData === true;
  const writer = await openTableWriter<OrderExportKey>(outPath, opts.format, ORDER_EXPORT_COLUMNS, 'orders');
  const rows = await writeAll(writer, async (w) => {
    let after = '';
    for (;;) {
      const filter = { status: opts.status, source: opts.source, carrier: opts.carrier, from, to };
      const page = await orderReportPage(store.db, filter, after, PAGE);
      for (const r of page) {
        const recipient = JSON.parse(await store.keys.open(r.recipient, RECIPIENT_CONTEXT)) as Address;
        const items = JSON.parse(r.items) as OrderItem[];
        const hide = (v: string | undefined, mask: (s: string) => string) =>
          v === undefined ? null : reveal ? v : mask(v);
        await w.add({
          orderId: r.id,
          source: r.source,
          externalId: r.external_id,
          status: r.status,
          createdAt: iso(r.created_at),
          currency: r.currency,
          totalValue: r.total_value,
          recipientName: hide(recipient.name, maskName),
          phone: hide(recipient.phone, maskPhone),
          email: hide(recipient.email, maskEmail),
          line1: hide(recipient.line1, maskName),
          line2: hide(recipient.line2 || undefined, maskName),
          city: recipient.city,
          state: recipient.state,
          postalCode: recipient.postalCode,
          country: recipient.country,
          lines: items.length,
          quantity: totalQuantity(items),
          weightGrams: totalWeight(items),
          carrier: r.carrier,
          waybillNo: r.waybill_no,
          shipmentStatus: r.shipment_status,
          lastEventAt: iso(r.last_event_at),
          estimatedDelivery: r.estimated_delivery,
        });
      }
      if (page.length < PAGE) break;
      after = page.at(-1)!.id;
    }
  });
  return { path: outPath, rows };
}

export interface ManifestOptions {
  /**
   * Routing in force: orders that have no shipment yet (accepted, or failed because the carrier
   * could not be reached) and that route to this carrier are listed too.
   */
  routing?: RoutingConfig;
}

/** Shipment statuses in which a parcel is still with the shipper (the carrier has not scanned it). */
const NOT_HANDED_OVER = ['pending', 'info_received'];
/** Order statuses of orders still waiting for a waybill. */
const AWAITING_WAYBILL = ['accepted', 'failed'];

/**
 * The manifest for a carrier that takes files: every order routed to it and not yet shipped,
 * one row per order with recipient, items, weight and declared value.
 */
export async function exportShipmentsForCarrier(
  store: Store,
  carrier: string,
  outPath: string,
  format: FileFormat,
  opts: ManifestOptions = {},
): Promise<ExportResult> {
  const writer = await openTableWriter<ManifestKey>(outPath, format, MANIFEST_COLUMNS, 'manifest');
  const rows = await writeAll(writer, async (w) => {
    let after = '';
    for (;;) {
      const routing = opts.routing;
      const page = await manifestPage(
        store.db,
        {
          carrier,
          notHandedOver: NOT_HANDED_OVER,
          ...(routing ? { awaitingWaybill: AWAITING_WAYBILL } : {}),
        },
        after,
        PAGE,
      );
      for (const r of page) {
        if (r.waybill_no === null && routing && routeCarrier(routing, r.destination_country) !== carrier)
          continue;
        const recipient = JSON.parse(await store.keys.open(r.recipient, RECIPIENT_CONTEXT)) as Address;
        const items = JSON.parse(r.items) as OrderItem[];
        await w.add({
          orderId: r.id,
          externalId: r.external_id,
          waybillNo: r.waybill_no,
          recipientName: recipient.name,
          phone: recipient.phone,
          email: recipient.email,
          company: recipient.company,
          line1: recipient.line1,
          line2: recipient.line2,
          city: recipient.city,
          state: recipient.state,
          postalCode: recipient.postalCode,
          country: recipient.country,
          idNumber: recipient.idNumber,
          items: items.map((i) => `${i.quantity} x ${i.sku} ${i.description}`).join('; '),
          hsCodes: [...new Set(items.map((i) => i.hsCode))].join('; '),
          quantity: totalQuantity(items),
          weightGrams: totalWeight(items),
          currency: r.currency,
          declaredValue: orderTotal(items),
        });
      }
      if (page.length < PAGE) break;
      after = page.at(-1)!.id;
    }
  });
  return { path: outPath, rows };
}
