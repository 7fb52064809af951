/**
 * Queries of operations (issue 15): call statistics written by every node and read by alerts and
 * reports, alerts, notifications, incidents and their timeline, the knowledge base, shipment
 * delay exceptions and the shipments a delay check looks at.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';
import type {
  OpAlertsTable,
  OpCallMinutesTable,
  OpIncidentEventsTable,
  OpIncidentsTable,
  OpKnowledgeTable,
  OpNotificationsTable,
  OpReportRunsTable,
  OpShipmentExceptionsTable,
  OperationsTables,
} from './operations-schema.js';

export type * from './operations-schema.js';

function odb(ex: Executor): Kysely<Database & OperationsTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<OperationsTables>();
}

// Call statistics

/** Writes a node's running totals of some minutes (the latest totals replace earlier ones). */
export async function upsertCallMinutes(ex: Executor, rows: readonly OpCallMinutesTable[]): Promise<void> {
  for (const row of rows) {
    await odb(ex)
      .insertInto('op_call_minutes')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['minute', 'node', 'interface', 'partner']).doUpdateSet({
          calls: row.calls,
          ok: row.ok,
          dead: row.dead,
          deferred: row.deferred,
          latency_ms_sum: row.latency_ms_sum,
          latency_buckets: row.latency_buckets,
          codes: row.codes,
        }),
      )
      .execute();
  }
}

/** Every node's minutes in [fromMs, toMs), optionally of one partner or interface. */
export async function callMinutes(
  ex: Executor,
  q: { fromMs: number; toMs: number; partner?: string; iface?: string },
): Promise<OpCallMinutesTable[]> {
  let query = odb(ex)
    .selectFrom('op_call_minutes')
    .selectAll()
    .where('minute', '>=', q.fromMs)
    .where('minute', '<', q.toMs);
  if (q.partner !== undefined) query = query.where('partner', '=', q.partner);
  if (q.iface !== undefined) query = query.where('interface', '=', q.iface);
  return query.orderBy('minute').execute();
}

// Alerts

/**
 * Inserts a firing alert unless one of the same rule and subject is already firing (the partial
 * unique index of migration 021): false when another evaluator got there first.
 */
