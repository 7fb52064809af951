/** Queries of fee settlement [003-5.9]: expected charges, bills and lines, FX rates, disputes. */
import type { Kysely } from 'kysely';
import type { Database, OrdersTable, ShipmentsTable } from './schema.js';
import type { Executor } from './transaction.js';
import type {
  FxRatesTable,
  SettlementBillsTable,
  SettlementChargesTable,
  SettlementDisputesTable,
  SettlementLinesTable,
  SettlementTables,
} from './settlement-schema.js';

export type * from './settlement-schema.js';

function sdb(ex: Executor): Kysely<Database & SettlementTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<SettlementTables>();
}

// Expected charges

export async function upsertCharge(ex: Executor, row: SettlementChargesTable): Promise<void> {
  await sdb(ex)
    .insertInto('settlement_charges')
    .values(row)
    .onConflict((oc) =>
      oc.column('shipment_id').doUpdateSet({
        card_id: row.card_id,
        currency: row.currency,
        zone: row.zone,
        chargeable_grams: row.chargeable_grams,
        components: row.components,
        total: row.total,
        basis: row.basis,
        computed_at: row.computed_at,
        card_version: row.card_version,
        declared_grams: row.declared_grams,
        measured_grams: row.measured_grams,
        measured_dims: row.measured_dims,
        measured_source: row.measured_source,
        measured_at: row.measured_at,
      }),
    )
    .execute();
}

export async function chargeOfShipment(
  ex: Executor,
  shipmentId: string,
): Promise<SettlementChargesTable | undefined> {
  return sdb(ex)
    .selectFrom('settlement_charges')
    .selectAll()
    .where('shipment_id', '=', shipmentId)
    .executeTakeFirst();
}

/** The shipment of a carrier's waybill, if the hub stored one. */
export async function shipmentIdOfWaybill(
  ex: Executor,
  carrier: string,
  waybillNo: string,
): Promise<string | undefined> {
  const r = await ex
    .selectFrom('shipments')
    .select('id')
    .where('carrier', '=', carrier)
    .where('waybill_no', '=', waybillNo)
    .executeTakeFirst();
  return r?.id;
}

export async function chargesForWaybills(
  ex: Executor,
  carrier: string,
  waybillNos: readonly string[],
): Promise<SettlementChargesTable[]> {
  if (waybillNos.length === 0) return [];
  const out: SettlementChargesTable[] = [];
  for (let i = 0; i < waybillNos.length; i += 500) {
    out.push(
      ...(await sdb(ex)
        .selectFrom('settlement_charges')
        .selectAll()
        .where('carrier', '=', carrier)
        .where('waybill_no', 'in', waybillNos.slice(i, i + 500))
        .execute()),
    );
  }
  return out;
}

/** Shipments of this carrier among these waybills (a billed waybill the hub knows). */
export async function shipmentsForWaybills(
  ex: Executor,
  carrier: string,
  waybillNos: readonly string[],
): Promise<Pick<ShipmentsTable, 'id' | 'waybill_no' | 'order_id' | 'created_at'>[]> {
  const out: Pick<ShipmentsTable, 'id' | 'waybill_no' | 'order_id' | 'created_at'>[] = [];
  for (let i = 0; i < waybillNos.length; i += 500) {
    out.push(
      ...(await ex
        .selectFrom('shipments')
        .select(['id', 'waybill_no', 'order_id', 'created_at'])
        .where('carrier', '=', carrier)
        .where('waybill_no', 'in', waybillNos.slice(i, i + 500))
        .execute()),
    );
  }
  return out;
}

/** Shipments that have a waybill but no expected charge yet, oldest first. */
export async function unpricedShipments(
  ex: Executor,
  limit: number,
): Promise<Pick<ShipmentsTable, 'id' | 'carrier' | 'waybill_no' | 'order_id' | 'created_at'>[]> {
  return sdb(ex)
    .selectFrom('shipments')
    .leftJoin('settlement_charges', 'settlement_charges.shipment_id', 'shipments.id')
    .select([
      'shipments.id',
      'shipments.carrier',
      'shipments.waybill_no',
      'shipments.order_id',
      'shipments.created_at',
    ])
    .where('settlement_charges.shipment_id', 'is', null)
    .orderBy('shipments.created_at', 'asc')
    .limit(limit)
    .execute();
}

