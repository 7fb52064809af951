/** Shipment rows as the API shows them. */
import type { ShipmentStatus } from '../domain/index.js';
import type { Executor } from './transaction.js';
import type { ShipmentsTable } from './schema.js';
import { compiled } from './compiled.js';

export interface ShipmentView {
  id: string;
  orderId: string;
  carrier: string;
  waybillNo: string;
  status: ShipmentStatus;
  labelUrl: string | null;
  estimatedDelivery: string | null;
  lastEventAt: string | null;
  createdAt: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toShipmentView(r: ShipmentsTable): ShipmentView {
  return {
    id: r.id,
    orderId: r.order_id,
    carrier: r.carrier,
    waybillNo: r.waybill_no,
    status: r.status as ShipmentStatus,
    labelUrl: r.label_url,
    estimatedDelivery: r.estimated_delivery,
    lastEventAt: iso(r.last_event_at),
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export async function shipmentsForOrder(ex: Executor, orderId: string): Promise<ShipmentView[]> {
  const rows = await ex.selectFrom('shipments').selectAll().where('order_id', '=', orderId).execute();
  return rows.map(toShipmentView);
}

/** The shipment with this waybill number (of one carrier, when given). */
export async function findShipmentByWaybill(
  ex: Executor,
  waybillNo: string,
  carrier?: string,
): Promise<ShipmentView | undefined> {
  let q = ex.selectFrom('shipments').selectAll().where('waybill_no', '=', waybillNo);
  if (carrier) q = q.where('carrier', '=', carrier);
  const row = await q.executeTakeFirst();
  return row ? toShipmentView(row) : undefined;
}

const insertRow = compiled((ex, row: ShipmentsTable) =>
  ex
    .insertInto('shipments')
    .values(row)
    .onConflict((oc) => oc.column('order_id').doNothing()),
);

/** Stores a shipment; an order has at most one, so a second insert for it is a no-op. */
export async function insertShipment(ex: Executor, row: ShipmentsTable): Promise<boolean> {
  return Boolean((await insertRow(ex, row)).numAffectedRows);
}

const idForOrder = compiled((ex, a: { orderId: string }) =>
  ex.selectFrom('shipments').select('id').where('order_id', '=', a.orderId),
);

export async function shipmentIdForOrder(ex: Executor, orderId: string): Promise<string | undefined> {
  return (await idForOrder(ex, { orderId })).rows[0]?.id;
}
