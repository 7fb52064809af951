import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Operations (issue 15): per-minute call statistics per interface and partner (what alerts and
 * reports read), alerts and every notification sent about them, incidents with their timeline,
 * the fault knowledge base, and the delay exceptions raised on shipments.
 */
export const operations = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('op_call_minutes')
    .addColumn('minute', ms, (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('interface', 'text', (c) => c.notNull())
    .addColumn('partner', 'text', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('dead', 'integer', (c) => c.notNull())
    .addColumn('deferred', 'integer', (c) => c.notNull())
    .addColumn('latency_ms_sum', 'double precision', (c) => c.notNull())
    .addColumn('latency_buckets', 'text', (c) => c.notNull())
    .addColumn('codes', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('op_call_minutes_pk', ['minute', 'node', 'interface', 'partner'])
    .execute();
  await db.schema
    .createTable('op_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('threshold', 'double precision')
    .addColumn('partner', 'text')
    .addColumn('interface', 'text')
    .addColumn('fired_at', ms, (c) => c.notNull())
    .addColumn('last_true_at', ms, (c) => c.notNull())
    .addColumn('resolved_at', ms)
    .addColumn('acked_at', ms)
    .addColumn('acked_by', 'text')
    .addColumn('escalated_at', ms)
    .addColumn('flapping', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('incident_id', 'text')
    .execute();
  await db.schema
    .createIndex('op_alerts_rule_subject')
    .on('op_alerts')
    .columns(['rule', 'subject', 'status'])
    .execute();
  await db.schema.createIndex('op_alerts_status').on('op_alerts').columns(['status', 'fired_at']).execute();
  await db.schema
    .createTable('op_notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', ms, (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text')
    .addColumn('shipment_id', 'text')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('op_notifications_alert')
    .on('op_notifications')
    .columns(['alert_id', 'at'])
    .execute();
  await db.schema.createIndex('op_notifications_at').on('op_notifications').columns(['at']).execute();
  await db.schema
    .createTable('op_incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('symptom', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text')
    .addColumn('partner', 'text')
    .addColumn('interface', 'text')
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('opened_at', ms, (c) => c.notNull())
    .addColumn('deadline_at', ms, (c) => c.notNull())
    .addColumn('closed_at', ms)
    .addColumn('closed_by', 'text')
    .addColumn('cause', 'text')
    .addColumn('fix', 'text')
    .addColumn('prevention', 'text')
    .addColumn('suggestions', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('op_incidents_status')
    .on('op_incidents')
    .columns(['status', 'opened_at'])
    .execute();
  await db.schema
    .createTable('op_incident_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('at', ms, (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('op_incident_events_incident')
    .on('op_incident_events')
    .columns(['incident_id', 'at'])
    .execute();
  await db.schema
    .createTable('op_knowledge')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('symptom', 'text', (c) => c.notNull())
    .addColumn('cause', 'text', (c) => c.notNull())
    .addColumn('fix', 'text', (c) => c.notNull())
    .addColumn('prevention', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('op_shipment_exceptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('shipment_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('carrier', 'text', (c) => c.notNull())
    .addColumn('waybill_no', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('detected_at', ms, (c) => c.notNull())
    .addColumn('notified_at', ms)
    .addColumn('resolved_at', ms)
    .addUniqueConstraint('op_shipment_exceptions_once', ['shipment_id', 'reason'])
    .execute();
  await db.schema
    .createIndex('op_shipment_exceptions_open')
    .on('op_shipment_exceptions')
    .columns(['resolved_at', 'detected_at'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'op_shipment_exceptions',
    'op_knowledge',
    'op_incident_events',
    'op_incidents',
    'op_notifications',
    'op_alerts',
    'op_call_minutes',
  ])
    await db.schema.dropTable(t).ifExists().execute();
}