export async function shipmentWithOrder(
  ex: Executor,
  shipmentId: string,
): Promise<{ shipment: ShipmentsTable; order: OrdersTable } | undefined> {
  const shipment = await ex
    .selectFrom('shipments')
    .selectAll()
    .where('id', '=', shipmentId)
    .executeTakeFirst();
  if (!shipment) return undefined;
  const order = await ex
    .selectFrom('orders')
    .selectAll()
    .where('id', '=', shipment.order_id)
    .executeTakeFirst();
  return order ? { shipment, order } : undefined;
}

/** Waybills of a carrier created in [fromMs, toMs) that no bill of the carrier has a line for. */
export async function unbilledWaybills(
  ex: Executor,
  carrier: string,
  fromMs: number,
  toMs: number,
): Promise<string[]> {
  const rows = await sdb(ex)
    .selectFrom('shipments')
    .select('shipments.waybill_no')
    .where('shipments.carrier', '=', carrier)
    .where('shipments.created_at', '>=', fromMs)
    .where('shipments.created_at', '<', toMs)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('settlement_lines')
            .innerJoin('settlement_bills', 'settlement_bills.id', 'settlement_lines.bill_id')
            .select('settlement_lines.line_no')
            .whereRef('settlement_lines.waybill_no', '=', 'shipments.waybill_no')
            .where('settlement_bills.partner_id', '=', carrier),
        ),
      ),
    )
    .orderBy('shipments.waybill_no')
    .execute();
  return rows.map((r) => r.waybill_no);
}

/** Units shipped per order (the sum of its lines' quantities), for warehouse bills. */
export async function orderUnits(
  ex: Executor,
  orderIds: readonly string[],
): Promise<{ id: string; units: number }[]> {
  const out: { id: string; units: number }[] = [];
  for (let i = 0; i < orderIds.length; i += 500) {
    const rows = await ex
      .selectFrom('orders')
      .select(['id', 'items'])
      .where('id', 'in', orderIds.slice(i, i + 500))
      .execute();
    for (const r of rows)
      out.push({
        id: r.id,
        units: (JSON.parse(r.items) as { quantity: number }[]).reduce((n, l) => n + l.quantity, 0),
      });
  }
  return out;
}

// Bills and lines

/** Stores a bill and its lines; false (and nothing written) when the partner's bill number exists. */
export async function insertBill(
  ex: Executor,
  bill: SettlementBillsTable,
  lines: readonly SettlementLinesTable[],
): Promise<boolean> {
  const res = await sdb(ex)
    .insertInto('settlement_bills')
    .values(bill)
    .onConflict((oc) => oc.columns(['partner_id', 'bill_no']).doNothing())
    .executeTakeFirst();
  if (!res.numInsertedOrUpdatedRows) return false;
  for (let i = 0; i < lines.length; i += 200)
    await sdb(ex)
      .insertInto('settlement_lines')
      .values(lines.slice(i, i + 200))
      .execute();
  return true;
}

export async function findBillByNo(
  ex: Executor,
  partnerId: string,
  billNo: string,
): Promise<SettlementBillsTable | undefined> {
  return sdb(ex)
    .selectFrom('settlement_bills')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('bill_no', '=', billNo)
    .executeTakeFirst();
}

