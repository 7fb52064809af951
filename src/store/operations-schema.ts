/**
 * Tables of operations (migration 012): call statistics, alerts, notifications, incidents, KB,
 * delays; migration 021: leases, held notifications.
 */

export interface OpCallMinutesTable {
  minute: number;
  node: string;
  interface: string;
  partner: string;
  calls: number;
  ok: number;
  dead: number;
  deferred: number;
  latency_ms_sum: number;
  /** JSON array of counts per latency bucket (monitor/call-stats.ts LATENCY_BOUNDS_MS, then +Inf). */
  latency_buckets: string;
  /** JSON object: failure code → count. */
  codes: string;
}

export interface OpAlertsTable {
  id: string;
  rule: string;
  subject: string;
  status: string;
  severity: string;
  summary: string;
  value: number | null;
  threshold: number | null;
  partner: string | null;
  interface: string | null;
  fired_at: number;
  last_true_at: number;
  resolved_at: number | null;
  acked_at: number | null;
  acked_by: string | null;
  escalated_at: number | null;
  flapping: number;
  incident_id: string | null;
}

export interface OpNotificationsTable {
  id: string;
  at: number;
  event: string;
  alert_id: string | null;
  shipment_id: string | null;
  channel: string;
  recipient: string;
  status: string;
  detail: string;
  /** A held notification: the notice to send when its recipient's quiet hours end (JSON). */
  payload: string | null;
  /** When a held notification was finally delivered. */
  delivered_at: number | null;
}

/** A named lease held by one hub node until it expires (migration 021). */
export interface OpLeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** A scheduled run report written (migration 028): once per period, first day and language. */
export interface OpReportRunsTable {
  period: string;
  date: string;
  lang: string;
  node: string;
  html: string;
  csv: string;
  written_at: number;
}

export interface OpIncidentsTable {
  id: string;
  title: string;
  symptom: string;
  severity: string;
  status: string;
  source: string;
  alert_id: string | null;
  partner: string | null;
  interface: string | null;
  opened_by: string;
  opened_at: number;
  deadline_at: number;
  closed_at: number | null;
  closed_by: string | null;
  cause: string | null;
  fix: string | null;
  prevention: string | null;
  /** JSON array of knowledge-base matches offered when the incident opened. */
  suggestions: string;
}

export interface OpIncidentEventsTable {
  id: string;
  incident_id: string;
  at: number;
  actor: string;
  kind: string;
  text: string;
}

export interface OpKnowledgeTable {
  id: string;
  symptom: string;
  cause: string;
  fix: string;
  prevention: string;
  tags: string;
  incident_id: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface OpShipmentExceptionsTable {
  id: string;
  shipment_id: string;
  order_id: string;
  carrier: string;
  waybill_no: string;
  reason: string;
  detail: string;
  detected_at: number;
  notified_at: number | null;
  resolved_at: number | null;
}

export type OperationsTables = {
  op_call_minutes: OpCallMinutesTable;
  op_alerts: OpAlertsTable;
  op_notifications: OpNotificationsTable;
  op_incidents: OpIncidentsTable;
  op_incident_events: OpIncidentEventsTable;
  op_knowledge: OpKnowledgeTable;
  op_shipment_exceptions: OpShipmentExceptionsTable;
  op_leases: OpLeasesTable;
  op_report_runs: OpReportRunsTable;
};
