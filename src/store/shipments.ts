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

const shipmentQuery = (ex: Executor, a: { carrier: string; waybillNo: string }) =>
  ex
    .selectFrom('shipments')
    .select(['id', 'order_id', 'status', 'estimated_delivery'])
    .where('carrier', '=', a.carrier)
    .where('waybill_no', '=', a.waybillNo);
/** The shipment of one carrier's waybill (tracking's read). */
export const shipmentByWaybill = compiled(shipmentQuery);
/** The same row, locked until the transaction ends (PostgreSQL; SQLite has one writer anyway). */
export const shipmentForUpdate = compiled((ex: Executor, a: { carrier: string; waybillNo: string }) =>
  shipmentQuery(ex, a).forUpdate(),
);
/** A shipment's status, last event and ETA as recomputed from its events. */
export const updateShipment = compiled(
  (ex, a: { id: string; status: string; lastEventAt: number | null; eta: string | null; nowMs: number }) =>
    ex
      .updateTable('shipments')
      .set({ status: a.status, last_event_at: a.lastEventAt, estimated_delivery: a.eta, updated_at: a.nowMs })
      .where('id', '=', a.id),
);

/** Waybills of `carrier` in one of `statuses` whose next poll is due, the longest-waiting first. */
export async function waybillsDueForPoll(
  ex: Executor,
  carrier: string,
  statuses: readonly string[],
  nowMs: number,
  limit: number,
): Promise<string[]> {
  const due = await ex
    .selectFrom('shipments')
    .select(['waybill_no'])
    .where('carrier', '=', carrier)
    .where('next_poll_at', '<=', nowMs)
    .where('status', 'in', [...statuses])
    .orderBy('next_poll_at')
    .limit(limit)
    .execute();
  return due.map((d) => d.waybill_no);
}

/** Sets when these waybills of `carrier` are next polled. */
export async function setNextPoll(
  ex: Executor,
  carrier: string,
  waybills: readonly string[],
  atMs: number,
): Promise<void> {
  if (waybills.length === 0) return;
  await ex
    .updateTable('shipments')
    .set({ next_poll_at: atMs })
    .where('carrier', '=', carrier)
    .where('waybill_no', 'in', [...waybills])
    .execute();
}
