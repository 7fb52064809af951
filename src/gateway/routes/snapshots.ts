/**
 * Snapshots and outage reconciliations over the API [004-3.2]: `GET /v1/snapshots` (the Parquet
 * snapshots taken, each with its files and row counts from its manifest),
 * `GET /v1/inventory/reconciliations` and `GET /v1/inventory/reconciliations/{id}` — the report as
 * JSON, or as CSV with `Accept: text/csv` or `?format=csv` (headers in `?lang=en|zh-CN`, else the
 * JSON field names). Reading needs `inventory:read`, like the inventory itself.
 *
 * A report answers with `links` to itself as JSON and CSV, never with the paths of the files the
 * hub wrote on its own disk (those are the operator's, shown by the CLI on the server).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import {
  type ReconciliationReport,
  CSV_LANGS,
  listReconciliationReports,
  loadReconciliation,
  reconciliationCsv,
} from '../../pipeline/snapshot/reconcile.js';
import type { SnapshotManifest } from '../../pipeline/snapshot/take.js';
import { listSnapshots } from '../../store/snapshots.js';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };
const security = [{ apiKey: [], signature: [] }];
const tags = ['inventory'];
const WAREHOUSE = { pattern: '^[a-z0-9][a-z0-9-]{0,62}$' };
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 }));

const SnapshotQuery = Type.Object({ limit: Limit }, { additionalProperties: false });
const ListQuery = Type.Object(
  { warehouse: Type.Optional(Type.String(WAREHOUSE)), limit: Limit },
  { additionalProperties: false },
);
const ReportParams = Type.Object({ id: Type.String({ pattern: '^rec_[A-Za-z0-9]{1,64}$' }) });
const ReportQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
    lang: Type.Optional(Type.Union(CSV_LANGS.map((l) => Type.Literal(l)))),
  },
  { additionalProperties: false },
);

/** A report as the API shows it: its links instead of where the hub's files lie. */
export function reportView(r: ReconciliationReport) {
  const { files: _files, ...rest } = r;
  const self = `/v1/inventory/reconciliations/${encodeURIComponent(r.id)}`;
  return { ...rest, links: { json: self, csv: `${self}?format=csv` } };
}

/** CSV when asked by `?format=csv`, or by an Accept header preferring text/csv over JSON. */
function wantsCsv(req: FastifyRequest, format: 'json' | 'csv' | undefined): boolean {
  if (format) return format === 'csv';
  const accept = req.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

export const snapshotRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: Static<typeof SnapshotQuery> }>(
      '/snapshots',
      {
        config: { permission: 'inventory:read' },
        schema: {
          summary: "The Parquet snapshots of A-tier partners' data, newest first, with files and row counts",
          tags,
          security,
          querystring: SnapshotQuery,
          response: errors,
        },
      },
      async (req) => {
        const rows = await listSnapshots(deps.store.db, req.query.limit ?? 20);
        return {
          items: rows.map((r) => {
            const m = JSON.parse(r.manifest) as Partial<SnapshotManifest>;
            return {
              id: r.id,
              takenAt: new Date(r.taken_at).toISOString(),
              day: r.day,
              timeZone: r.time_zone,
              trigger: r.trigger,
              partners: m.partners ?? null,
              personalData: m.personalData ?? null,
              files: (m.files ?? []).map((f) => ({
                entity: f.entity,
                file: f.file,
                rows: f.rows,
                bytes: f.bytes,
                sha256: f.sha256,
              })),
            };
          }),
        };
      },
    );

    app.get<{ Querystring: Static<typeof ListQuery> }>(
      '/inventory/reconciliations',
      {
        config: { permission: 'inventory:read' },
        schema: {
          summary: 'Reconciliation reports written when a warehouse came back after an outage, newest first',
          tags,
          security,
          querystring: ListQuery,
          response: errors,
        },
      },
      async (req) => ({
        items: (
          await listReconciliationReports(deps.store.db, {
            limit: req.query.limit ?? 20,
            ...(req.query.warehouse !== undefined ? { warehouseId: req.query.warehouse } : {}),
          })
        ).map(reportView),
      }),
    );

    app.get<{ Params: Static<typeof ReportParams>; Querystring: Static<typeof ReportQuery> }>(
      '/inventory/reconciliations/:id',
      {
        config: { permission: 'inventory:read' },
        schema: {
          summary:
            'One reconciliation report: what was sold on the snapshot against the warehouse (JSON or CSV)',
          tags,
          security,
          params: ReportParams,
          querystring: ReportQuery,
          produces: ['application/json', 'text/csv'],
          response: { ...errors, 404: ErrorBody },
        },
      },
      async (req, reply) => {
        const report = await loadReconciliation(deps.store.db, req.params.id);
        if (!wantsCsv(req, req.query.format)) return reportView(report);
        const lang = req.query.lang;
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="reconciliation-${report.warehouse}-${report.id}${lang ? `.${lang}` : ''}.csv"`,
          )
          .send(reconciliationCsv(report, lang));
      },
    );
  };
