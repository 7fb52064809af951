/**
 * Fee settlement over the API [003-5.9]: bills (received, listed, reconciled line by line),
 * disputes, exchange rates, payments and statements (JSON, CSV or PDF). Reading needs
 * `finance:read`; anything that changes state needs `finance:manage` and is audited.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WaygateError } from '../../domain/index.js';
import { validateBillMapping, type BillMapping } from '../../domain/settlement/index.js';
import { loadRateCards, type RateCardBook } from '../../pipeline/settlement/cards.js';
import { receiveBill, recordPayment } from '../../pipeline/settlement/bills.js';
import { reconcileBill } from '../../pipeline/settlement/reconcile.js';
import {
  answerDispute,
  commentDispute,
  openDispute,
  resolveDispute,
  sendDispute,
  toDisputeView,
} from '../../pipeline/settlement/disputes.js';
import { enterRate } from '../../pipeline/settlement/fx.js';
import {
  buildStatement,
  renderStatementCsv,
  renderStatementPdf,
} from '../../pipeline/settlement/statement.js';
import { billsOf, disputesOf, getBill, linesOf } from '../../store/settlement.js';
import { listRefunds, refundAmounts } from '../../store/refunds.js';
import { sum } from '../../domain/money.js';
import type { GatewayDeps } from '../types.js';
import { ErrorBody } from './views.js';

const PARTNER = '^[a-z0-9][a-z0-9-]{0,62}$';
const PERIOD = '^\\d{4}-(0[1-9]|1[0-2])$';
const ID = { minLength: 1, maxLength: 64, pattern: '^[a-z]+_[0-9a-z]{1,40}$' };
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const security = [{ apiKey: [], signature: [] }];
const tags = ['settlement'];
const actorOf = (caller: { kind: string; id: string } | undefined) =>
  caller ? `${caller.kind}:${caller.id}` : 'anonymous';

const RefundQuery = Type.Object(
  {
    platform: Type.Optional(Type.String({ pattern: PARTNER })),
    period: Type.Optional(Type.String({ pattern: PERIOD })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    before: Type.Optional(Type.String({ pattern: '^rma_[0-9a-z]{26}$' })),
  },
  { additionalProperties: false },
);

const PeriodQuery = Type.Object(
  { partner: Type.String({ pattern: PARTNER }), period: Type.String({ pattern: PERIOD }) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String(ID) });
const StatementParams = Type.Object({
  partner: Type.String({ pattern: PARTNER }),
  period: Type.String({ pattern: PERIOD }),
});
const StatementQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('pdf')])) },
  { additionalProperties: false },
);
const BillUpload = Type.Object(
  {
    partner: Type.String({ pattern: PARTNER }),
    format: Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')]),
    /** The bill as received: text for json/csv, base64 for xlsx. */
    content: Type.String({ minLength: 1, maxLength: 8 * 1024 * 1024 }),
    /**
     * For a partner without an API: how to read this file (the `bills` block of a rate card:
     * format, header and line columns, charges). Default: the partner's rate-card mapping.
     */
    mapping: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);
const DisputeOpen = Type.Object(
  {
    billId: Type.String(ID),
    lineNo: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    deadlineDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
  },
  { additionalProperties: false },
);
const DisputeAction = Type.Object({
  id: Type.String(ID),
  action: Type.Union([
    Type.Literal('send'),
    Type.Literal('answer'),
    Type.Literal('resolve'),
    Type.Literal('comment'),
  ]),
});
const DisputeBody = Type.Object(
  {
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    resolution: Type.Optional(Type.Union([Type.Literal('credit_note'), Type.Literal('accepted')])),
    creditNoteNo: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    creditAmount: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
  },
  { additionalProperties: false },
);
const FxBody = Type.Object(
  {
    base: Type.String({ pattern: '^[A-Z]{3}$' }),
    quote: Type.String({ pattern: '^[A-Z]{3}$' }),
    rate: Type.String({ maxLength: 24 }),
    day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
  },
  { additionalProperties: false },
);
const PaymentBody = Type.Object(
  { paid: Type.String({ minLength: 1, maxLength: 20 }) },
  { additionalProperties: false },
);

function billView(b: Awaited<ReturnType<typeof billsOf>>[number]) {
  return {
    id: b.id,
    partnerId: b.partner_id,
    billNo: b.bill_no,
    period: b.period,
    issuedOn: b.issued_on,
    currency: b.currency,
    lines: b.line_count,
    total: b.total,
    paid: b.paid,
    status: b.status,
    receivedAt: new Date(b.received_at).toISOString(),
    reconciledAt: b.reconciled_at === null ? null : new Date(b.reconciled_at).toISOString(),
  };
}