export async function insertAlert(ex: Executor, row: OpAlertsTable): Promise<boolean> {
  const res = await odb(ex)
    .insertInto('op_alerts')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function updateAlert(ex: Executor, id: string, changes: Partial<OpAlertsTable>): Promise<void> {
  await odb(ex).updateTable('op_alerts').set(changes).where('id', '=', id).execute();
}

/** The alert of a rule and subject still firing, if any (at most one: alerts are de-duplicated). */
export async function firingAlert(
  ex: Executor,
  rule: string,
  subject: string,
): Promise<OpAlertsTable | undefined> {
  return odb(ex)
    .selectFrom('op_alerts')
    .selectAll()
    .where('rule', '=', rule)
    .where('subject', '=', subject)
    .where('status', '=', 'firing')
    .executeTakeFirst();
}

/** How often a rule fired for a subject since `sinceMs` (flapping detection). */
export async function firesSince(
  ex: Executor,
  rule: string,
  subject: string,
  sinceMs: number,
): Promise<number> {
  const row = await odb(ex)
    .selectFrom('op_alerts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('rule', '=', rule)
    .where('subject', '=', subject)
    .where('fired_at', '>=', sinceMs)
    .where('status', '!=', 'pending')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Alerts whose condition holds but not yet for their rule's `for` (Prometheus' "pending"):
 * `fired_at` is when the condition started holding. Kept in the store so the `for` timer
 * survives the evaluation lease moving to another node.
 */
export async function pendingAlerts(ex: Executor): Promise<OpAlertsTable[]> {
  return odb(ex)
    .selectFrom('op_alerts')
    .selectAll()
    .where('status', '=', 'pending')
    .orderBy('fired_at')
    .execute();
}

/** Drops the pending alert of a rule and subject (it fired, or its condition cleared first). */
export async function deletePendingAlerts(ex: Executor, rule: string, subject?: string): Promise<void> {
  let q = odb(ex).deleteFrom('op_alerts').where('status', '=', 'pending').where('rule', '=', rule);
  if (subject !== undefined) q = q.where('subject', '=', subject);
  await q.execute();
}

export async function firingAlerts(ex: Executor): Promise<OpAlertsTable[]> {
  return odb(ex).selectFrom('op_alerts').selectAll().where('status', '=', 'firing').execute();
}

export async function getAlert(ex: Executor, id: string): Promise<OpAlertsTable | undefined> {
  return odb(ex).selectFrom('op_alerts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listAlerts(
  ex: Executor,
  q: { status?: string; limit: number; fromMs?: number; toMs?: number },
): Promise<OpAlertsTable[]> {
  let query = odb(ex).selectFrom('op_alerts').selectAll();
  // Pending alerts (a `for` timer running) are listed only when asked for by status.
  query = q.status ? query.where('status', '=', q.status) : query.where('status', '!=', 'pending');
  if (q.fromMs !== undefined) query = query.where('fired_at', '>=', q.fromMs);
  if (q.toMs !== undefined) query = query.where('fired_at', '<', q.toMs);
  return query.orderBy('fired_at', 'desc').limit(q.limit).execute();
}

// Notifications

export async function insertNotification(ex: Executor, row: OpNotificationsTable): Promise<void> {
  await odb(ex).insertInto('op_notifications').values(row).execute();
}

export async function listNotifications(
  ex: Executor,
  q: { alertId?: string; shipmentId?: string; status?: string; fromMs?: number; limit: number },
): Promise<OpNotificationsTable[]> {
  let query = odb(ex).selectFrom('op_notifications').selectAll();
  if (q.alertId) query = query.where('alert_id', '=', q.alertId);
  if (q.shipmentId) query = query.where('shipment_id', '=', q.shipmentId);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.fromMs !== undefined) query = query.where('at', '>=', q.fromMs);
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
}

/** Notifications held through quiet hours and not yet delivered, oldest first. */
export async function heldNotifications(ex: Executor, limit: number): Promise<OpNotificationsTable[]> {
  return odb(ex)
    .selectFrom('op_notifications')
    .selectAll()
    .where('status', '=', 'held_quiet_hours')
    .where('delivered_at', 'is', null)
    .orderBy('at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Claims a held notification for delivery; false when another caller claimed it first. */
export async function markHeldDelivered(ex: Executor, id: string, atMs: number): Promise<boolean> {
  const res = await odb(ex)
    .updateTable('op_notifications')
    .set({ delivered_at: atMs })
    .where('id', '=', id)
    .where('delivered_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

// Leases

/**
 * Takes or renews the lease `name` for `holder` until `nowMs + ttlMs`, unless another holder's
 * lease is still running. True when `holder` holds it now. One statement, so two nodes asking at
 * once cannot both win.
 */
export async function acquireLease(
  ex: Executor,
  name: string,
  holder: string,
  nowMs: number,
  ttlMs: number,
): Promise<boolean> {
  const res = await odb(ex)
    .insertInto('op_leases')
    .values({ name, holder, expires_at: nowMs + ttlMs })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: nowMs + ttlMs })
        .where((eb) => eb.or([eb('op_leases.holder', '=', holder), eb('op_leases.expires_at', '<=', nowMs)])),
    )
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** The languages of a period's report already written by some node. */
export async function reportRunsOf(ex: Executor, period: string, date: string): Promise<OpReportRunsTable[]> {
  return odb(ex)
    .selectFrom('op_report_runs')
    .selectAll()
    .where('period', '=', period)
    .where('date', '=', date)
    .execute();
}

/** Records a written report; false when another node had recorded it first. */
export async function recordReportRun(ex: Executor, row: OpReportRunsTable): Promise<boolean> {
  const res = await odb(ex)
    .insertInto('op_report_runs')
    .values(row)
    .onConflict((oc) => oc.columns(['period', 'date', 'lang']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Gives a lease up (a node stopping), so another node takes over at its next turn. */
export async function releaseLease(ex: Executor, name: string, holder: string): Promise<void> {
  await odb(ex).deleteFrom('op_leases').where('name', '=', name).where('holder', '=', holder).execute();
}

export async function leaseHolder(
  ex: Executor,
  name: string,
): Promise<{ holder: string; expiresAt: number } | undefined> {
  const row = await odb(ex).selectFrom('op_leases').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? { holder: row.holder, expiresAt: Number(row.expires_at) } : undefined;
}

// Incidents

export async function insertIncident(ex: Executor, row: OpIncidentsTable): Promise<void> {
  await odb(ex).insertInto('op_incidents').values(row).execute();
}

export async function updateIncident(
  ex: Executor,
  id: string,
  changes: Partial<OpIncidentsTable>,
  onlyStatus?: string,
): Promise<boolean> {
  let q = odb(ex).updateTable('op_incidents').set(changes).where('id', '=', id);
  if (onlyStatus) q = q.where('status', '=', onlyStatus);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function getIncident(ex: Executor, id: string): Promise<OpIncidentsTable | undefined> {
  return odb(ex).selectFrom('op_incidents').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The incidents of these ids (those that exist), for showing them beside their alerts. */
export async function incidentsByIds(ex: Executor, ids: readonly string[]): Promise<OpIncidentsTable[]> {
  if (ids.length === 0) return [];
  return odb(ex)
    .selectFrom('op_incidents')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
}

export async function listIncidents(
  ex: Executor,
  q: { status?: string; limit: number; fromMs?: number; toMs?: number },
): Promise<OpIncidentsTable[]> {
  let query = odb(ex).selectFrom('op_incidents').selectAll();
  if (q.status) query = query.where('status', '=', q.status);
  if (q.fromMs !== undefined) query = query.where('opened_at', '>=', q.fromMs);
  if (q.toMs !== undefined) query = query.where('opened_at', '<', q.toMs);
  return query.orderBy('opened_at', 'desc').limit(q.limit).execute();
}

export async function insertIncidentEvent(ex: Executor, row: OpIncidentEventsTable): Promise<void> {
  await odb(ex).insertInto('op_incident_events').values(row).execute();
}

export async function incidentEvents(ex: Executor, incidentId: string): Promise<OpIncidentEventsTable[]> {
  return odb(ex)
    .selectFrom('op_incident_events')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('at')
    .orderBy('id')
    .execute();
}

// Knowledge base

export async function insertKnowledge(ex: Executor, row: OpKnowledgeTable): Promise<void> {
  await odb(ex).insertInto('op_knowledge').values(row).execute();
}

export async function allKnowledge(ex: Executor): Promise<OpKnowledgeTable[]> {
  return odb(ex).selectFrom('op_knowledge').selectAll().orderBy('created_at').execute();
}

// Delay exceptions

/** Records an exception once per shipment and reason; false when it was already recorded. */
export async function insertShipmentException(
  ex: Executor,
  row: OpShipmentExceptionsTable,
): Promise<boolean> {
  const res = await odb(ex)
    .insertInto('op_shipment_exceptions')
    .values(row)
    .onConflict((oc) => oc.columns(['shipment_id', 'reason']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function markExceptionNotified(ex: Executor, id: string, atMs: number): Promise<void> {
  await odb(ex)
    .updateTable('op_shipment_exceptions')
    .set({ notified_at: atMs })
    .where('id', '=', id)
    .execute();
}

/** Open exceptions of shipments that scanned again, were delivered or left customs: resolved. */
export async function resolveExceptions(ex: Executor, ids: readonly string[], atMs: number): Promise<void> {
  if (ids.length === 0) return;
  await odb(ex)
    .updateTable('op_shipment_exceptions')
    .set({ resolved_at: atMs })
    .where('id', 'in', ids)
    .where('resolved_at', 'is', null)
    .execute();
}

export async function listShipmentExceptions(
  ex: Executor,
  q: { open?: boolean; limit: number; shipmentId?: string },
): Promise<OpShipmentExceptionsTable[]> {
  let query = odb(ex).selectFrom('op_shipment_exceptions').selectAll();
  if (q.open) query = query.where('resolved_at', 'is', null);
  if (q.shipmentId) query = query.where('shipment_id', '=', q.shipmentId);
  return query.orderBy('detected_at', 'desc').limit(q.limit).execute();
}

/** A shipment not yet at its end, with what a delay check needs of its order. */
export interface ActiveShipment {
  id: string;
  orderId: string;
  carrier: string;
  waybillNo: string;
  status: string;
  estimatedDelivery: string | null;
  lastEventAt: number | null;
  createdAt: number;
  destination: string;
  source: string;
}

const ENDED = ['delivered', 'returned', 'exception'];

export async function activeShipments(ex: Executor, limit: number): Promise<ActiveShipment[]> {
  const rows = await odb(ex)
    .selectFrom('shipments as s')
    .innerJoin('orders as o', 'o.id', 's.order_id')
    .select([
      's.id',
      's.order_id',
      's.carrier',
      's.waybill_no',
      's.status',
      's.estimated_delivery',
      's.last_event_at',
      's.created_at',
      'o.destination_country',
      'o.source',
    ])
    .where('s.status', 'not in', ENDED)
    .orderBy('s.created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    orderId: r.order_id,
    carrier: r.carrier,
    waybillNo: r.waybill_no,
    status: r.status,
    estimatedDelivery: r.estimated_delivery,
    lastEventAt: r.last_event_at,
    createdAt: r.created_at,
    destination: r.destination_country,
    source: r.source,
  }));
}

/** Transit times (ms, creation to last event) of recently delivered shipments per carrier and destination. */
export async function deliveredTransits(
  ex: Executor,
  sinceMs: number,
): Promise<Array<{ carrier: string; destination: string; transitMs: number }>> {
  const rows = await odb(ex)
    .selectFrom('shipments as s')
    .innerJoin('orders as o', 'o.id', 's.order_id')
    .select(['s.carrier', 'o.destination_country', 's.created_at', 's.last_event_at'])
    .where('s.status', '=', 'delivered')
    .where('s.created_at', '>=', sinceMs)
    .where('s.last_event_at', 'is not', null)
    .limit(50_000)
    .execute();
  return rows.map((r) => ({
    carrier: r.carrier,
    destination: r.destination_country,
    transitMs: Number(r.last_event_at) - Number(r.created_at),
  }));
}

/** Dead jobs per kind and partner that died in [fromMs, toMs) (the report's dead letters). */
export async function deadLettersBetween(
  ex: Executor,
  fromMs: number,
  toMs: number,
): Promise<Array<{ kind: string; partner: string | null; n: number }>> {
  const rows = await odb(ex)
    .selectFrom('jobs')
    .select(['kind', 'partner_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'dead')
    .where('updated_at', '>=', fromMs)
    .where('updated_at', '<', toMs)
    .groupBy(['kind', 'partner_id'])
    .execute();
  return rows.map((r) => ({ kind: r.kind, partner: r.partner_id, n: Number(r.n) }));
}
