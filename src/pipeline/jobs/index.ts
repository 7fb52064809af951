/**
 * The job registry: every job kind the hub runs, listed once. The enqueuers (each kind's own
 * `enqueue`), the workers (one pool per lane), the composition root and the dead-letter queue
 * all read this list, so a kind's payload, handler, lane and edit rules are found here and
 * nowhere else. A new kind is one file beside these and one line below.
 */
import { inboundOrder } from './inbound-order.js';
import { inboundTracking } from './inbound-tracking.js';
import type { JobDeps, JobRunner, Lane, RegisteredJobKind } from './kind.js';
import { shipmentCreate } from './shipment-create.js';
import { trackingPoll } from './tracking-poll.js';
import { inboundStock } from './inbound-stock.js';
import { stockPull } from './stock-pull.js';
import { stockPublish } from './stock-publish.js';
import { ordersPull } from './orders-pull.js';
import { fulfilmentSend } from './fulfilment-send.js';
import { warehouseOutbound } from './warehouse-outbound.js';
import { inboundSend } from './inbound-send.js';
import { inboundReturn } from './inbound-return.js';
import { returnAnnounce } from './return-announce.js';
import { returnLabel } from './return-label.js';
import { returnSettle } from './return-settle.js';
import { returnStatus } from './return-status.js';
import { returnCancel } from './return-cancel.js';
import { customsDeclare } from './customs-declare.js';
import { customsReceipts } from './customs-receipts.js';
import { snapshotTake } from './snapshot-take.js';
import { inboundPulled } from './inbound-pulled.js';
import { ordersFetch } from './orders-fetch.js';

export const JOB_KINDS: readonly RegisteredJobKind[] = Object.freeze([
  inboundOrder,
  inboundTracking,
  shipmentCreate,
  trackingPoll,
  inboundStock,
  stockPull,
  stockPublish,
  ordersPull,
  fulfilmentSend,
  warehouseOutbound,
  inboundSend,
  inboundReturn,
  returnAnnounce,
  returnLabel,
  returnSettle,
  returnStatus,
  returnCancel,
  customsDeclare,
  customsReceipts,
  snapshotTake,
  inboundPulled,
  ordersFetch,
]);

const BY_NAME = new Map<string, RegisteredJobKind>();
for (const kind of JOB_KINDS) {
  if (BY_NAME.has(kind.name)) throw new Error(`job kind ${kind.name} is registered twice`);
  BY_NAME.set(kind.name, kind);
}

/** The registered kind of this name (undefined for a name no version of the hub declares now). */
export function jobKind(name: string): RegisteredJobKind | undefined {
  return BY_NAME.get(name);
}

export function kindsOfLane(lane: Lane): RegisteredJobKind[] {
  return JOB_KINDS.filter((k) => k.lane === lane);
}

/** The handlers of one lane's kinds, bound to the hub's dependencies. */
export function laneRunners(lane: Lane, deps: JobDeps): JobRunner[] {
  return kindsOfLane(lane).map((k) => k.runner(deps));
}

export { inboundOrder, inboundTracking, shipmentCreate, trackingPoll };
export { ensurePollJobs } from './tracking-poll.js';
export { ensureStockPulls } from './stock-pull.js';
export { ensureOrderPulls } from './orders-pull.js';
export { ensureCustomsReceipts } from './customs-receipts.js';
export { ensureSnapshotSchedule } from './snapshot-take.js';
export { LANES, type JobDeps, type Lane, type RegisteredJobKind } from './kind.js';
