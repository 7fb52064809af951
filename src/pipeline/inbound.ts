/**
 * The inbound side of the double queue [004-2]: a partner push is verified, stored raw and
 * queued in one transaction, and answered at once; workers of the inbound lane turn it into
 * canonical records. A slow transformation or a busy outbound partner never makes a partner's
 * push wait or fail, and a push that cannot be read waits in the dead-letter queue, not lost.
 */
import { createHash } from 'node:crypto';
import type { InboundRequest } from '../connectors/types.js';
import type { Store } from '../store/db.js';
import { INBOUND_BODY_CONTEXT, insertInboundMessage } from '../store/inbound-messages.js';
import { enqueue, type Job, type JobQueue } from '../store/queue.js';
import { acceptOrder } from './accept-order.js';
import type { CarrierDirectory } from './partners.js';
import { ingestTrackingEvents } from './tracking.js';
import type { JobHandler } from './worker.js';
import type { PlatformConnector } from '../connectors/types.js';

export const INBOUND_ORDER = 'inbound.order';
export const INBOUND_TRACKING = 'inbound.tracking';
export const INBOUND_KINDS = [INBOUND_ORDER, INBOUND_TRACKING];

interface InboundPayload {
  messageId: string;
  partnerId: string;
  headers: Record<string, string>;
}

/** Headers a parser may need (ids, topics), never the ones that carry credentials or signatures. */
function keptHeaders(headers: InboundRequest['headers']): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || /signature|hmac|authorization|token|cookie|secret/i.test(name)) continue;
    kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/**
 * Stores a verified push and queues its transformation. A byte-identical re-delivery is
 * recognised by its hash and queued nothing; returns the stored message's id.
 */
export async function queueInbound(
  store: Store,
  kind: typeof INBOUND_ORDER | typeof INBOUND_TRACKING,
  partnerId: string,
  req: InboundRequest,
  nowMs = Date.now(),
): Promise<{ messageId: string; duplicate: boolean }> {
  const dedupeKey = createHash('sha256').update(req.rawBody).digest('hex');
  return store.write(async (trx) => {
    const stored = await insertInboundMessage(
      trx,
      store.keys.cipher,
      { partnerId, kind, dedupeKey, body: req.rawBody },
      nowMs,
    );
    if (!stored) {
      const prior = await trx
        .selectFrom('inbound_messages')
        .select('id')
        .where('partner_id', '=', partnerId)
        .where('kind', '=', kind)
        .where('dedupe_key', '=', dedupeKey)
        .executeTakeFirst();
      return { messageId: prior?.id ?? '', duplicate: true };
    }
    const messageId = stored;
    const payload: InboundPayload = { messageId, partnerId, headers: keptHeaders(req.headers) };
    await enqueue(trx, { kind, partnerId, payload, dedupeKey: `${kind}:${messageId}` }, nowMs);
    return { messageId, duplicate: false };
  });
}

export interface InboundDeps {
  store: Store;
  queue: JobQueue;
  partners: () => CarrierDirectory & { platform(id: string): PlatformConnector | undefined };
}

async function loadRequest(store: Store, p: InboundPayload): Promise<InboundRequest> {
  const msg = await store.db
    .selectFrom('inbound_messages')
    .select(['body', 'received_at'])
    .where('id', '=', p.messageId)
    .executeTakeFirst();
  if (!msg) throw new Error(`inbound message ${p.messageId} is missing`);
  return {
    headers: p.headers,
    rawBody: await store.keys.open(msg.body, INBOUND_BODY_CONTEXT),
    nowMs: msg.received_at,
  };
}

export function inboundOrderHandler(deps: InboundDeps): JobHandler {
  return {
    async run(job: Job) {
      const p = job.payload as InboundPayload;
      const platform = deps.partners().platform(p.partnerId);
      if (!platform) throw new Error(`platform ${p.partnerId} is no longer configured`);
      const hook = platform.parseOrderWebhook(await loadRequest(deps.store, p));
      await acceptOrder(deps.store, hook.order, { caller: p.partnerId });
      await deps.queue.complete(job);
    },
  };
}

export function inboundTrackingHandler(deps: InboundDeps): JobHandler {
  return {
    async run(job: Job) {
      const p = job.payload as InboundPayload;
      const carrier = deps.partners().carrier(p.partnerId)?.primary;
      if (!carrier?.parseCallback) throw new Error(`carrier ${p.partnerId} does not push tracking`);
      const push = carrier.parseCallback(await loadRequest(deps.store, p));
      await ingestTrackingEvents(deps.store, push.events);
      await deps.queue.complete(job);
    },
  };
}
