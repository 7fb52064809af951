/**
 * The pipeline's boundary for values partners return (issue 16, defect 4): nothing a carrier
 * answers is stored before it passes the canonical bounds of domain/partner-values.ts. A refused
 * shipment answer is a typed, non-retryable partner error (`partner_value_refused`) recorded on
 * the job — the order shows "failed" with the reason instead of a page that cannot be rendered
 * later; refused tracking events are left out (the others are kept) and counted.
 */
import { PartnerCallError } from '../connectors/errors.js';
import type { ShipmentCreated } from '../connectors/types.js';
import type { TrackingEvent } from '../domain/index.js';
import {
  shipmentCreatedIssues,
  trackingEventIssues,
  type PartnerValueIssue,
} from '../domain/partner-values.js';

/** Throws `partner_value_refused` when the carrier's answer has a value outside the bounds. */
export function acceptShipmentCreated(
  carrierId: string,
  created: ShipmentCreated,
  opts: { allowLoopbackHttp: boolean; nowMs?: number },
): ShipmentCreated {
  const issues = shipmentCreatedIssues(created, {
    allowLoopbackHttp: opts.allowLoopbackHttp,
    nowMs: opts.nowMs ?? Date.now(),
  });
  if (issues.length === 0) return created;
  throw new PartnerCallError({
    partnerId: carrierId,
    code: 'partner_value_refused',
    retryable: false,
    // Field and reason only: the value itself may be huge or hostile.
    message: `${carrierId} answered values outside the canonical bounds: ${describe(issues)}`,
  });
}

export interface ScreenedEvents {
  accepted: TrackingEvent[];
  /** How many events were left out, and why (the first few). */
  refused: number;
  issues: PartnerValueIssue[];
}

/**
 * Keeps the events that pass the bounds (and, when `waybills` is given, concern one of them: a
 * poll's answer about parcels it was not asked for is not trusted).
 */
export function screenTrackingEvents(
  events: readonly TrackingEvent[],
  nowMs: number,
  waybills?: ReadonlySet<string>,
): ScreenedEvents {
  const accepted: TrackingEvent[] = [];
  const issues: PartnerValueIssue[] = [];
  let refused = 0;
  events.forEach((e, i) => {
    const found = trackingEventIssues(e, nowMs);
    if (found.length === 0 && waybills && !waybills.has(e.waybillNo)) {
      found.push({ field: '/waybillNo', message: 'is not one of the waybills asked for' });
    }
    if (found.length === 0) {
      accepted.push(e);
      return;
    }
    refused++;
    if (issues.length < 5)
      issues.push(...found.slice(0, 5 - issues.length).map((f) => ({ ...f, field: `/${i}${f.field}` })));
  });
  return { accepted, refused, issues };
}

export function describe(issues: readonly PartnerValueIssue[]): string {
  return issues.map((i) => `${i.field} ${i.message}`).join('; ');
}
