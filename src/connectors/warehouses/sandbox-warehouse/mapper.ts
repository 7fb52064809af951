/**
 * OWH dialect ⇄ canonical, pure functions. OWH's field names (item_code, qty_physical, ref_no,
 * ...) stay in this folder; what leaves it is canonical. A malformed answer or push is refused
 * with the field that is wrong.
 */
import { WaygateError } from '../../../domain/index.js';
import type {
  InboundReceiptRequest,
  OutboundRequest,
  OutboundStatus,
  StockEvent,
  StockLevel,
} from '../../types.js';
import { EVENT_KINDS, eventKind, GRADES, outboundState } from './codes.js';

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const SKU = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;

export function outboundBody(req: OutboundRequest) {
  const r = req.recipient;
  return {
    client_ref: req.orderId,
    ship_to: {
      name: r.name,
      phone: r.phone ?? '',
      line1: r.line1,
      line2: r.line2 ?? '',
      city: r.city,
      state: r.state ?? '',
      postcode: r.postalCode ?? '',
      country: r.country,
    },
    items: req.items.map((i) => ({ item_code: i.sku, qty: i.quantity })),
  };
}

export function asnBody(req: InboundReceiptRequest) {
  return {
    asn_ref: req.reference,
    items: req.lines.map((l) => ({ item_code: l.sku, qty_expected: l.quantity })),
  };
}

export interface InventoryPage {
  asOf: number;
  pageNo: number;
  totalPages: number;
  levels: StockLevel[];
}

/** One page of `GET /inventory`'s `data`; throws a message naming the bad field. */
export function inventoryPage(data: unknown): InventoryPage {
  if (!isObj(data)) throw new Error('data is not an object');
  const asOf = Date.parse(String(data.snapshot_at));
  if (!Number.isFinite(asOf)) throw new Error('data.snapshot_at is not a time');
  if (!Number.isInteger(data.page_no) || !Number.isInteger(data.total_pages))
    throw new Error('data.page_no/total_pages');
  if (!Array.isArray(data.rows)) throw new Error('data.rows is not a list');
  const levels = data.rows.map((row: unknown, i) => {
    if (!isObj(row) || typeof row.item_code !== 'string' || !SKU.test(row.item_code))
      throw new Error(`data.rows[${i}].item_code`);
    if (!Number.isSafeInteger(row.qty_physical)) throw new Error(`data.rows[${i}].qty_physical`);
    return {
      sku: row.item_code,
      onHand: row.qty_physical as number,
      ...(Number.isSafeInteger(row.qty_locked) ? { allocated: row.qty_locked as number } : {}),
    };
  });
  return { asOf, pageNo: data.page_no as number, totalPages: data.total_pages as number, levels };
}

function invalid(field: string, message: string): WaygateError {
  return new WaygateError(
    'stock_event_invalid',
    `the warehouse stock event is invalid: ${field} ${message}`,
    {
      field,
      errors: [{ field, message }],
    },
  );
}

/** A pushed OWH event as a canonical stock change; a malformed one is refused naming the field. */
export function stockEvent(body: unknown): StockEvent {
  if (!isObj(body)) throw invalid('/', 'must be an object');
  const id = body.event_id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw invalid('/event_id', 'is required');
  const kind = eventKind(body.event_type);
  if (!kind) throw invalid('/event_type', `must be one of ${Object.keys(EVENT_KINDS).join(', ')}`);
  if (typeof body.item_code !== 'string' || !SKU.test(body.item_code))
    throw invalid('/item_code', 'is not an item code');
  if (!Number.isSafeInteger(body.qty_change) || Math.abs(body.qty_change as number) > 1_000_000_000)
    throw invalid('/qty_change', 'must be an integer');
  const occurredAt = typeof body.occurred_at === 'string' ? Date.parse(body.occurred_at) : NaN;
  if (!Number.isFinite(occurredAt)) throw invalid('/occurred_at', 'must be an ISO 8601 time');
  const ref = body.ref_no;
  if (ref !== undefined && (typeof ref !== 'string' || ref.length > 128))
    throw invalid('/ref_no', 'must be a string');
  const event: StockEvent = {
    eventId: id,
    kind,
    sku: body.item_code,
    delta: body.qty_change as number,
    occurredAt,
    ...(ref ? { reference: ref } : {}),
  };
  if (kind === 'outbound_shipped') {
    if (typeof body.tracking_no === 'string' && /^[A-Za-z0-9-]{4,40}$/.test(body.tracking_no))
      event.waybillNo = body.tracking_no;
    if (typeof body.last_mile_carrier === 'string' && /^[a-z0-9-]{2,63}$/.test(body.last_mile_carrier))
      event.lastMileCarrier = body.last_mile_carrier;
  }
  if (kind === 'return_received') {
    const grade =
      typeof body.grade === 'string' && Object.hasOwn(GRADES, body.grade) ? GRADES[body.grade] : undefined;
    if (!grade) throw invalid('/grade', `must be one of ${Object.keys(GRADES).join(', ')}`);
    event.inspection = grade;
    if (body.qty_returned !== undefined) {
      if (!Number.isSafeInteger(body.qty_returned) || (body.qty_returned as number) < 0)
        throw invalid('/qty_returned', 'must be a whole number, not negative');
      event.quantity = body.qty_returned as number;
    }
  }
  return event;
}

/** An outbound order as OWH answers it (create or query); throws a message naming the bad field. */
export function outboundOrder(data: unknown): OutboundStatus {
  if (!isObj(data)) throw new Error('data is not an object');
  if (typeof data.ob_no !== 'string' || !/^[A-Za-z0-9-]{1,40}$/.test(data.ob_no))
    throw new Error('data.ob_no');
  const status: OutboundStatus = {
    outboundNo: data.ob_no,
    state: outboundState(data.ob_status),
    partnerCode: typeof data.ob_status === 'string' ? data.ob_status.slice(0, 40) : '',
  };
  if (status.state === 'shipped') {
    if (typeof data.tracking_no !== 'string' || !/^[A-Za-z0-9-]{4,40}$/.test(data.tracking_no))
      throw new Error('data.tracking_no');
    if (typeof data.last_mile_carrier !== 'string' || !/^[a-z0-9-]{2,63}$/.test(data.last_mile_carrier))
      throw new Error('data.last_mile_carrier');
    status.waybillNo = data.tracking_no;
    status.lastMileCarrier = data.last_mile_carrier;
  }
  return status;
}