export const settlementRoutes =
  (deps: GatewayDeps): FastifyPluginAsync =>
  async (app) => {
    const opts = deps.settlement ?? {};
    let book: RateCardBook | undefined = opts.book;
    const cards = (): RateCardBook => {
      if (!book) {
        try {
          book = loadRateCards();
        } catch (err) {
          throw new WaygateError(
            'settlement_no_rate_card',
            `the rate cards cannot be read: ${(err as Error).message.split('\n')[0]}`,
          );
        }
      }
      return book;
    };
    const reconcileOpts = (actor: string) => ({
      actor,
      ...(opts.reportingCurrency ? { reportingCurrency: opts.reportingCurrency } : {}),
      ...(opts.fx ? { fx: opts.fx } : {}),
    });

    app.get<{ Querystring: Static<typeof PeriodQuery> }>(
      '/settlement/bills',
      {
        config: { permission: 'finance:read' },
        schema: {
          summary: "A partner's bills of a period",
          tags,
          security,
          querystring: PeriodQuery,
          response: errors,
        },
      },
      async (req) => ({
        bills: (await billsOf(deps.store.db, req.query.partner, req.query.period)).map(billView),
      }),
    );

    app.get<{ Params: Static<typeof IdParams> }>(
      '/settlement/bills/:id',
      {
        config: { permission: 'finance:read' },
        schema: {
          summary: 'A bill with its lines as reconciled',
          tags,
          security,
          params: IdParams,
          response: errors,
        },
      },
      async (req) => {
        const bill = await getBill(deps.store.db, req.params.id);
        if (!bill) throw new WaygateError('settlement_bill_not_found');
        const lines = (await linesOf(deps.store.db, bill.id)).map((l) => ({
          lineNo: l.line_no,
          waybillNo: l.waybill_no,
          status: l.status,
          billed: l.billed,
          expected: l.expected,
          difference: l.difference,
          discrepancies: JSON.parse(l.discrepancies) as unknown,
          reporting:
            l.reporting_currency === null
              ? null
              : {
                  currency: l.reporting_currency,
                  billed: l.billed_reporting,
                  difference: l.difference_reporting,
                  fx: { rate: l.fx_rate, day: l.fx_day, source: l.fx_source },
                },
        }));
        return { ...billView(bill), lines };
      },
    );

    app.post<{ Body: Static<typeof BillUpload> }>(
      '/settlement/bills',
      {
        config: { permission: 'finance:manage' },
        schema: {
          summary: "Receive a partner's bill (JSON, CSV, or XLSX as base64): kept raw, then read",
          tags,
          security,
          body: BillUpload,
          response: errors,
        },
      },
      async (req, reply) => {
        const { partner, format, content } = req.body;
        const body = format === 'xlsx' ? Buffer.from(content, 'base64') : content;
        let mapping: BillMapping | undefined;
        if (req.body.mapping !== undefined) {
          const checked = validateBillMapping(req.body.mapping);
          if (!checked.mapping)
            throw new WaygateError('settlement_mapping_invalid', undefined, {
              issues: checked.issues.map((i) => ({
                field: `mapping.${i.path.join('.')}`,
                message: i.message,
              })),
            });
          mapping = checked.mapping;
        }
        const r = await receiveBill(deps.store, cards(), {
          partnerId: partner,
          format,
          body,
          ...(mapping ? { mapping } : {}),
        });
        return reply.code(r.created ? 201 : 200).send(r);
      },
    );

    app.post<{ Params: Static<typeof IdParams> }>(
      '/settlement/bills/:id/reconcile',
      {
        config: { permission: 'finance:manage' },
        schema: {
          summary: 'Reconcile a bill line by line',
          tags,
          security,
          params: IdParams,
          response: errors,
        },
      },
      async (req) => reconcileBill(deps.store, cards(), req.params.id, reconcileOpts(actorOf(req.caller))),
    );

    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof PaymentBody> }>(
      '/settlement/bills/:id/payment',
      {
        config: { permission: 'finance:manage' },
        schema: {
          summary: 'Record what was paid on a bill',
          tags,
          security,
          params: IdParams,
          body: PaymentBody,
          response: errors,
        },
      },
      async (req) => {
        await recordPayment(deps.store, req.params.id, req.body.paid, actorOf(req.caller));
        return { id: req.params.id, paid: req.body.paid };
      },
    );

    app.get<{ Params: Static<typeof StatementParams>; Querystring: Static<typeof StatementQuery> }>(
      '/settlement/statements/:partner/:period',
      {
        config: { permission: 'finance:read' },
        schema: {
          summary: "A partner's statement of a period, as JSON, CSV or PDF",
          tags,
          security,
          params: StatementParams,
          querystring: StatementQuery,
        },
      },
      async (req, reply) => {
        const st = await buildStatement(deps.store, cards(), req.params.partner, req.params.period, {
          ...(opts.reportingCurrency ? { reportingCurrency: opts.reportingCurrency } : {}),
        });
        const name = `statement-${req.params.partner}-${req.params.period}`;
        if (req.query.format === 'csv')
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${name}.csv"`)
            .send(renderStatementCsv(st));
        if (req.query.format === 'pdf')
          return reply
            .type('application/pdf')
            .header('content-disposition', `attachment; filename="${name}.pdf"`)
            .send(await renderStatementPdf(st, opts.fontPath));
        return st;
      },
    );

    app.get<{ Querystring: Static<typeof RefundQuery> }>(
      '/settlement/refunds',
      {
        config: { permission: 'finance:read' },
        schema: {
          summary: 'Refunds paid back to buyers on returns, newest first, with totals per currency',
          description:
            'One entry per refunded return (written when the return completes): platform, amount in the order currency, period (UTC month) and what each line paid back. `totals` cover every entry of the filter; `next` is the `before` of the next page.',
          tags,
          security,
          querystring: RefundQuery,
          response: errors,
        },
      },
      async (req) => {
        const limit = req.query.limit ?? 100;
        const filter = {
          ...(req.query.platform !== undefined ? { platform: req.query.platform } : {}),
          ...(req.query.period !== undefined ? { period: req.query.period } : {}),
        };
        const rows = await listRefunds(deps.store.db, {
          ...filter,
          limit: limit + 1,
          ...(req.query.before !== undefined ? { beforeId: req.query.before } : {}),
        });
        const byCurrency = new Map<string, { count: number; amounts: string[] }>();
        for (const r of await refundAmounts(deps.store.db, filter)) {
          const t = byCurrency.get(r.currency) ?? { count: 0, amounts: [] };
          t.count++;
          t.amounts.push(r.amount);
          byCurrency.set(r.currency, t);
        }
        const page = rows.slice(0, limit);
        return {
          items: page.map((r) => ({
            returnId: r.return_id,
            orderId: r.order_id,
            platform: r.platform,
            currency: r.currency,
            amount: r.amount,
            period: r.period,
            refundedAt: new Date(r.refunded_at).toISOString(),
            lines: JSON.parse(r.lines) as unknown,
          })),
          totals: [...byCurrency]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([currency, t]) => ({ currency, count: t.count, amount: sum(t.amounts) })),
          ...(rows.length > limit ? { next: page.at(-1)!.return_id } : {}),
        };
      },
    );

    app.get<{ Querystring: Static<typeof PeriodQuery> }>(
      '/settlement/disputes',
      {
        config: { permission: 'finance:read' },
        schema: {
          summary: "Disputes of a partner's bills of a period",
          tags,
          security,
          querystring: PeriodQuery,
          response: errors,
        },
      },
      async (req) => {
        const bills = await billsOf(deps.store.db, req.query.partner, req.query.period);
        const rows = await disputesOf(deps.store.db, { billIds: bills.map((b) => b.id) });
        return { disputes: rows.map(toDisputeView) };
      },
    );

    app.post<{ Body: Static<typeof DisputeOpen> }>(
      '/settlement/disputes',
      {
        config: { permission: 'finance:manage' },
        schema: {
          summary: 'Open a dispute on a flagged bill line',
          tags,
          security,
          body: DisputeOpen,
          response: errors,
        },
      },
      async (req, reply) => {
        const { billId, lineNo, reason, deadlineDays } = req.body;
        const d = await openDispute(deps.store, {
          billId,
          lineNo,
          actor: actorOf(req.caller),
          ...(reason !== undefined ? { reason } : {}),
          ...(deadlineDays !== undefined ? { deadlineDays } : {}),
        });
        return reply.code(201).send(d);
      },
    );

    app.post<{ Params: Static<typeof DisputeAction>; Body: Static<typeof DisputeBody> }>(
      '/settlement/disputes/:id/:action',
      {
        config: { permission: 'finance:manage' },
        schema: {
          summary:
            'Move a dispute: send, answer (text), resolve (credit_note with number and amount, or accepted), comment',
          tags,
          security,
          params: DisputeAction,
          body: DisputeBody,
          response: errors,
        },
      },
      async (req) => {
        const actor = actorOf(req.caller);
        const { id, action } = req.params;
        const b = req.body;
        if (action === 'send') return sendDispute(deps.store, id, actor);
        if (action === 'answer') return answerDispute(deps.store, id, b.text ?? '', actor);
        if (action === 'comment') return commentDispute(deps.store, id, b.text ?? '', actor);
        if (b.resolution === 'accepted')
          return resolveDispute(deps.store, id, { resolution: 'accepted' }, actor);
        if (b.resolution !== 'credit_note' || !b.creditNoteNo || !b.creditAmount)
          throw new WaygateError(
            'dispute_invalid',
            'resolve with resolution accepted, or credit_note with creditNoteNo and creditAmount',
          );
        return resolveDispute(
          deps.store,
          id,
          { resolution: 'credit_note', creditNoteNo: b.creditNoteNo, creditAmount: b.creditAmount },
          actor,
        );
      },
    );

    app.post<{ Body: Static<typeof FxBody> }>(
      '/settlement/fx-rates',
      {
        config: { permission: 'finance:manage' },
        schema: {
          summary: "Enter a day's exchange rate by hand (replaces that day's rate)",
          tags,
          security,
          body: FxBody,
          response: errors,
        },
      },
      async (req) => {
        await enterRate(deps.store, { ...req.body, source: 'manual' }, actorOf(req.caller));
        return { ...req.body, source: 'manual' };
      },
    );
  };
