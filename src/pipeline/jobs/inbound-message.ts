/**
 * The payload the two inbound kinds share: a stored partner push (its body stays in
 * `inbound_messages`, sealed) and the headers a parser may need.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { InboundRequest } from '../../connectors/types.js';
import type { Store } from '../../store/db.js';
import { getInboundMessage, INBOUND_BODY_CONTEXT } from '../../store/inbound-messages.js';

export const InboundPayload = Type.Object(
  {
    messageId: Type.String({ pattern: '^msg_[0-9a-z]{26}$', description: 'the stored push' }),
    partnerId: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
      description: 'the partner that pushed it',
    }),
    headers: Type.Record(Type.String(), Type.String(), {
      description: 'headers a parser may need (never credentials or signatures)',
    }),
  },
  { additionalProperties: false },
);
export type InboundPayload = Static<typeof InboundPayload>;

/** The push as its connector's parser takes it: the stored body, unsealed. */
export async function loadRequest(store: Store, p: InboundPayload): Promise<InboundRequest> {
  const msg = await getInboundMessage(store.db, p.messageId);
  if (!msg) throw new Error(`inbound message ${p.messageId} is missing`);
  return {
    headers: p.headers,
    rawBody: await store.keys.open(msg.sealedBody, INBOUND_BODY_CONTEXT),
    nowMs: msg.receivedAt,
  };
}
