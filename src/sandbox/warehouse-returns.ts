/**
 * The sandbox warehouse's returns desk (OWH `POST /returns`): a seller announces a return (RMA
 * pre-advice) with the items it expects; the desk answers with its return number and the address
 * of its returns dock, where the buyer's parcel must go. An announcement repeated with the same
 * `rma_ref` answers the same return (idempotent). Receiving and grading a parcel is the
 * warehouse's `receiveReturn`, which pushes RETURN_RECEIVED events. `POST /returns/{return_no}/cancel`
 * (body `rma_ref`, optional `cancel_reason`) stops expecting it: cancelling again answers the
 * same, an unknown number is OWH-2004 (404), one already received is OWH-2009 (409). Written from the dialect's
 * description (docs/partners/sandbox-warehouse.md), not from the hub's connector.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bootTag } from './boot-tag.js';

export interface AnnouncedReturn {
  returnNo: string;
  rmaRef: string;
  orderRef: string;
  items: Array<{ item_code: string; qty_expected: number }>;
  /** `EXPECTED`, `CANCELLED`, or `RECEIVED` once a parcel was graded against it. */
  status: 'EXPECTED' | 'CANCELLED' | 'RECEIVED';
  cancelReason?: string;
}

/** What the warehouse's own routes use: its signature check and its answer envelope. */
export interface DeskHelpers {
  authorized(req: FastifyRequest, reply: FastifyReply): boolean;
  ok(reply: FastifyReply, data: unknown, status?: number): unknown;
  fail(reply: FastifyReply, status: number, code: string, msg: string): unknown;
}

/** The returns dock of the sandbox warehouse (its published returns address). */
export const RETURNS_DOCK = {
  contact: 'OWH Returns Dock',
  company: 'Sandbox Overseas Warehouse',
  line1: '1200 Harbor Returns Way',
  line2: 'Dock 7',
  city: 'Carson',
  state: 'CA',
  postcode: '90745',
  country: 'US',
  phone: '+1 310 555 0147',
};

export interface ReturnsDesk {
  mount(scope: FastifyInstance, api: string, helpers: DeskHelpers): void;
  announced(): AnnouncedReturn[];
  /** A parcel was graded against the return of `rmaRef`: it can no longer be cancelled. */
  received(rmaRef: string): void;
}

export function createReturnsDesk(): ReturnsDesk {
  const byRef = new Map<string, AnnouncedReturn>();
  const boot = bootTag();
  return {
    announced: () => [...byRef.values()].map((r) => ({ ...r })),
    received(rmaRef) {
      const r = byRef.get(rmaRef);
      if (r && r.status === 'EXPECTED') r.status = 'RECEIVED';
    },
    mount(scope, api, h) {
      scope.post(`${api}/returns`, async (req, reply) => {
        if (!h.authorized(req, reply)) return reply;
        let b: { rma_ref?: unknown; order_ref?: unknown; items?: unknown };
        try {
          b = JSON.parse(req.body as string) as typeof b;
        } catch {
          return h.fail(reply, 400, 'OWH-2000', 'body is not JSON');
        }
        if (
          typeof b.rma_ref !== 'string' ||
          !/^[A-Za-z0-9_-]{1,64}$/.test(b.rma_ref) ||
          typeof b.order_ref !== 'string' ||
          !Array.isArray(b.items) ||
          b.items.length === 0
        ) {
          return h.fail(reply, 400, 'OWH-2000', 'rma_ref, order_ref and items[] are required');
        }
        const prior = byRef.get(b.rma_ref);
        if (prior) return h.ok(reply, { return_no: prior.returnNo, return_address: RETURNS_DOCK });
        const items: AnnouncedReturn['items'] = [];
        for (const l of b.items as Array<{ item_code?: unknown; qty_expected?: unknown }>) {
          if (
            typeof l.item_code !== 'string' ||
            !Number.isInteger(l.qty_expected) ||
            (l.qty_expected as number) < 1
          )
            return h.fail(
              reply,
              400,
              'OWH-2000',
              'each item needs item_code and a positive integer qty_expected',
            );
          items.push({ item_code: l.item_code, qty_expected: l.qty_expected as number });
        }
        const returnNo = `RT${boot}${String(byRef.size + 1).padStart(7, '0')}`;
        byRef.set(b.rma_ref, {
          returnNo,
          rmaRef: b.rma_ref,
          orderRef: b.order_ref,
          items,
          status: 'EXPECTED',
        });
        return h.ok(reply, { return_no: returnNo, return_address: RETURNS_DOCK }, 201);
      });

      scope.post<{ Params: { returnNo: string } }>(`${api}/returns/:returnNo/cancel`, async (req, reply) => {
        if (!h.authorized(req, reply)) return reply;
        let b: { rma_ref?: unknown; cancel_reason?: unknown };
        try {
          b = JSON.parse(req.body as string) as typeof b;
        } catch {
          return h.fail(reply, 400, 'OWH-2000', 'body is not JSON');
        }
        const r = [...byRef.values()].find((x) => x.returnNo === req.params.returnNo);
        if (!r || (typeof b.rma_ref === 'string' && b.rma_ref !== r.rmaRef))
          return h.fail(reply, 404, 'OWH-2004', `no return ${req.params.returnNo} for this rma_ref`);
        if (r.status === 'RECEIVED')
          return h.fail(reply, 409, 'OWH-2009', `return ${r.returnNo} was already received`);
        r.status = 'CANCELLED';
        if (typeof b.cancel_reason === 'string') r.cancelReason = b.cancel_reason.slice(0, 200);
        return h.ok(reply, { return_no: r.returnNo, return_status: 'CANCELLED' });
      });
    },
  };
}