export async function getBill(ex: Executor, id: string): Promise<SettlementBillsTable | undefined> {
  return sdb(ex).selectFrom('settlement_bills').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function billsOf(
  ex: Executor,
  partnerId: string,
  period: string,
): Promise<SettlementBillsTable[]> {
  return sdb(ex)
    .selectFrom('settlement_bills')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('period', '=', period)
    .orderBy('issued_on')
    .orderBy('bill_no')
    .execute();
}

export async function linesOf(ex: Executor, billId: string): Promise<SettlementLinesTable[]> {
  return sdb(ex)
    .selectFrom('settlement_lines')
    .selectAll()
    .where('bill_id', '=', billId)
    .orderBy('line_no')
    .execute();
}

/** Replaces a bill's lines with their reconciled form and marks the bill reconciled. */
export async function saveReconciliation(
  ex: Executor,
  billId: string,
  lines: readonly SettlementLinesTable[],
  nowMs: number,
): Promise<void> {
  await sdb(ex).deleteFrom('settlement_lines').where('bill_id', '=', billId).execute();
  for (let i = 0; i < lines.length; i += 200)
    await sdb(ex)
      .insertInto('settlement_lines')
      .values(lines.slice(i, i + 200))
      .execute();
  await sdb(ex)
    .updateTable('settlement_bills')
    .set({ status: 'reconciled', reconciled_at: nowMs })
    .where('id', '=', billId)
    .execute();
}

export async function setBillPaid(ex: Executor, billId: string, paid: string): Promise<boolean> {
  const r = await sdb(ex)
    .updateTable('settlement_bills')
    .set({ paid })
    .where('id', '=', billId)
    .executeTakeFirst();
  return Boolean(r.numUpdatedRows);
}

// FX rates

export async function getFxRate(
  ex: Executor,
  base: string,
  quote: string,
  day: string,
): Promise<FxRatesTable | undefined> {
  return sdb(ex)
    .selectFrom('fx_rates')
    .selectAll()
    .where('base', '=', base)
    .where('quote', '=', quote)
    .where('day', '=', day)
    .executeTakeFirst();
}

/** Records a rate; a manual entry replaces the day's rate, a fetched one never does. */
export async function putFxRate(ex: Executor, row: FxRatesTable, replace: boolean): Promise<void> {
  await sdb(ex)
    .insertInto('fx_rates')
    .values(row)
    .onConflict((oc) =>
      replace
        ? oc.columns(['base', 'quote', 'day']).doUpdateSet({
            rate: row.rate,
            source: row.source,
            recorded_at: row.recorded_at,
          })
        : oc.columns(['base', 'quote', 'day']).doNothing(),
    )
    .execute();
}

// Disputes

export async function insertDispute(ex: Executor, row: SettlementDisputesTable): Promise<void> {
  await sdb(ex).insertInto('settlement_disputes').values(row).execute();
}

export async function getDispute(ex: Executor, id: string): Promise<SettlementDisputesTable | undefined> {
  return sdb(ex).selectFrom('settlement_disputes').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Applies a change only if the dispute is still in `from` (two operators cannot both move it). */
export async function updateDispute(
  ex: Executor,
  id: string,
  from: string,
  set: Partial<Omit<SettlementDisputesTable, 'id' | 'partner_id' | 'bill_id' | 'created_at'>>,
): Promise<boolean> {
  const r = await sdb(ex)
    .updateTable('settlement_disputes')
    .set(set)
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Boolean(r.numUpdatedRows);
}

export async function disputesOf(
  ex: Executor,
  f: { partnerId?: string; billIds?: readonly string[]; status?: string },
): Promise<SettlementDisputesTable[]> {
  let q = sdb(ex).selectFrom('settlement_disputes').selectAll();
  if (f.partnerId) q = q.where('partner_id', '=', f.partnerId);
  if (f.billIds) {
    if (f.billIds.length === 0) return [];
    q = q.where('bill_id', 'in', [...f.billIds]);
  }
  if (f.status) q = q.where('status', '=', f.status);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Open disputes on a line (one at a time per line). */
export async function activeDisputeForLine(
  ex: Executor,
  billId: string,
  lineNo: number | null,
): Promise<SettlementDisputesTable | undefined> {
  let q = sdb(ex)
    .selectFrom('settlement_disputes')
    .selectAll()
    .where('bill_id', '=', billId)
    .where('status', '!=', 'resolved');
  q = lineNo === null ? q.where('line_no', 'is', null) : q.where('line_no', '=', lineNo);
  return q.executeTakeFirst();
}
