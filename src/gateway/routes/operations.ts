/**
 * Operations API (issue 15): alerts and their rules, the notifications sent, incidents with
 * their deadlines, timeline, closing and post-incident report, the fault knowledge base,
 * shipment delay exceptions and lane expectations, and the daily/weekly run reports.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { GatewayDeps } from '../types.js';
import type { Operations } from '../../monitor/operations.js';
import { SEVERITIES } from '../../monitor/ops-config.js';
import { laneExpectations } from '../../monitor/delays.js';
import { incidentView } from '../../monitor/incidents.js';
import { buildReport, localDate } from '../../monitor/reports/build.js';
import { REPORT_LANGS, renderCsv, renderHtml } from '../../monitor/reports/render.js';
import {
  incidentsByIds,
  listAlerts,
  listNotifications,
  listShipmentExceptions,
  type OpAlertsTable,
  type OpIncidentsTable,
} from '../../store/operations.js';
import { ErrorBody } from './views.js';

const security: Array<Record<string, string[]>> = [{ apiKey: [], signature: [] }, { bearerAuth: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const Severity = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

const AlertView = Type.Object({
  id: Type.String(),
  rule: Type.String(),
  subject: Type.String(),
  status: Type.String(),
  severity: Type.String(),
  summary: Type.String(),
  value: Nullable(Type.Number()),
  threshold: Nullable(Type.Number()),
  partner: Nullable(Type.String()),
  interface: Nullable(Type.String()),
  firedAt: Type.String(),
  resolvedAt: Nullable(Type.String()),
  acknowledgedAt: Nullable(Type.String()),
  acknowledgedBy: Nullable(Type.String()),
  escalatedAt: Nullable(Type.String()),
  flapping: Type.Boolean(),
  incidentId: Nullable(Type.String()),
  incident: Type.Optional(
    Nullable(
      Type.Object({
        id: Type.String(),
        title: Type.String(),
        severity: Type.String(),
        status: Type.String(),
        deadlineAt: Type.String(),
        timeLeftMs: Type.Integer(),
        overdue: Type.Boolean(),
      }),
    ),
  ),
});
const alertView = (a: OpAlertsTable, incidents?: ReadonlyMap<string, OpIncidentsTable>) => ({
  id: a.id,
  rule: a.rule,
  subject: a.subject,
  status: a.status,
  severity: a.severity,
  summary: a.summary,
  value: a.value,
  threshold: a.threshold,
  partner: a.partner,
  interface: a.interface,
  firedAt: iso(a.fired_at)!,
  resolvedAt: iso(a.resolved_at),
  acknowledgedAt: iso(a.acked_at),
  acknowledgedBy: a.acked_by,
  escalatedAt: iso(a.escalated_at),
  flapping: a.flapping === 1,
  incidentId: a.incident_id,
  ...(incidents ? { incident: incidentBrief(a.incident_id ? incidents.get(a.incident_id) : undefined) } : {}),
});
/** The alert's incident as the alerts list shows it: its deadline and the time left. */
function incidentBrief(row: OpIncidentsTable | undefined) {
  if (!row) return null;
  const v = incidentView(row);
  return {
    id: v.id,
    title: v.title,
    severity: v.severity,
    status: v.status,
    deadlineAt: v.deadlineAt,
    timeLeftMs: v.timeLeftMs,
    overdue: v.overdue,
  };
}

const Suggestion = Type.Object({
  id: Type.String(),
  symptom: Type.String(),
  cause: Type.String(),
  fix: Type.String(),
  prevention: Type.String(),
  score: Type.Number({ description: 'similarity to the incident’s symptom, 0–1' }),
});
const IncidentView = Type.Object({
  id: Type.String(),
  title: Type.String(),
  symptom: Type.String(),
  severity: Severity,
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  source: Type.Union([Type.Literal('alert'), Type.Literal('manual')]),
  alertId: Nullable(Type.String()),
  partner: Nullable(Type.String()),
  interface: Nullable(Type.String()),
  openedBy: Type.String(),
  openedAt: Type.String(),
  deadlineAt: Type.String({
    description: 'minor 1 h, general 2 h, major 4 h after opening unless configured',
  }),
  timeLeftMs: Type.Integer({
    description: 'until the deadline; negative when overdue (at closing, for a closed one)',
  }),
  overdue: Type.Boolean(),
  closedAt: Nullable(Type.String()),
  closedBy: Nullable(Type.String()),
  cause: Nullable(Type.String()),
  fix: Nullable(Type.String()),
  prevention: Nullable(Type.String()),
  suggestions: Type.Array(Suggestion),
});
const TimelineEntry = Type.Object({
  at: Type.String(),
  actor: Type.String(),
  kind: Type.String(),
  text: Type.String(),
});

