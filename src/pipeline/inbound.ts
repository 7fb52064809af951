/**
 * The inbound side of the double queue [004-2]: a partner push is verified, stored raw and
 * queued in one transaction, and answered at once; workers of the inbound lane turn it into
 * canonical records (jobs/inbound-order.ts, jobs/inbound-tracking.ts). A slow transformation or
 * a busy outbound partner never makes a partner's push wait or fail, and a push that cannot be
 * read waits in the dead-letter queue, not lost.
 */
import { createHash } from 'node:crypto';
import type { InboundRequest } from '../connectors/types.js';
import type { Store } from '../store/db.js';
import { findInboundMessageId, insertInboundMessage } from '../store/inbound-messages.js';
import { inboundOrder } from './jobs/inbound-order.js';
import { inboundTracking } from './jobs/inbound-tracking.js';

export const INBOUND_ORDER = inboundOrder.name;
export const INBOUND_TRACKING = inboundTracking.name;

const INBOUND = { [INBOUND_ORDER]: inboundOrder, [INBOUND_TRACKING]: inboundTracking };

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
      const prior = await findInboundMessageId(trx, partnerId, kind, dedupeKey);
      return { messageId: prior ?? '', duplicate: true };
    }
    const messageId = stored;
    await INBOUND[kind].enqueue(trx, { messageId, partnerId, headers: keptHeaders(req.headers) }, nowMs);
    return { messageId, duplicate: false };
  });
}
