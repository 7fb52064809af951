/**
 * The inbound side of the double queue [004-2]: a partner push is verified, stored raw and
 * queued in one transaction, and answered at once; workers of the inbound lane turn it into
 * canonical records (jobs/inbound-order.ts, jobs/inbound-tracking.ts). A slow transformation or
 * a busy outbound partner never makes a partner's push wait or fail, and a push that cannot be
 * read waits in the dead-letter queue, not lost.
 */
import { createHash } from 'node:crypto';
import { bodyBytes, headerValue, type InboundRequest, type ManifestBase } from '../connectors/types.js';
import type { Store } from '../store/db.js';
import { findInboundMessageId, insertInboundMessage } from '../store/inbound-messages.js';
import { inboundOrder } from './jobs/inbound-order.js';
import { inboundTracking } from './jobs/inbound-tracking.js';
import { inboundStock } from './jobs/inbound-stock.js';
import { inboundReturn } from './jobs/inbound-return.js';

export const INBOUND_ORDER = inboundOrder.name;
export const INBOUND_TRACKING = inboundTracking.name;
export const INBOUND_STOCK = inboundStock.name;
export const INBOUND_RETURN = inboundReturn.name;
export type InboundKind =
  typeof INBOUND_ORDER | typeof INBOUND_TRACKING | typeof INBOUND_STOCK | typeof INBOUND_RETURN;

const INBOUND = {
  [INBOUND_ORDER]: inboundOrder,
  [INBOUND_TRACKING]: inboundTracking,
  [INBOUND_STOCK]: inboundStock,
  [INBOUND_RETURN]: inboundReturn,
};

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
 * What makes two pushes the same. For a partner that names each push (`deliveryIdHeader`), that
 * name alone: its re-deliveries carry the same id whatever their bytes, and a new push a new id
 * even with the bytes of an earlier one. Otherwise the bytes the partner signed plus the topic
 * it sent beside them. The topic is not signed but decides how the push is handled, so a body
 * delivered first under a wrong topic (dead-lettered) must not make the same body under the
 * right topic a "duplicate" — each (bytes, topic) pair is stored and handled once.
 */
export function inboundDedupeKey(
  req: InboundRequest,
  topicHeader: string | undefined,
  deliveryIdHeader?: string,
): string {
  const deliveryId = deliveryIdHeader ? headerValue(req, deliveryIdHeader)?.trim() : undefined;
  if (deliveryId) return `id:${createHash('sha256').update(deliveryId, 'utf8').digest('hex')}`;
  const hash = createHash('sha256').update(bodyBytes(req)).digest('hex');
  if (!topicHeader) return hash;
  const topic = headerValue(req, topicHeader) ?? '';
  return `${hash}:${createHash('sha256').update(topic, 'utf8').digest('hex').slice(0, 32)}`;
}

/**
 * Stores a verified push and queues its transformation. A re-delivery (the same push id, or for
 * a partner without one the same bytes under the same topic) is recognised and queues nothing;
 * returns the stored message's id.
 */
export async function queueInbound(
  store: Store,
  kind: InboundKind,
  /** The pushing partner's manifest (or its id alone, for a partner that sends no topic). */
  pusher: string | Pick<ManifestBase, 'id' | 'topicHeader' | 'deliveryIdHeader'>,
  req: InboundRequest,
  nowMs = Date.now(),
): Promise<{ messageId: string; duplicate: boolean }> {
  const partner = typeof pusher === 'string' ? { id: pusher } : pusher;
  const partnerId = partner.id;
  const topicHeader = 'topicHeader' in partner ? partner.topicHeader : undefined;
  const deliveryIdHeader = 'deliveryIdHeader' in partner ? partner.deliveryIdHeader : undefined;
  const dedupeKey = inboundDedupeKey(req, topicHeader, deliveryIdHeader);
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
    await INBOUND[kind].enqueue(
      trx,
      {
        messageId,
        partnerId,
        headers: keptHeaders(req.headers),
        ...(topicHeader ? { topicHeader: topicHeader.toLowerCase() } : {}),
      },
      nowMs,
    );
    return { messageId, duplicate: false };
  });
}
