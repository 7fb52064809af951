/**
 * The payload the two inbound kinds share: a stored partner push (its body stays in
 * `inbound_messages`, sealed) and the headers a parser may need.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { InboundRequest } from '../../connectors/types.js';
import type { Store } from '../../store/db.js';
import { getInboundMessage, INBOUND_BODY_CONTEXT } from '../../store/inbound-messages.js';
import { defineEdit, invalidEdit, type EditRule } from './kind.js';

const HEADER_NAME = '^[a-z0-9][a-z0-9-]{0,63}$';

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
    topicHeader: Type.Optional(
      Type.String({
        pattern: HEADER_NAME,
        description: "which of `headers` names the push's topic (unsigned; part of the dedupe key)",
      }),
    ),
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

export const InboundEdit = Type.Object(
  {
    topic: Type.String({
      minLength: 1,
      maxLength: 200,
      // A header value: printable ASCII, no control characters.
      pattern: '^[\\x21-\\x7e][\\x20-\\x7e]*$',
      description:
        'the topic to parse the stored push under (its partner sent it in an unsigned header, e.g. a wrong one)',
    }),
  },
  { additionalProperties: false },
);

/**
 * A dead push may be replayed under another topic: the partner's topic header is not signed, so
 * a push first sent under a wrong one is dead-lettered with its body intact, and the operator
 * replays that same stored body under the right topic (audited as `dlq.edit_replay`, naming
 * `/topic`). A partner whose pushes carry no topic header has nothing to edit.
 */
export const inboundEdit: EditRule<InboundPayload> = defineEdit(InboundEdit, async (ctx, p, edit) => {
  const header = p.topicHeader;
  if (!header) invalidEdit([{ field: '/topic', message: `${p.partnerId} pushes carry no topic header` }]);
  if (p.headers[header] === edit.topic) invalidEdit([{ field: '/topic', message: 'is already the topic' }]);
  ctx.replacePayload({ ...p, headers: { ...p.headers, [header]: edit.topic } });
  return ['/topic'];
});