const OpenBody = Type.Object(
  {
    title: Text(200),
    symptom: Text(4000),
    severity: Severity,
    partner: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
    interface: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' })),
  },
  { additionalProperties: false },
);
const NoteBody = Type.Object({ text: Text(4000) }, { additionalProperties: false });
const CloseBody = Type.Object(
  {
    cause: Type.String({ maxLength: 4000 }),
    fix: Type.String({ maxLength: 4000 }),
    prevention: Type.Optional(Type.String({ maxLength: 4000 })),
    addToKnowledgeBase: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
const KnowledgeBody = Type.Object(
  {
    symptom: Text(4000),
    cause: Text(4000),
    fix: Text(4000),
    prevention: Type.Optional(Type.String({ maxLength: 4000 })),
    tags: Type.Optional(Type.Array(Type.String({ pattern: '^[^\\s]{1,64}$' }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);
const ReportQuery = Type.Object(
  {
    date: Type.Optional(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}$',
        description: 'a day of the period (default: yesterday)',
      }),
    ),
    lang: Type.Optional(
      Type.Union(
        REPORT_LANGS.map((l) => Type.Literal(l)),
        { default: 'en' },
      ),
    ),
    format: Type.Optional(
      Type.Union([Type.Literal('html'), Type.Literal('csv'), Type.Literal('json')], { default: 'html' }),
    ),
  },
  { additionalProperties: false },
);

export const operationsRoutes =
  (deps: GatewayDeps, ops: Operations): FastifyPluginAsync =>
  async (app) => {
    const actor = (c: { kind: string; id: string } | undefined) => (c ? `${c.kind}:${c.id}` : 'anonymous');

    app.get<{ Querystring: { status?: 'firing' | 'resolved'; limit?: number } }>(
      '/alerts',
      {
        config: { permission: 'alerts:read' },
        schema: {
          summary: 'Alerts, newest first (firing and resolved)',
          tags: ['operations'],
          security,
          querystring: Type.Object(
            {
              status: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ data: Type.Array(AlertView) }), ...errors },
        },
      },
      async (req) => {
        const rows = await listAlerts(deps.store.db, {
          ...(req.query.status ? { status: req.query.status } : {}),
          limit: req.query.limit ?? 100,
        });
        const ids = [...new Set(rows.flatMap((a) => (a.incident_id ? [a.incident_id] : [])))];
        const incidents = new Map((await incidentsByIds(deps.store.db, ids)).map((i) => [i.id, i] as const));
        return { data: rows.map((a) => alertView(a, incidents)) };
      },
    );

    app.post<{ Params: Static<typeof Id> }>(
      '/alerts/:id/ack',
      {
        config: { permission: 'alerts:manage' },
        schema: {
          summary: 'Acknowledge a firing alert (stops its escalation)',
          tags: ['operations'],
          security,
          params: Id,
          response: { 200: AlertView, ...errors },
        },
      },
      async (req) => alertView(await ops.alerts.acknowledge(req.params.id, actor(req.caller))),
    );

    app.get(
      '/alerts/rules',
      {
        config: { permission: 'alerts:read' },
        schema: {
          summary:
            'The alert rules in force (the operations file’s and each partner’s tier defaults) and the file’s reloads',
          tags: ['operations'],
          security,
          response: {
            200: Type.Object({
              rules: Type.Array(
                Type.Object(
                  {
                    name: Type.String(),
                    condition: Type.String(),
                    origin: Type.String(),
                    partner: Type.Optional(Type.String()),
                    iface: Type.Optional(Type.String()),
                    windowMs: Type.Integer(),
                    threshold: Type.Number(),
                    severity: Type.String(),
                    incident: Type.Boolean(),
                    notify: Type.Array(Type.String()),
                  },
                  { additionalProperties: true },
                ),
              ),
              reloads: Type.Array(Type.Unknown()),
            }),
            ...errors,
          },
        },
      },
      async () => ({ rules: ops.alerts.rules(), reloads: [...(deps.operationsEvents?.() ?? [])] }),
    );

    app.get<{ Querystring: { alertId?: string; shipmentId?: string; status?: string; limit?: number } }>(
      '/notifications',
      {
        config: { permission: 'alerts:read' },
        schema: {
          summary: 'Every notification sent, held or failed (webhook, e-mail), newest first',
          tags: ['operations'],
          security,
          querystring: Type.Object(
            {
              alertId: Type.Optional(Type.String({ maxLength: 64 })),
              shipmentId: Type.Optional(Type.String({ maxLength: 64 })),
              status: Type.Optional(
                Type.String({
                  pattern: '^[a-z_]{1,40}$',
                  description:
                    'sent, failed, held_quiet_hours, downgraded_quiet_hours, suppressed_flapping, dropped',
                }),
              ),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              data: Type.Array(
                Type.Object({
                  id: Type.String(),
                  at: Type.String(),
                  event: Type.String(),
                  alertId: Nullable(Type.String()),
                  shipmentId: Nullable(Type.String()),
                  channel: Type.String(),
                  recipient: Type.String(),
                  status: Type.String(),
                  detail: Type.String(),
                  deliveredAt: Nullable(Type.String()),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const rows = await listNotifications(deps.store.db, {
          ...(req.query.alertId ? { alertId: req.query.alertId } : {}),
          ...(req.query.shipmentId ? { shipmentId: req.query.shipmentId } : {}),
          ...(req.query.status ? { status: req.query.status } : {}),
          limit: req.query.limit ?? 100,
        });
        return {
          data: rows.map((n) => ({
            id: n.id,
            at: iso(n.at)!,
            event: n.event,
            alertId: n.alert_id,
            shipmentId: n.shipment_id,
            channel: n.channel,
            recipient: n.recipient,
            status: n.status,
            detail: n.detail,
            deliveredAt: iso(n.delivered_at),
          })),
        };
      },
    );

    app.get<{ Querystring: { status?: 'open' | 'closed'; limit?: number } }>(
      '/incidents',
      {
        config: { permission: 'incidents:read' },
        schema: {
          summary: 'Incidents, newest first, with their deadline and time left',
          tags: ['operations'],
          security,
          querystring: Type.Object(
            {
              status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ data: Type.Array(IncidentView) }), ...errors },
        },
      },
      async (req) => ({
        data: await ops.incidents.list({
          ...(req.query.status ? { status: req.query.status } : {}),
          limit: req.query.limit ?? 100,
        }),
      }),
    );

    app.post<{ Body: Static<typeof OpenBody> }>(
      '/incidents',
      {
        config: { permission: 'incidents:manage' },
        schema: {
          summary: 'Open an incident by hand; the knowledge base’s best matches come back with it',
          tags: ['operations'],
          security,
          body: OpenBody,
          response: { 201: IncidentView, ...errors },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const inc = await ops.incidents.open({
          title: b.title,
          symptom: b.symptom,
          severity: b.severity,
          source: 'manual',
          ...(b.partner ? { partner: b.partner } : {}),
          ...(b.interface ? { iface: b.interface } : {}),
          actor: actor(req.caller),
        });
        return reply.code(201).send(inc);
      },
    );

    app.get<{ Params: Static<typeof Id> }>(
      '/incidents/:id',
      {
        config: { permission: 'incidents:read' },
        schema: {
          summary: 'An incident and its timeline',
          tags: ['operations'],
          security,
          params: Id,
          response: {
            200: Type.Object({ incident: IncidentView, timeline: Type.Array(TimelineEntry) }),
            ...errors,
          },
        },
      },
      async (req) => ops.incidents.get(req.params.id),
    );

    app.post<{ Params: Static<typeof Id>; Body: Static<typeof NoteBody> }>(
      '/incidents/:id/notes',
      {
        config: { permission: 'incidents:manage' },
        schema: {
          summary: 'Add an action or note to an incident’s timeline',
          tags: ['operations'],
          security,
          params: Id,
          body: NoteBody,
          response: { 201: TimelineEntry, ...errors },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await ops.incidents.note(req.params.id, actor(req.caller), req.body.text)),
    );

    app.post<{ Params: Static<typeof Id>; Body: Static<typeof CloseBody> }>(
      '/incidents/:id/close',
      {
        config: { permission: 'incidents:manage' },
        schema: {
          summary:
            'Close an incident: cause and fix are required; it is added to the knowledge base unless told not to',
          tags: ['operations'],
          security,
          params: Id,
          body: CloseBody,
          response: { 200: IncidentView, ...errors },
        },
      },
      async (req) =>
        ops.incidents.close(req.params.id, actor(req.caller), {
          cause: req.body.cause,
          fix: req.body.fix,
          ...(req.body.prevention !== undefined ? { prevention: req.body.prevention } : {}),
          toKnowledge: req.body.addToKnowledgeBase ?? true,
        }),
    );

    app.get<{ Params: Static<typeof Id> }>(
      '/incidents/:id/report',
      {
        config: { permission: 'incidents:read' },
        schema: {
          summary: 'The post-incident report (Markdown)',
          tags: ['operations'],
          security,
          params: Id,
          produces: ['text/markdown'],
          response: { 200: Type.String(), ...errors },
        },
      },
      async (req, reply) =>
        reply
          .header('content-type', 'text/markdown; charset=utf-8')
          .send(await ops.incidents.report(req.params.id)),
    );

    app.get<{ Querystring: { q?: string; limit?: number } }>(
      '/knowledge',
      {
        config: { permission: 'incidents:read' },
        schema: {
          summary: 'Search the fault knowledge base (score 0–1, best first)',
          tags: ['operations'],
          security,
          querystring: Type.Object(
            {
              q: Type.String({ minLength: 1, maxLength: 500 }),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ data: Type.Array(Suggestion) }), ...errors },
        },
      },
      async (req) => ({
        data: await ops.incidents.searchKnowledge(req.query.q ?? '', req.query.limit ?? 10),
      }),
    );

    app.post<{ Body: Static<typeof KnowledgeBody> }>(
      '/knowledge',
      {
        config: { permission: 'incidents:manage' },
        schema: {
          summary: 'Add an entry to the fault knowledge base',
          tags: ['operations'],
          security,
          body: KnowledgeBody,
          response: { 201: Type.Object({ id: Type.String() }), ...errors },
        },
      },
      async (req, reply) => {
        const row = await ops.incidents.addKnowledge(actor(req.caller), {
          ...req.body,
          ...(req.body.tags ? { tags: req.body.tags } : {}),
        });
        return reply.code(201).send({ id: row.id });
      },
    );

    app.get<{ Querystring: { open?: boolean; limit?: number } }>(
      '/shipment-exceptions',
      {
        config: { permission: 'tracking:read' },
        schema: {
          summary: 'Delay exceptions raised on shipments (no scan, ETA passed, customs hold)',
          tags: ['operations'],
          security,
          querystring: Type.Object(
            {
              open: Type.Optional(Type.Boolean()),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              data: Type.Array(
                Type.Object({
                  id: Type.String(),
                  shipmentId: Type.String(),
                  orderId: Type.String(),
                  carrier: Type.String(),
                  waybillNo: Type.String(),
                  reason: Type.String(),
                  detail: Type.String(),
                  detectedAt: Type.String(),
                  notifiedAt: Nullable(Type.String()),
                  resolvedAt: Nullable(Type.String()),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const rows = await listShipmentExceptions(deps.store.db, {
          ...(req.query.open ? { open: true } : {}),
          limit: req.query.limit ?? 100,
        });
        return {
          data: rows.map((e) => ({
            id: e.id,
            shipmentId: e.shipment_id,
            orderId: e.order_id,
            carrier: e.carrier,
            waybillNo: e.waybill_no,
            reason: e.reason,
            detail: e.detail,
            detectedAt: iso(e.detected_at)!,
            notifiedAt: iso(e.notified_at),
            resolvedAt: iso(e.resolved_at),
          })),
        };
      },
    );

    app.get(
      '/lanes',
      {
        config: { permission: 'tracking:read' },
        schema: {
          summary:
            'Expected transit time and no-scan threshold per lane (configured or learned from deliveries)',
          tags: ['operations'],
          security,
          response: {
            200: Type.Object({
              data: Type.Array(
                Type.Object({
                  carrier: Type.String(),
                  destination: Type.String(),
                  transitMs: Nullable(Type.Number()),
                  noScanAfterMs: Type.Number(),
                  source: Type.String(),
                  samples: Type.Integer(),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async () => ({ data: await laneExpectations(deps.store, ops.file) }),
    );

    app.get<{ Params: { period: 'daily' | 'weekly' }; Querystring: Static<typeof ReportQuery> }>(
      '/reports/:period',
      {
        config: { permission: 'reports:read' },
        schema: {
          summary: 'The daily or weekly run report as HTML (with charts), CSV or JSON, in Chinese or English',
          tags: ['operations'],
          security,
          params: Type.Object({ period: Type.Union([Type.Literal('daily'), Type.Literal('weekly')]) }),
          querystring: ReportQuery,
          produces: ['text/html', 'text/csv', 'application/json'],
          response: { 200: Type.Unknown(), ...errors },
        },
      },
      async (req, reply) => {
        const tz = ops.file.reports?.timezone ?? 'UTC';
        const date = req.query.date ?? localDate(Date.now() - 86_400_000, tz);
        const data = await buildReport(deps.store, {
          period: req.params.period,
          date,
          timezone: tz,
          tiers: ops.reports.tiers(),
        });
        const lang = req.query.lang ?? 'en';
        const format = req.query.format ?? 'html';
        if (format === 'json') return data;
        if (format === 'csv')
          return reply
            .header('content-type', 'text/csv; charset=utf-8')
            .header(
              'content-disposition',
              `attachment; filename="waygate-${data.period}-${data.date}.${lang}.csv"`,
            )
            .send(renderCsv(data, lang));
        // The report is static HTML with inline SVG: no script runs, so the strictest policy fits.
        return reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
          .send(renderHtml(data, lang));
      },
    );
  };
